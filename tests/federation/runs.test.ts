// Runs on a long-lived coordinator: one coordinator process runs two runs back to back (the second submitted
// over the admin API while the first is in progress) with the same three site clients, which never restart;
// the admin API then lists the runs, their rounds and a valid audit chain, and aborts a third run mid-round.
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ParsedArgs, type Command } from "../../cli/command.ts";
import { adminAuditCommand, adminRoundsCommand } from "../../cli/commands/admin.ts";
import { exportCommand } from "../../cli/commands/export.ts";
import { ADAPTER_WEIGHTS_FILE } from "../../model/peft.ts";
import { readBaseModelConfig } from "../../model/model-dir.ts";
import type { LlamaConfig } from "../../model/config.ts";
import { adminRunListCommand, adminRunShowCommand } from "../../cli/commands/admin-runs.ts";
import { describeAdapter } from "../../coordinator/server.ts";
import { DurableState } from "../../coordinator/service/durable-state.ts";
import type { SiteRunSummary } from "../../client/node/site-client.ts";
import type { RunInfo } from "../../proto/admin-messages.ts";
import type { Connection } from "../../proto/transport.ts";
import {
  BASE_MODEL_HASH,
  createFederation,
  fedAvgOf,
  quietLogger,
  type Federation,
} from "./helpers/federation.ts";

const SITES = ["alpha", "beta", "gamma"];
const DEADLINE = { deadlineMs: 15_000 };

let federation: Federation;
/** The built-in model's shapes, so that `fedtune export --config` (which reads the config's base model) fits. */
let model: LlamaConfig;
let admin: Connection;
let sites: { done: Promise<SiteRunSummary>; stop(): Promise<SiteRunSummary> }[];
/** Set while the sites should hold before training (to catch a run mid-round). */
let holdTraining: Promise<void> | undefined;

beforeAll(async () => {
  model = await readBaseModelConfig("builtin");
  federation = await createFederation({
    sites: SITES,
    transport: "grpc",
    model,
    config: {
      rounds: 2,
      evaluation: { everyRounds: 1 },
      privacy: { mode: "secagg" },
      sitesPerRound: { fraction: 1, minimum: 3 },
    },
  });
  admin = federation.dial({ address: federation.coordinator.address, tls: federation.pki.admin });
  sites = SITES.map((name) =>
    federation.startSite(name, {
      stayConnected: true,
      nextRunPollMs: 100,
      faults: {
        beforeStage: async (stage): Promise<"continue"> => {
          if (stage === "train") await holdTraining;
          return "continue";
        },
      },
    }),
  );
});

afterAll(async () => {
  admin.close();
  await Promise.all(sites.map((site) => site.stop()));
  await federation.coordinator.stop();
});

async function waitForRun(runId: number, states: readonly RunInfo["state"][]): Promise<RunInfo> {
  for (let tries = 0; tries < 600; tries++) {
    const run = await admin.admin.showRun({ runId }, DEADLINE);
    if (states.includes(run.state)) return run;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`run ${runId} never became ${states.join(" or ")}`);
}

/** A `fedtune admin …` command run in-process with the operator's certificate files; its exit code and output. */
async function adminCli(
  command: Command,
  values: Record<string, string | boolean>,
  positionals: string[] = [],
): Promise<{ code: number; printed: string[] }> {
  const { admin: identity } = federation.pki;
  const files = { ca: "admin-ca.pem", cert: "operator.pem", key: "operator.key" };
  writeFileSync(join(federation.dir, files.ca), identity.caPem);
  writeFileSync(join(federation.dir, files.cert), identity.certPem);
  writeFileSync(join(federation.dir, files.key), identity.keyPem);
  const connection = {
    coordinator: federation.coordinator.address,
    ca: join(federation.dir, files.ca),
    cert: join(federation.dir, files.cert),
    key: join(federation.dir, files.key),
  };
  const printed: string[] = [];
  const code = await command.run(new ParsedArgs({ ...connection, ...values }, positionals), {
    logger: quietLogger(),
    print: (line) => printed.push(line),
  });
  return { code, printed };
}

const settled = async (done: Promise<unknown>): Promise<boolean> =>
  Promise.race([
    done.then(() => true),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 50)),
  ]);

describe("a long-lived coordinator", () => {
  it("runs a second run, submitted over the admin API mid-run, with the same site clients", async () => {
    // Submit while run 1 (the config's) is in progress: at its first round.
    for (let tries = 0; !federation.coordinatorEvents.some((e) => e.type === "round_started"); tries++) {
      if (tries > 300) throw new Error("run 1 never started a round");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const submitted = await admin.admin.submitRun(
      { settingsText: "rounds: 2\nprivacy:\n  mode: secagg\n", source: "run2.yaml" },
      DEADLINE,
    );
    expect(submitted).toMatchObject({ runId: 2, state: "queued", submittedBy: "operator", rounds: 2 });
    expect((await admin.admin.showRun({ runId: 1 }, DEADLINE)).state).toBe("running");

    const first = await federation.coordinator.done;
    expect(first.outcome).toBe("completed");
    await waitForRun(2, ["finished", "failed", "aborted"]);

    const { runs } = await admin.admin.listRuns({}, DEADLINE);
    expect(runs.map((run) => [run.runId, run.state, run.submittedBy, run.completedTrainingRounds])).toEqual([
      [1, "finished", "config", 2],
      [2, "finished", "operator", 2],
    ]);
    // Run 2 started only once run 1 had ended.
    expect((runs[1]?.startedAt ?? "") >= (runs[0]?.endedAt ?? "~")).toBe(true);

    // The site clients never restarted: each is still running, joined once per run and trained in both.
    for (const site of sites) expect(await settled(site.done)).toBe(false);
    for (const name of SITES) {
      const events = federation.siteEvents.get(name) ?? [];
      expect(events.filter((e) => e.type === "joined")).toHaveLength(2);
      expect(events.filter((e) => e.type === "submitted")).toHaveLength(4);
    }

    // Training rounds count from 1 in each run; an evaluation round belongs to the training round it follows.
    const run1 = (await admin.admin.rounds({ runId: 1 }, DEADLINE)).rounds;
    expect(run1.map((r) => [r.runId, r.trainingRound, r.kind, r.round, r.outcome])).toEqual([
      [1, 1, "train", 1, "completed"],
      [1, 1, "eval", 2, "completed"],
      [1, 2, "train", 3, "completed"],
      [1, 2, "eval", 4, "completed"],
    ]);
    const run2 = (await admin.admin.rounds({ runId: 2 }, DEADLINE)).rounds;
    expect(run2.map((r) => [r.runId, r.trainingRound, r.kind, r.round, r.outcome])).toEqual([
      [2, 1, "train", 1, "completed"],
      [2, 2, "train", 2, "completed"],
      [2, 2, "eval", 3, "completed"],
    ]);

    // Run 2 trained from the initial adapter, on its own checkpoints: its global is FedAvg of its own updates.
    const adapter = describeAdapter(model, { ...federation.config.lora }, BASE_MODEL_HASH, null);
    const state = DurableState.open(federation.config.storageDir, adapter.spec, 2);
    const run2Global = (await state.checkpoint(2))?.model;
    state.close();
    const run2Updates = [2, 3].map((index) =>
      SITES.map(
        (name) => federation.updates.get(name)?.[index] ?? expect.fail(`${name} made no update ${index}`),
      ),
    );
    expect(run2Global?.kind === "plain" ? Array.from(run2Global.vector) : []).toEqual(
      Array.from(fedAvgOf(run2Updates)).map((value) => expect.closeTo(value, 3) as unknown),
    );

    const verification = await admin.admin.verifyAudit({}, DEADLINE);
    expect(verification.ok).toBe(true);
    const audit = [];
    for await (const entry of admin.admin.audit({ fromSeq: 0 }, DEADLINE)) audit.push(entry);
    const runEntries = audit
      .filter((entry) => entry.kind === "run_submitted" || entry.kind === "run_state_changed")
      .map((entry) => {
        const details = JSON.parse(entry.detailsJson) as { actor: string; run: number; to?: string };
        return [entry.kind, details.actor, details.run, details.to ?? ""];
      });
    expect(runEntries).toEqual([
      ["run_submitted", "config", 1, ""],
      ["run_state_changed", "coordinator", 1, "running"],
      ["run_submitted", "operator", 2, ""],
      ["run_state_changed", "coordinator", 1, "finished"],
      ["run_state_changed", "coordinator", 2, "running"],
      ["run_state_changed", "coordinator", 2, "finished"],
    ]);
    // Every round's audit entries name their run.
    const roundRuns = audit
      .filter((entry) => entry.kind === "round_completed")
      .map((entry) => (JSON.parse(entry.detailsJson) as { run: number }).run);
    expect(roundRuns).toEqual([1, 1, 1, 1, 2, 2, 2]);
  });

  it("answers fedtune admin run list, run show, rounds --run and audit --verify on the running coordinator", async () => {
    const list = await adminCli(adminRunListCommand, { json: true });
    expect(list.code).toBe(0);
    expect(list.printed.map((line) => JSON.parse(line) as { runId: number; state: string })).toMatchObject([
      { runId: 1, state: "finished" },
      { runId: 2, state: "finished" },
    ]);
    const show = await adminCli(adminRunShowCommand, { json: true }, ["2"]);
    expect(JSON.parse(show.printed[0] ?? "{}")).toMatchObject({ runId: 2, settings: { rounds: 2 } });
    const rounds = await adminCli(adminRoundsCommand, { json: true, run: "2" });
    expect(rounds.printed.map((line) => JSON.parse(line) as Record<string, unknown>)).toMatchObject([
      { run: 2, training_round: 1, kind: "train" },
      { run: 2, training_round: 2, kind: "train" },
      { run: 2, training_round: 2, kind: "eval" },
    ]);
    const verify = await adminCli(adminAuditCommand, { verify: true, json: true });
    expect(verify.code).toBe(0);
    expect(JSON.parse(verify.printed[0] ?? "{}")).toMatchObject({ ok: true });
    // A run id that is no number is the operator's typo, told before any call.
    await expect(adminCli(adminRunShowCommand, {}, ["two"])).rejects.toThrow(/run id/);
  });

  it("exports any run's adapter at the coordinator while it serves, --round counting training rounds", async () => {
    const configPath = join(federation.dir, "coordinator.json");
    writeFileSync(configPath, JSON.stringify(federation.config));
    const exported = async (values: Record<string, string>): Promise<Record<string, unknown>> => {
      const printed: string[] = [];
      const out = join(federation.dir, "export", Object.values(values).join("-"));
      const code = await exportCommand.run(new ParsedArgs({ config: configPath, out, ...values }, []), {
        logger: quietLogger(),
        print: (line) => printed.push(line),
      });
      expect(code).toBe(0);
      expect(existsSync(join(out, ADAPTER_WEIGHTS_FILE))).toBe(true);
      return JSON.parse(printed[0] ?? "{}") as Record<string, unknown>;
    };
    const sha = async (runId: number, round: number): Promise<string | undefined> =>
      (await admin.admin.rounds({ runId }, DEADLINE)).rounds.find((r) => r.round === round)?.checkpointSha256;
    // Run 1 evaluated after each training round: its training round 2 is the protocol's round 3.
    expect(await exported({ run: "1", round: "2" })).toMatchObject({
      run: 1,
      round: 2,
      checkpointSha256: await sha(1, 3),
    });
    expect(await exported({ run: "1" })).toMatchObject({
      run: 1,
      round: 2,
      checkpointSha256: await sha(1, 3),
    });
    expect(await exported({ run: "2", round: "1" })).toMatchObject({
      run: 2,
      round: 1,
      checkpointSha256: await sha(2, 1),
    });
    await expect(exported({ run: "1", round: "3" })).rejects.toThrow(/run 1 has 2 completed training rounds/);
    await expect(exported({ run: "7" })).rejects.toThrow(/no run 7/);
  });

  it("refuses a run file with problems, listing them, and queues nothing", async () => {
    const before = (await admin.admin.listRuns({}, DEADLINE)).runs.length;
    await expect(
      admin.admin.submitRun(
        { settingsText: "rounds: 0\nprivacy:\n  mode: secagg\nlisten: 0.0.0.0:1\n", source: "bad.yaml" },
        DEADLINE,
      ),
    ).rejects.toMatchObject({ code: "invalid_argument" });
    expect((await admin.admin.listRuns({}, DEADLINE)).runs).toHaveLength(before);
    await expect(admin.admin.abortRun({ runId: 1 }, DEADLINE)).rejects.toMatchObject({
      code: "failed_precondition",
    });
    await expect(admin.admin.showRun({ runId: 99 }, DEADLINE)).rejects.toMatchObject({ code: "not_found" });
  });

  it("aborts a running run mid-round: the round ends at once, audited, and the sites stay for the next run", async () => {
    let release = (): void => undefined;
    holdTraining = new Promise((resolve) => (release = resolve));
    const run = await admin.admin.submitRun({ settingsText: "rounds: 3\n", source: "run3.yaml" }, DEADLINE);
    // Its first round is open, its sites held before training (the deadline is 20 s away).
    for (let tries = 0; ; tries++) {
      const { rounds } = await admin.admin.rounds({ runId: run.runId }, DEADLINE);
      if (rounds.some((round) => round.outcome === "running")) break;
      if (tries > 300) throw new Error("run 3 never opened a round");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // The answer comes once the run is aborted: its round ended at once, not at the training deadline.
    const aborted = await admin.admin.abortRun({ runId: run.runId }, DEADLINE);
    expect(aborted).toMatchObject({ state: "aborted", reason: "aborted by operator" });
    const { rounds } = await admin.admin.rounds({ runId: run.runId }, DEADLINE);
    expect(rounds.map((r) => [r.round, r.outcome, r.reason])).toEqual([
      [1, "abandoned", "aborted by operator"],
    ]);
    // Between the aborted run and the next, admin sites still knows each site's latest call (the aborted
    // run's), not only the store's periodic refresh.
    const { sites: standing } = await admin.admin.sites({}, DEADLINE);
    for (const site of standing) expect(Date.parse(site.lastSeen)).toBeGreaterThan(Date.parse(site.joinedAt));
    release();
    holdTraining = undefined;

    // The same sites take part in the next run.
    const next = await admin.admin.submitRun({ settingsText: "rounds: 1\n", source: "run4.yaml" }, DEADLINE);
    expect((await waitForRun(next.runId, ["finished", "failed", "aborted"])).state).toBe("finished");
    for (const site of sites) expect(await settled(site.done)).toBe(false);

    const audit = [];
    for await (const entry of admin.admin.audit({ fromSeq: 0 }, DEADLINE)) audit.push(entry);
    const abortEntries = audit
      .filter((entry) => entry.detailsJson.includes("aborted by operator"))
      .map((entry) => [entry.kind, (JSON.parse(entry.detailsJson) as { actor: string }).actor]);
    expect(abortEntries).toEqual([
      ["round_abandoned", "coordinator"],
      ["run_state_changed", "operator"],
    ]);
    expect((await admin.admin.verifyAudit({}, DEADLINE)).ok).toBe(true);
  });
});
