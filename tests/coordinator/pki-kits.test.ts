// The CSR flow end to end: the hospital makes its key, the operator signs and renews from the CSR alone, the kit connects over mTLS.
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
import { createServer, connect, type TLSSocket } from "node:tls";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ParsedArgs } from "../../cli/command.ts";
import { resolveAdminConnection } from "../../cli/admin-connection.ts";
import { pkiInitCommand, pkiIssueCommand } from "../../cli/commands/pki.ts";
import { pkiRenewCommand, pkiRequestCommand, pkiSignCommand } from "../../cli/commands/pki-kits.ts";
import { loadSiteConfig } from "../../client/node/config.ts";
import {
  checkOwnIdentity,
  expiryWarning,
  issueCertificate,
  createCa,
  PkiError,
  pkiPaths,
} from "../../coordinator/pki/index.ts";
import { runCommand } from "../helpers/run-command.ts";

const run = runCommand;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" });
}

/** One mTLS handshake between a server and a client identity; resolves with the subject of the client certificate the server saw. */
async function handshake(
  server: { caPem: string; certPem: string; keyPem: string },
  client: { caPem: string; certPem: string; keyPem: string },
): Promise<string> {
  const tlsServer = createServer({
    ca: server.caPem,
    cert: server.certPem,
    key: server.keyPem,
    requestCert: true,
    rejectUnauthorized: true,
  });
  const seen = new Promise<string>((resolve) =>
    tlsServer.once("secureConnection", (socket: TLSSocket) => {
      resolve(socket.getPeerX509Certificate()?.subject ?? "");
      socket.end();
    }),
  );
  await new Promise<void>((resolve) => tlsServer.listen(0, "127.0.0.1", resolve));
  const port = (tlsServer.address() as { port: number }).port;
  const socket = connect({
    host: "127.0.0.1",
    port,
    servername: "localhost",
    ca: client.caPem,
    cert: client.certPem,
    key: client.keyPem,
  });
  await new Promise<void>((resolve, reject) => socket.once("secureConnect", resolve).once("error", reject));
  const peer = await seen;
  socket.destroy();
  await new Promise<void>((resolve) => tlsServer.close(() => resolve()));
  return peer;
}

describe("fedtune pki request → sign → kit", () => {
  let root: string;
  let pki: string;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "fedtune-pki-kit-"));
    pki = join(root, "operator", "pki");
    expect((await run(pkiInitCommand, { out: pki })).code).toBe(0);
    expect((await run(pkiIssueCommand, { dir: pki, role: "coordinator", name: "coordinator" })).code).toBe(0);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("keeps the CA key alone in a private folder", () => {
    const paths = pkiPaths(pki);
    expect(readdirSync(paths.caKeyDir)).toEqual(["ca.key.pem"]);
    expect(statSync(paths.caKeyDir).mode & 0o077).toBe(0);
    expect(statSync(paths.caKey).mode & 0o077).toBe(0);
    expect(existsSync(join(pki, "ca.key.pem"))).toBe(false);
  });

  it("signs and renews from the CSR alone; the site's kit and own key pass mTLS", async () => {
    const site = join(root, "hospital");
    const request = await run(pkiRequestCommand, { name: "hospital-a", out: site });
    expect(request.code).toBe(0);
    const siteKey = join(site, "hospital-a.key.pem");
    expect(statSync(siteKey).mode & 0o077).toBe(0);
    const incoming = join(root, "operator", "incoming");
    mkdirSync(incoming);
    cpSync(join(site, "hospital-a.csr.pem"), join(incoming, "hospital-a.csr.pem"));

    // While the operator works, the hospital's folder is out of reach: any read of its key would fail.
    const away = join(root, "hospital-away");
    renameSync(site, away);
    const kitDir = join(root, "operator", "kits", "hospital-a");
    const signed = await run(pkiSignCommand, {
      dir: pki,
      csr: join(incoming, "hospital-a.csr.pem"),
      coordinator: "127.0.0.1:50051",
      out: kitDir,
    });
    expect(signed.code).toBe(0);
    expect(JSON.parse(signed.lines[0] ?? "")).toMatchObject({
      name: "hospital-a",
      role: "site",
      start: "fedtune client start --config site.yaml",
    });
    const renewedDir = join(root, "operator", "kits", "hospital-a-renewed");
    expect(
      (
        await run(pkiRenewCommand, {
          dir: pki,
          name: "hospital-a",
          coordinator: "127.0.0.1:50051",
          out: renewedDir,
        })
      ).code,
    ).toBe(0);
    renameSync(away, site);
    // Nor did the operator's machine ever hold a key of the hospital's.
    expect(filesUnder(join(root, "operator")).filter((file) => file.includes("hospital-a.key"))).toEqual([]);
    expect(readdirSync(kitDir).sort()).toEqual([
      "START.txt",
      "ca.cert.pem",
      "hospital-a.cert.pem",
      "kit.json",
      "site.yaml",
    ]);

    cpSync(kitDir, site, { recursive: true });
    const config = loadSiteConfig(join(site, "site.yaml"));
    expect(config).toMatchObject({ name: "hospital-a", coordinator: "127.0.0.1:50051" });
    const siteIdentity = {
      caPem: readFileSync(config.tls.caCert, "utf8"),
      certPem: readFileSync(config.tls.cert, "utf8"),
      keyPem: readFileSync(config.tls.key, "utf8"),
    };
    expect(checkOwnIdentity(siteIdentity, "site").name).toBe("hospital-a");
    const renewedCert = readFileSync(join(renewedDir, "hospital-a.cert.pem"), "utf8");
    expect(renewedCert).not.toBe(siteIdentity.certPem);
    expect(checkOwnIdentity({ ...siteIdentity, certPem: renewedCert }, "site").name).toBe("hospital-a");

    const coordinator = {
      caPem: siteIdentity.caPem,
      certPem: readFileSync(pkiPaths(pki).identityCert("coordinator"), "utf8"),
      keyPem: readFileSync(pkiPaths(pki).identityKey("coordinator"), "utf8"),
    };
    expect(await handshake(coordinator, siteIdentity)).toContain("hospital-a");
    // The site's key does not fit the coordinator's certificate, and a site certificate is no server's.
    expect(() => checkOwnIdentity({ ...coordinator, keyPem: siteIdentity.keyPem }, "coordinator")).toThrow(
      /does not belong/,
    );
    expect(() => checkOwnIdentity(siteIdentity, "coordinator")).toThrow(PkiError);
  });

  it("gives an admin a kit that admin commands read, flags and environment winning over it", async () => {
    const admin = join(root, "admin");
    expect((await run(pkiRequestCommand, { name: "ops", role: "admin", out: admin })).code).toBe(0);
    const kitDir = join(root, "operator", "kits", "ops");
    const signed = await run(pkiSignCommand, {
      dir: pki,
      csr: join(admin, "ops.csr.pem"),
      coordinator: "coord.example:7000",
      out: kitDir,
    });
    expect(signed.code).toBe(0);
    cpSync(kitDir, admin, { recursive: true });
    const fromKit = resolveAdminConnection(new ParsedArgs({ kit: admin }, []), {});
    expect(fromKit).toEqual({
      coordinator: "coord.example:7000",
      caPath: join(admin, "ca.cert.pem"),
      certPath: join(admin, "ops.cert.pem"),
      keyPath: join(admin, "ops.key.pem"),
    });
    const overridden = resolveAdminConnection(new ParsedArgs({ coordinator: "flag:1" }, []), {
      FEDTUNE_ADMIN_KIT: admin,
      FEDTUNE_ADMIN_KEY: "/env/key.pem",
    });
    expect(overridden).toMatchObject({
      coordinator: "flag:1",
      keyPath: "/env/key.pem",
      certPath: join(admin, "ops.cert.pem"),
    });
    // A site kit is not an admin kit.
    expect(() =>
      resolveAdminConnection(new ParsedArgs({ kit: join(root, "operator", "kits", "hospital-a") }, []), {}),
    ).toThrow(/not an admin kit/);
  });

  it("refuses a CSR whose signature does not verify and a second live certificate for a name", async () => {
    const bad = join(root, "bad.csr.pem");
    const csr = readFileSync(join(root, "admin", "ops.csr.pem"), "utf8");
    // Flip one base64 character inside the signature (the last full line of the body).
    const lines = csr.trim().split("\n");
    const target = lines.length - 2;
    const line = lines[target] ?? "";
    lines[target] = `${line.slice(0, 10)}${line[10] === "A" ? "B" : "A"}${line.slice(11)}`;
    (await import("node:fs")).writeFileSync(bad, `${lines.join("\n")}\n`);
    expect(
      (await run(pkiSignCommand, { dir: pki, csr: bad, coordinator: "c:1", out: join(root, "k1") })).code,
    ).toBe(1);
    expect(existsSync(join(root, "k1"))).toBe(false);
    expect(
      (
        await run(pkiSignCommand, {
          dir: pki,
          csr: join(root, "admin", "ops.csr.pem"),
          coordinator: "c:1",
          out: join(root, "k2"),
        })
      ).code,
    ).toBe(1);
  });

  it("warns 30 days before a certificate expires", async () => {
    const ca = await createCa();
    const now = new Date();
    const short = await issueCertificate(ca, { role: "site", name: "s", validityDays: 10, now });
    const long = await issueCertificate(ca, { role: "site", name: "s", validityDays: 90, now });
    expect(expiryWarning("s", short.certPem, now)).toMatch(/expires in 9 day/);
    expect(expiryWarning("s", long.certPem, now)).toBeUndefined();
    expect(expiryWarning("s", short.certPem, new Date(now.getTime() + 11 * 86_400_000))).toMatch(
      /has expired/,
    );
  });
});
