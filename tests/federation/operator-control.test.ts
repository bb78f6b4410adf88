// Operator control of a running round: `admin site drop` and a revocation take effect at once, not at the training
// deadline (600 s here; each test's own timeout is far shorter), and both are audit entries.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { revoke } from "../../coordinator/pki/index.ts";
import { createCkksContext, loadSeal, type CkksContext } from "../../crypto/ckks/context.ts";
import { dialGrpc } from "../../client/transport/grpc.ts";
import type { SiteFaults } from "../../client/node/site-client.ts";
import { parseSiteId, type SiteId } from "../../crypto/site-id.ts";
import type { CoordinatorEvent } from "../../coordinator/service/records.ts";
import type { AuditEntry } from "../../proto/admin-messages.ts";
import type { Connection } from "../../proto/transport.ts";
import { adminSiteDropCommand } from "../../cli/commands/admin.ts";
import { ParsedArgs, UsageError } from "../../cli/command.ts";
import { BASE_MODEL_HASH, createFederation, quietLogger, type Federation } from "./helpers/federation.ts";
import { joinByHand } from "./helpers/join-by-hand.ts";
import { createTestPkiFolder, type TestPki } from "./helpers/pki.ts";

const DEADLINE = { deadlineMs: 5_000 };
const GAMMA = parseSiteId("gamma");
const SITES = ["alpha", "beta", "gamma"];
/** Far longer than any test here may run: a round that waited for it would time the test out. */
const LONG_DEADLINES = {
  joinMs: 20_000,
  trainMs: 600_000,
  advertiseKeysMs: 600_000,
  shareKeysMs: 600_000,
  unmaskMs: 600_000,
  evalMs: 600_000,
  keyCeremonyMs: 20_000,
};

/** A site that stalls in training until released (then leaves the try), as a hung hospital would. */
function stalled(): { faults: SiteFaults; release(): void } {
  let release = (): void => undefined;
  const held = new Promise<"drop">((resolve) => (release = () => resolve("drop")));
  return { faults: { beforeStage: (stage) => (stage === "train" ? held : "continue") }, release };
}

/** Resolves with the first coordinator event that `match` accepts (already seen or still to come). */
function nextEvent(
  federation: Federation,
  match: (event: CoordinatorEvent) => boolean,
): Promise<CoordinatorEvent> {
  return new Promise((resolve) => {
    const look = (): void => {
      const found = federation.coordinatorEvents.find(match);
      if (found === undefined) setTimeout(look, 20);
      else resolve(found);
    };
    look();
  });
}

async function auditOf(admin: Connection): Promise<AuditEntry[]> {
  const entries: AuditEntry[] = [];
  for await (const entry of admin.admin.audit({ fromSeq: 1 }, DEADLINE)) entries.push(entry);
  return entries;
}

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** alpha, beta and gamma, gamma hung in training; he mode: a 2-of-3 key, `ckks` its context. */
async function threeSites(
  mode: "secagg" | "none" | "he",
  minimum: number,
  more: { readonly ckks?: CkksContext; readonly pki?: TestPki; readonly pkiDir?: string } = {},
) {
  const federation = await createFederation({
    sites: SITES,
    transport: "grpc",
    ...more,
    config: {
      rounds: 1,
      privacy: mode === "he" ? { mode, he: { threshold: 2, reveal: "coordinator" } } : { mode },
      sitesPerRound: { fraction: 1, minimum },
      deadlines: LONG_DEADLINES,
      maxAttemptsPerRound: 2,
    },
  });
  cleanups.push(() => federation.coordinator.stop());
  const hung = stalled();
  const sites = [
    federation.startSite("alpha"),
    federation.startSite("beta"),
    federation.startSite("gamma", { faults: hung.faults }),
  ];
  // A revoked site's client ends with its refusal (UNAUTHENTICATED): the tests look at the coordinator.
  for (const site of sites) site.done.catch(() => undefined);
  cleanups.push(async () => {
    hung.release();
    await Promise.allSettled(sites.map((site) => site.stop()));
  });
  const admin = dialGrpc({ address: federation.coordinator.address, tls: federation.pki.admin });
  cleanups.push(() => admin.close());
  return { federation, admin };
}

describe("admin site drop during a round", () => {
  it("secagg: the stalled site leaves at once, the round completes without it (its masks recovered), audited", async () => {
    const startedAt = Date.now();
    const { federation, admin } = await threeSites("secagg", 2);
    await nextEvent(federation, (e) => e.type === "round_started");
    const before = (await auditOf(admin)).length;
    await expect(admin.admin.dropSite({ siteId: "no such site" as SiteId }, DEADLINE)).rejects.toMatchObject({
      code: "invalid_argument",
    });
    await expect(admin.admin.dropSite({ siteId: parseSiteId("omega") }, DEADLINE)).rejects.toMatchObject({
      code: "not_found",
    });
    expect((await auditOf(admin)).length).toBe(before);

    expect(await admin.admin.dropSite({ siteId: GAMMA }, DEADLINE)).toEqual({
      round: 1,
      attempt: 1,
      stage: "advertise_keys",
    });
    await expect(admin.admin.dropSite({ siteId: GAMMA }, DEADLINE)).rejects.toMatchObject({
      code: "failed_precondition",
    });
    const completed = await nextEvent(federation, (e) => e.type === "round_completed");
    expect(completed.type === "round_completed" && completed.dropouts).toEqual(["gamma"]);

    // A drop holds for its round only: the evaluation round (2) picks gamma again, and it is dropped again.
    await nextEvent(federation, (e) => e.type === "round_started" && e.ref.round === 2);
    expect(await admin.admin.dropSite({ siteId: GAMMA }, DEADLINE)).toMatchObject({ round: 2 });
    const summary = await federation.coordinator.done;
    expect(summary.outcome).toBe("completed");

    const dropped = (await auditOf(admin)).filter((entry) => entry.kind === "site_dropped");
    expect(dropped.map((entry) => JSON.parse(entry.detailsJson) as unknown)).toEqual([
      { actor: "admin:operator", siteId: "gamma", round: 1, attempt: 1, stage: "advertise_keys" },
      { actor: "admin:operator", siteId: "gamma", round: 2, attempt: 1, stage: "advertise_keys" },
    ]);
    const sites = (await admin.admin.sites({}, DEADLINE)).sites;
    const gamma = sites.find((site) => site.siteId === "gamma");
    expect(gamma).toMatchObject({ standing: "active", droppedRound: 2, roundsDropped: 2 });
    expect(Date.parse(gamma?.droppedAt ?? "")).toBeGreaterThanOrEqual(startedAt);
    // Last seen as of the sites' latest polls (after the run finished), not as last written to the store.
    const alpha = sites.find((site) => site.siteId === "alpha");
    expect(Date.parse(alpha?.lastSeen ?? "")).toBeGreaterThanOrEqual(Date.parse(gamma?.droppedAt ?? ""));
  }, 60_000);

  describe("he mode", () => {
    let ckks: CkksContext;
    beforeAll(async () => {
      ckks = createCkksContext(await loadSeal());
    });
    afterAll(() => ckks.dispose());

    it("the dropped site uploads nothing and is not asked to decrypt; the round completes with the other two", async () => {
      const { federation, admin } = await threeSites("he", 2, { ckks });
      await nextEvent(federation, (e) => e.type === "round_started" && e.ref.round === 1);
      expect(await admin.admin.dropSite({ siteId: GAMMA }, DEADLINE)).toMatchObject({
        round: 1,
        stage: "collect_updates",
      });
      const completed = await nextEvent(federation, (e) => e.type === "round_completed");
      expect(completed.type === "round_completed" && completed.survivors).toEqual(["alpha", "beta"]);
      await nextEvent(federation, (e) => e.type === "round_started" && e.ref.round === 2);
      await admin.admin.dropSite({ siteId: GAMMA }, DEADLINE);
      expect((await federation.coordinator.done).outcome).toBe("completed");
    }, 120_000);

    it("a key holder dropped while asked to decrypt ends the wait at once; the try is retried without it", async () => {
      const federation = await createFederation({
        sites: ["alpha", "beta", "gamma"],
        transport: "grpc",
        ckks,
        config: {
          rounds: 1,
          privacy: { mode: "he", he: { threshold: 2, reveal: "coordinator" } },
          sitesPerRound: { fraction: 1, minimum: 2 },
          deadlines: { ...LONG_DEADLINES, decryptionMs: 600_000 },
        },
      });
      cleanups.push(() => federation.coordinator.stop());
      // The first holder asked to decrypt hangs there, as a holder whose machine froze would.
      let hungHolder = (_site: string): void => undefined;
      const hung = new Promise<string>((resolve) => (hungHolder = resolve));
      let release = (): void => undefined;
      const held = new Promise<"drop">((resolve) => (release = () => resolve("drop")));
      let taken = false;
      const sites = ["alpha", "beta", "gamma"].map((name) =>
        federation.startSite(name, {
          faults: {
            beforeStage: (stage) => {
              if (stage !== "decrypt" || taken) return "continue";
              taken = true;
              hungHolder(name);
              return held;
            },
          },
        }),
      );
      for (const site of sites) site.done.catch(() => undefined);
      cleanups.push(async () => {
        release();
        await Promise.allSettled(sites.map((site) => site.stop()));
      });
      const admin = dialGrpc({ address: federation.coordinator.address, tls: federation.pki.admin });
      cleanups.push(() => admin.close());

      const holder = parseSiteId(await hung);
      await admin.admin.dropSite({ siteId: holder }, DEADLINE);
      const abandoned = await nextEvent(federation, (e) => e.type === "round_abandoned");
      expect(abandoned.type === "round_abandoned" && abandoned.reason).toContain(`key holder ${holder} left`);
      const completed = await nextEvent(federation, (e) => e.type === "round_completed");
      expect(completed).toMatchObject({ ref: { round: 1, attempt: 2 } });
      expect(completed.type === "round_completed" && completed.survivors).not.toContain(holder);
    }, 120_000);
  });

  it("too few sites left: the try is abandoned at once and retried without the dropped site", async () => {
    const { federation, admin } = await threeSites("none", 3);
    await nextEvent(federation, (e) => e.type === "round_started");
    // Through the command an operator types: a malformed name is a usage error, an unknown one refused.
    const printed: string[] = [];
    const ctx = { logger: quietLogger(), print: (line: string) => printed.push(line) };
    const files = { ca: "ca.pem", cert: "admin.pem", key: "admin.key" } as const;
    writeFileSync(join(federation.dir, files.ca), federation.pki.admin.caPem);
    writeFileSync(join(federation.dir, files.cert), federation.pki.admin.certPem);
    writeFileSync(join(federation.dir, files.key), federation.pki.admin.keyPem);
    const drop = (name: string): Promise<number> =>
      adminSiteDropCommand.run(
        new ParsedArgs(
          {
            coordinator: federation.coordinator.address,
            ...Object.fromEntries(Object.entries(files).map(([k, file]) => [k, join(federation.dir, file)])),
            json: true,
          },
          [name],
        ),
        ctx,
      );
    await expect(drop("no such site")).rejects.toThrow(UsageError);
    expect(await drop("omega")).toBe(1);
    expect(await drop("gamma")).toBe(0);
    expect(printed.map((line) => JSON.parse(line) as unknown)).toEqual([
      { site: "gamma", round: 1, attempt: 1, stage: "collect_updates" },
    ]);
    const abandoned = await nextEvent(federation, (e) => e.type === "round_abandoned");
    expect(abandoned.type === "round_abandoned" && abandoned.dropouts).toEqual(["gamma"]);
    // The retry waits for three sites that may take part; gamma is not one of them in this round.
    const sites = (await admin.admin.sites({}, DEADLINE)).sites;
    expect(sites.map((site) => [site.siteId, site.standing])).toEqual([
      ["alpha", "active"],
      ["beta", "active"],
      ["gamma", "dropped"],
    ]);
    const rounds = (await admin.admin.rounds({ runId: 0 }, DEADLINE)).rounds;
    expect(rounds[0]).toMatchObject({ round: 1, attempt: 1, outcome: "abandoned", dropouts: 1 });
  }, 60_000);
});

describe("a revocation during a round", () => {
  it("drops the revoked site from the round at once; the round completes without it; audited, shown as revoked", async () => {
    const { federation, admin } = await threeSites("secagg", 2);
    await nextEvent(federation, (e) => e.type === "round_started");
    federation.revoke("gamma");
    const summary = await federation.coordinator.done;
    expect(summary.outcome).toBe("completed");
    const completed = federation.coordinatorEvents.filter((e) => e.type === "round_completed");
    expect(completed.map((e) => e.type === "round_completed" && e.dropouts)).toEqual([["gamma"], []]);

    const revoked = (await auditOf(admin)).filter((entry) => entry.kind === "site_revoked");
    expect(revoked.map((entry) => JSON.parse(entry.detailsJson) as unknown)).toEqual([
      {
        actor: "coordinator",
        siteId: "gamma",
        fingerprint: federation.pki.sites.get("gamma")?.fingerprint,
        round: 1,
        attempt: 1,
        stage: "advertise_keys",
      },
    ]);
    const gamma = (await admin.admin.sites({}, DEADLINE)).sites.find((site) => site.siteId === "gamma");
    expect(gamma).toMatchObject({ standing: "revoked", roundsDropped: 1 });
    expect(gamma?.revokedAt).not.toBe("");
    expect(gamma?.lastSeen).not.toBe("");
  }, 60_000);

  it("as `fedtune pki revoke` writes it in the coordinator's PKI folder: reloaded and acted on at once", async () => {
    const pkiDir = mkdtempSync(join(tmpdir(), "fedtune-pki-"));
    const pki = await createTestPkiFolder(pkiDir, SITES);
    const { federation, admin } = await threeSites("secagg", 2, { pki, pkiDir });
    await nextEvent(federation, (e) => e.type === "round_started");
    await revoke(pkiDir, "gamma");
    const completed = await nextEvent(federation, (e) => e.type === "round_completed");
    expect(completed.type === "round_completed" && completed.dropouts).toEqual(["gamma"]);
    const revoked = (await auditOf(admin)).filter((entry) => entry.kind === "site_revoked");
    expect(revoked.map((entry) => JSON.parse(entry.detailsJson) as unknown)).toMatchObject([
      { siteId: "gamma", fingerprint: pki.sites.get("gamma")?.fingerprint, round: 1 },
    ]);
  }, 60_000);

  it("refuses the revoked site's open long poll, not only its next call", async () => {
    // One site of the two needed: no round can start, and the site's poll waits.
    let pollArrived = (): void => undefined;
    const arrived = new Promise<void>((resolve) => (pollArrived = resolve));
    const federation = await createFederation({
      sites: ["delta"],
      transport: "grpc",
      config: { rounds: 1, privacy: { mode: "none" }, sitesPerRound: { fraction: 1, minimum: 2 } },
      observeRequests: (method) => {
        if (method === "poll") pollArrived();
      },
    });
    cleanups.push(() => federation.coordinator.stop());
    const tls = federation.pki.sites.get("delta");
    if (tls === undefined) throw new Error("no delta");
    const delta = dialGrpc({ address: federation.coordinator.address, tls });
    cleanups.push(() => delta.close());
    await joinByHand(delta, tls, BASE_MODEL_HASH);
    const poll = delta.federation.poll({ waitMs: 25_000, ledger: null }, { deadlineMs: 30_000 });
    await arrived;
    federation.revoke("delta");
    await expect(poll).rejects.toMatchObject({ code: "permission_denied" });

    // Its calls from now on are refused at the edge, and counted: audit entries at the 1st and 10th refusal.
    for (let call = 1; call <= 12; call++)
      await expect(delta.federation.poll({ waitMs: 0, ledger: null }, DEADLINE)).rejects.toMatchObject({
        code: "unauthenticated",
      });
    const admin = dialGrpc({ address: federation.coordinator.address, tls: federation.pki.admin });
    cleanups.push(() => admin.close());
    const refused = (await auditOf(admin)).filter((entry) => entry.kind === "connection_refused");
    expect(refused.map((entry) => JSON.parse(entry.detailsJson) as unknown)).toEqual(
      [1, 10].map((refusals) => ({
        actor: "coordinator",
        fingerprint: tls.fingerprint,
        subject: expect.stringContaining("CN=delta") as unknown,
        reason: "certificate refused: revoked",
        refusals,
      })),
    );
  }, 20_000);
});

describe("a task a site's policy refuses", () => {
  it("is declined with the reason; the coordinator audits it, shows it in admin sites, and goes on without the site", async () => {
    const federation = await createFederation({
      sites: ["alpha", "beta", "gamma"],
      transport: "grpc",
      config: {
        rounds: 1,
        privacy: { mode: "secagg" },
        sitesPerRound: { fraction: 1, minimum: 2 },
        deadlines: LONG_DEADLINES,
      },
    });
    cleanups.push(() => federation.coordinator.stop());
    const sites = [
      federation.startSite("alpha"),
      federation.startSite("beta"),
      federation.startSite("gamma", { policy: { privacyModes: ["he"] } }),
    ];
    const summary = await federation.coordinator.done;
    await Promise.all(sites.map((site) => site.done));
    expect(summary.outcome).toBe("completed");
    expect(federation.updates.get("gamma")).toEqual([]);
    const reason = "privacy mode secagg is not one this site allows (he)";
    expect(federation.siteEvents.get("gamma")?.filter((e) => e.type === "declined")).toHaveLength(2);

    const admin = dialGrpc({ address: federation.coordinator.address, tls: federation.pki.admin });
    cleanups.push(() => admin.close());
    const declined = (await auditOf(admin)).filter((entry) => entry.kind === "site_declined");
    expect(declined.map((entry) => JSON.parse(entry.detailsJson) as unknown)).toEqual(
      [1, 2].map((round) => ({
        actor: "coordinator",
        siteId: "gamma",
        round,
        attempt: 1,
        reason: "site_policy",
        detail: reason,
      })),
    );
    const gamma = (await admin.admin.sites({}, DEADLINE)).sites.find((site) => site.siteId === "gamma");
    expect(gamma).toMatchObject({ standing: "active", lastDecline: `round 2: site_policy: ${reason}` });
  }, 60_000);
});
