// A site that dials the coordinator by IP address: no DEP0123 warning (IP as TLS server name), and the
// coordinator's certificate is still checked against that address.
import { describe, expect, it } from "vitest";
import { FederationError } from "../../proto/errors.ts";
import { createFederation } from "./helpers/federation.ts";
import { createTestPki } from "./helpers/pki.ts";
import { issueCertificate } from "../../coordinator/pki/index.ts";

describe("dialling the coordinator by IP address", () => {
  it("emits no deprecation warning and still refuses a certificate not issued for that address", async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(`${warning.name}: ${warning.message}`);
    process.on("warning", onWarning);
    const pki = await createTestPki(["alpha"]);
    const federation = await createFederation({
      sites: ["alpha"],
      pki,
      transport: "grpc",
      config: { rounds: 1, privacy: { mode: "none" }, sitesPerRound: { minimum: 1 } },
    });
    const tls = pki.sites.get("alpha");
    if (tls === undefined) throw new Error("no alpha");
    const port = federation.coordinator.address.slice(federation.coordinator.address.lastIndexOf(":") + 1);
    const byIp = federation.dial({ address: `127.0.0.1:${port}`, tls });
    const status = await byIp.federation.poll({ waitMs: 0, ledger: null }, { deadlineMs: 5_000 }).then(
      () => "ok",
      (error: unknown) => (error instanceof FederationError ? error.code : String(error)),
    );
    byIp.close();
    await federation.coordinator.stop();
    // A new federation whose coordinator certificate names only "localhost": 127.0.0.1 must not pass.
    const narrow = await createTestPki(["alpha"]);
    const onlyLocalhost = await issueCertificate(narrow.ca, {
      role: "coordinator",
      name: "coordinator",
      hosts: ["localhost"],
    });
    const second = await createFederation({
      sites: ["alpha"],
      pki: {
        ...narrow,
        coordinator: {
          caPem: narrow.ca.certPem,
          certPem: onlyLocalhost.certPem,
          keyPem: onlyLocalhost.keyPem,
        },
      },
      transport: "grpc",
      config: { rounds: 1, privacy: { mode: "none" }, sitesPerRound: { minimum: 1 } },
    });
    const secondPort = second.coordinator.address.slice(second.coordinator.address.lastIndexOf(":") + 1);
    const alpha = narrow.sites.get("alpha");
    if (alpha === undefined) throw new Error("no alpha");
    const mismatched = second.dial({ address: `127.0.0.1:${secondPort}`, tls: alpha });
    const refused = await mismatched.federation.poll({ waitMs: 0, ledger: null }, { deadlineMs: 3_000 }).then(
      () => "ok",
      (error: unknown) => (error instanceof FederationError ? error.code : String(error)),
    );
    mismatched.close();
    await second.coordinator.stop();
    process.off("warning", onWarning);
    // Reached and answered (alpha has not joined: FAILED_PRECONDITION), over TLS to an IP address.
    expect(status).toBe("failed_precondition");
    expect(refused).not.toBe("failed_precondition");
    expect(refused).not.toBe("ok");
    expect(warnings.filter((w) => /DeprecationWarning|DEP0123/.test(w))).toEqual([]);
  });
});
