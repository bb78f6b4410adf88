// A site process (`fedtune client start`) killed with SIGKILL mid-round and restarted: it counts as a
// dropout of that round, never as corruption, takes part again in the next one, and its ledger holds.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { startSiteClient, type SiteRunSummary } from "../../client/node/site-client.ts";
import { syntheticTrainer, type LocalUpdate } from "../../client/node/trainer.ts";
import { dialGrpc } from "../../client/transport/grpc.ts";
import { parseFederationConfig } from "../../coordinator/config.ts";
import { MAX_EXAMPLES } from "../../strategies/weighted-update.ts";
import { DurableState } from "../../coordinator/service/durable-state.ts";
import type { CoordinatorEvent } from "../../coordinator/service/records.ts";
import {
  describeConfiguredAdapter,
  startCoordinator,
  type CoordinatorHandle,
} from "../../coordinator/server.ts";
import { createFixedPointCodec } from "../../crypto/codec.ts";
import { parseLedger } from "../../crypto/dp/ledger.ts";
import { seededRng } from "../../crypto/rng.ts";
import { hashBaseModel } from "../../model/model-dir.ts";
import type { RoundRef } from "../../proto/messages.ts";
import { tinyModelFolder } from "../client/fixtures.ts";
import { quietLogger } from "./helpers/federation.ts";
import { createTestPki, revocationList } from "./helpers/pki.ts";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const IN_PROCESS = ["alpha", "beta"];
const VICTIM = "gamma";
/** The round during which the victim's process is killed. */
const KILLED_ROUND = 2;

/** `fedtune client start` as a child process, its stdout JSON lines collected. */
class SiteProcess {
  readonly lines: Record<string, unknown>[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private stderr = "";
  private readonly child: ChildProcess;

  constructor(configPath: string) {
    this.child = spawn(
      process.execPath,
      [join(repoRoot, "bin/fedtune.mjs"), "client", "start", "--once", "--config", configPath],
      {
        cwd: repoRoot,
        env: { ...process.env, FEDTUNE_LOG_LEVEL: "warn", FEDTUNE_BACKEND: "cpu" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let pending = "";
    this.child.stdout?.setEncoding("utf8").on("data", (text: string) => {
      pending += text;
      const parts = pending.split("\n");
      pending = parts.pop() ?? "";
      for (const line of parts)
        if (line.trim() !== "") this.lines.push(JSON.parse(line) as Record<string, unknown>);
    });
    this.child.stderr?.setEncoding("utf8").on("data", (text: string) => (this.stderr += text));
    // "close", not "exit": every line the process printed has been read by then.
    this.exited = once(this.child, "close").then(([code, signal]) => ({
      code: code as number | null,
      signal: signal as NodeJS.Signals | null,
    }));
  }

  get log(): string {
    return this.stderr;
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
  }
}

describe("a site process killed with SIGKILL mid-round and restarted (secagg, record-level DP)", () => {
  it("is a dropout of that round, takes part in the next, and keeps its privacy ledger", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fedtune-site-restart-"));
    const modelDir = await tinyModelFolder();
    const pki = await createTestPki([...IN_PROCESS, VICTIM]);
    mkdirSync(join(dir, "pki"));
    writeFileSync(join(dir, "pki", "ca.pem"), pki.ca.certPem);
    writeFileSync(join(dir, "pki", "coordinator.pem"), pki.coordinator.certPem);
    writeFileSync(join(dir, "pki", "coordinator.key"), pki.coordinator.keyPem);
    const logger = quietLogger();
    const config = parseFederationConfig(
      {
        baseModel: { source: modelDir, sha256: await hashBaseModel(modelDir) },
        lora: { r: 2, alpha: 4, targetModules: ["q_proj", "v_proj"], mode: "ffa", seed: 7 },
        rounds: 3,
        privacy: { mode: "secagg" },
        // Record-level DP: the victim's ledger is charged each round; the in-process sites' updates
        // stay exact (their synthetic trainer adds no noise), so the rounds can be checked sum by sum.
        dp: { level: "record", clipNorm: 1, noiseMultiplier: 1.5, epsilonBudget: 1_000 },
        training: { localSteps: 1, batchSize: 2, maxSeqLen: 128, learningRate: 0.01 },
        sitesPerRound: { fraction: 1, minimum: 2 },
        deadlines: {
          joinMs: 30_000,
          trainMs: 15_000,
          advertiseKeysMs: 2_000,
          shareKeysMs: 2_000,
          unmaskMs: 2_000,
          evalMs: 15_000,
          keyCeremonyMs: 5_000,
        },
        tls: { caCert: "pki/ca.pem", cert: "pki/coordinator.pem", key: "pki/coordinator.key" },
        listen: "127.0.0.1:0",
        storageDir: "state",
      },
      "restart-site-test",
      dir,
    );
    const adapter = await describeConfiguredAdapter(config, logger);
    let victim: SiteProcess | undefined;
    let killedAt: number | undefined;
    const onEvent = (event: CoordinatorEvent): void => {
      // Every site advertised its keys for the round and SecAgg's share stage began: kill -9 the victim.
      if (
        killedAt === undefined &&
        event.type === "stage_started" &&
        event.ref.round === KILLED_ROUND &&
        event.stage === "share_keys"
      ) {
        killedAt = Date.now();
        victim?.kill();
      }
    };
    const revocations = revocationList();
    const coordinator: CoordinatorHandle = await startCoordinator(config, {
      logger,
      rng: seededRng("coordinator"),
      sitesToStart: 3,
      revocations: () => revocations.current(),
      adapter,
      onEvent,
    });
    const victimDir = join(dir, VICTIM);
    mkdirSync(victimDir);
    const victimTls = pki.sites.get(VICTIM);
    if (victimTls === undefined) throw new Error("no victim certificate");
    writeFileSync(join(victimDir, "site.pem"), victimTls.certPem);
    writeFileSync(join(victimDir, "site.key"), victimTls.keyPem);
    writeFileSync(
      join(victimDir, "train.jsonl"),
      Array.from({ length: 6 }, (_, i) =>
        JSON.stringify({ instruction: `${i % 3}+${i % 2}`, output: `${(i % 3) + (i % 2)}` }),
      ).join("\n"),
    );
    const siteConfig = join(victimDir, "site.yaml");
    writeFileSync(
      siteConfig,
      JSON.stringify({
        coordinator: coordinator.address,
        tls: { caCert: join(dir, "pki", "ca.pem"), cert: "site.pem", key: "site.key" },
        baseModel: modelDir,
        data: { train: "train.jsonl" },
        stateDir: "state",
      }),
    );
    const updates = new Map<string, LocalUpdate>();
    let sites: { done: Promise<SiteRunSummary>; stop(): Promise<SiteRunSummary> }[] = [];
    let restarted: SiteProcess | undefined;
    try {
      victim = new SiteProcess(siteConfig);
      sites = IN_PROCESS.map((name) => {
        let last: LocalUpdate | undefined;
        const tls = pki.sites.get(name);
        if (tls === undefined) throw new Error(`no certificate for ${name}`);
        return startSiteClient({
          coordinator: coordinator.address,
          stateDir: join(dir, "sites", name),
          tls,
          dial: dialGrpc,
          logger,
          rng: seededRng(`site-${name}`),
          baseModelHash: adapter.baseModelHash,
          createTrainer: (_lora, vectorLength) =>
            Promise.resolve(
              syntheticTrainer({
                vectorLength,
                numExamples: 10 + name.length,
                rng: seededRng(`train-${name}`),
                onUpdate: (update) => (last = update),
              }),
            ),
          pollWaitMs: 2_000,
          onEvent: (event) => {
            if (event.type === "trained" && last !== undefined)
              updates.set(`${name} ${event.ref.round}.${event.ref.attempt}`, last);
          },
        });
      });
      const firstExit = await victim.exited;
      expect(firstExit, victim.log).toEqual({ code: null, signal: "SIGKILL" });
      // Killed mid-round: it had charged its ledger and trained for the round, and submitted nothing in it.
      expect(killedAt).toBeDefined();
      const refsOf = (type: string): string[] =>
        (victim?.lines ?? [])
          .filter((line) => line["type"] === type)
          .map((line) => {
            const ref = line["ref"] as RoundRef;
            return `${ref.round}.${ref.attempt}`;
          });
      expect(refsOf("trained")).toEqual(["1.1", `${KILLED_ROUND}.1`]);
      expect(refsOf("submitted")).toEqual(["1.1"]);
      const ledgerPath = join(victimDir, "state", "privacy-ledger.json");
      const beforeRestart = parseLedger(readFileSync(ledgerPath, "utf8"));
      expect(beforeRestart.entries.map((entry) => entry.label)).toEqual(["round 1", `round ${KILLED_ROUND}`]);
      const keysBefore = readFileSync(join(victimDir, "state", "site-keys.json"), "utf8");

      // Restarted at once, on the same state folder, while the round it left may still be open.
      restarted = new SiteProcess(siteConfig);
      const summary = await coordinator.done;
      await Promise.all(sites.map((site) => site.done));
      const restartedExit = await restarted.exited;
      await coordinator.stop();
      expect(restartedExit, restarted.log).toEqual({ code: 0, signal: null });
      expect(summary.outcome).toBe("completed");
      const finished = restarted.lines.at(-1) as { outcome?: string; roundsContributed?: number };
      expect(finished.outcome).toBe("finished");
      // The restarted site trained again in the next training round and was never charged twice.
      expect(finished.roundsContributed).toBe(1);
      const ledger = parseLedger(readFileSync(ledgerPath, "utf8"));
      expect(ledger.entries.slice(0, 2)).toEqual(beforeRestart.entries);
      expect(ledger.entries.map((entry) => entry.label)).toEqual([
        "round 1",
        `round ${KILLED_ROUND}`,
        "round 3",
      ]);
      expect(readFileSync(join(victimDir, "state", "site-keys.json"), "utf8")).toBe(keysBefore);

      // The killed round went on with the others (or was retried), the next one with all three.
      const killedTry = summary.rounds.find((r) => r.round === KILLED_ROUND && r.outcome === "completed");
      expect(killedTry?.dropouts).toBe(1);
      const next = summary.rounds.find((r) => r.round === KILLED_ROUND + 1 && r.outcome === "completed");
      expect(next).toMatchObject({ kind: "train", attempt: 1, participants: 3, dropouts: 0 });
      expect(summary.rounds.filter((r) => r.outcome === "completed").map((r) => r.round)).toEqual([
        1, 2, 3, 4,
      ]);
      const state = DurableState.open(config.storageDir, adapter.spec);
      try {
        expect(state.verifyAudit().ok).toBe(true);
        const completedAudit = state
          .auditEntries(1)
          .filter((entry) => entry.kind === "round_completed")
          .map((entry) => JSON.parse(entry.detailsJson) as { round: number; survivors: string[] });
        expect(completedAudit.find((entry) => entry.round === KILLED_ROUND)?.survivors).toEqual(IN_PROCESS);
        expect(completedAudit.find((entry) => entry.round === KILLED_ROUND + 1)?.survivors).toEqual([
          ...IN_PROCESS,
          VICTIM,
        ]);
        // Never corruption: the killed round's global moved by exactly the survivors' weighted mean.
        const before = await state.checkpoint(KILLED_ROUND - 1);
        const after = await state.checkpoint(KILLED_ROUND);
        if (before?.model.kind !== "plain" || after?.model.kind !== "plain")
          throw new Error("no checkpoints");
        const ref: RoundRef = { round: KILLED_ROUND, attempt: killedTry?.attempt ?? 0 };
        const survivors = IN_PROCESS.map((name) => updates.get(`${name} ${ref.round}.${ref.attempt}`));
        const weight = survivors.reduce((sum, update) => sum + (update?.numExamples ?? 0), 0);
        const codec = createFixedPointCodec({ clipRange: 1, maxSummands: 3 });
        const tolerance = codec.maxAbsError(IN_PROCESS.length, true) / (weight / MAX_EXAMPLES) + 1e-6;
        for (let i = 0; i < after.model.vector.length; i++) {
          const mean =
            survivors.reduce((sum, update) => sum + (update?.numExamples ?? 0) * (update?.delta[i] ?? 0), 0) /
            weight;
          const step = (after.model.vector[i] ?? 0) - (before.model.vector[i] ?? 0);
          expect(Math.abs(step - mean)).toBeLessThan(tolerance);
        }
      } finally {
        state.close();
      }
    } finally {
      victim?.kill();
      restarted?.kill();
      await Promise.all(sites.map((site) => site.stop().catch(() => undefined)));
      await coordinator.stop();
      rmSync(dir, { recursive: true, force: true });
      rmSync(modelDir, { recursive: true, force: true });
    }
  });
});
