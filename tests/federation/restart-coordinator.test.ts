// kill -9 of a real coordinator process mid-round (and in he mode during the key ceremony or a decryption): it
// restarts on the same storage and port, resumes at the step in flight, the sites reconnect on their own, and
// the result is the plain FedAvg of the sites.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSiteClient, type SiteEvent, type SiteRunSummary } from "../../client/node/site-client.ts";
import type { SiteStage } from "../../client/node/session.ts";
import { syntheticTrainer, type LocalUpdate } from "../../client/node/trainer.ts";
import { dialGrpc } from "../../client/transport/grpc.ts";
import { MAX_EXAMPLES } from "../../strategies/weighted-update.ts";
import { DurableState } from "../../coordinator/service/durable-state.ts";
import { describeAdapter } from "../../coordinator/server.ts";
import { CoordinatorStore } from "../../coordinator/storage/store.ts";
import { createCkksContext, loadSeal, type CkksContext } from "../../crypto/ckks/context.ts";
import { createFixedPointCodec } from "../../crypto/codec.ts";
import { seededRng } from "../../crypto/rng.ts";
import type { PrivacyMode, RoundRef } from "../../proto/messages.ts";
import { BASE_MODEL_HASH, TINY_MODEL, fedAvgOf, quietLogger } from "./helpers/federation.ts";
import { createTestPki, type TestPki } from "./helpers/pki.ts";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const SITES = ["alpha", "beta", "gamma"];
const TRAINING_ROUNDS = 3;
/** The round in flight when the coordinator is killed (round KILLED_ROUND − 1 has completed). */
const KILLED_ROUND = 2;
const LORA = {
  r: 2,
  alpha: 4,
  dropout: 0,
  targetModules: ["q_proj", "v_proj"],
  mode: "ffa" as const,
  seed: 7,
};

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  await once(server, "close");
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

/** `fedtune coordinator start` as a child process; its stdout JSON lines are collected as they come. */
class CoordinatorProcess {
  readonly lines: Record<string, unknown>[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private stderr = "";
  private readonly child: ChildProcess;
  private readonly watchers: (() => void)[] = [];

  constructor(configPath: string) {
    this.child = spawn(
      process.execPath,
      [join(repoRoot, "bin/fedtune.mjs"), "coordinator", "start", "--once", "--config", configPath],
      {
        cwd: repoRoot,
        env: { ...process.env, FEDTUNE_LOG_LEVEL: "warn" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let pending = "";
    this.child.stdout?.setEncoding("utf8").on("data", (text: string) => {
      pending += text;
      const parts = pending.split("\n");
      pending = parts.pop() ?? "";
      for (const line of parts) {
        if (line.trim() === "") continue;
        this.lines.push(JSON.parse(line) as Record<string, unknown>);
        for (const wake of this.watchers.splice(0)) wake();
      }
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

  /** Completed rounds as the coordinator printed them, "round.attempt". */
  completed(): string[] {
    return this.lines
      .filter((line) => line["type"] === "round_completed")
      .map((line) => {
        const ref = line["ref"] as RoundRef;
        return `${ref.round}.${ref.attempt}`;
      });
  }

  /** Resolves once a printed line satisfies `test`; rejects after `timeoutMs` or when the process exits. */
  async waitForLine(test: (line: Record<string, unknown>) => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.lines.some(test)) {
      const left = deadline - Date.now();
      if (left <= 0 || this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`coordinator printed no expected line; stderr:\n${this.stderr}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.watchers.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  kill(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }
}

interface Setup {
  readonly dir: string;
  readonly configPath: string;
  readonly address: string;
  readonly pki: TestPki;
}

async function setUp(mode: PrivacyMode): Promise<Setup> {
  const dir = mkdtempSync(join(tmpdir(), "fedtune-restart-"));
  const pki = await createTestPki(SITES);
  mkdirSync(join(dir, "pki"));
  writeFileSync(join(dir, "pki", "ca.pem"), pki.ca.certPem);
  writeFileSync(join(dir, "pki", "coordinator.pem"), pki.coordinator.certPem);
  writeFileSync(join(dir, "pki", "coordinator.key"), pki.coordinator.keyPem);
  // The coordinator reads only the base model's config.json (its hash is given): the tiny test model.
  mkdirSync(join(dir, "model"));
  writeFileSync(
    join(dir, "model", "config.json"),
    JSON.stringify({
      hidden_size: TINY_MODEL.hiddenSize,
      intermediate_size: TINY_MODEL.intermediateSize,
      num_hidden_layers: TINY_MODEL.numLayers,
      num_attention_heads: TINY_MODEL.numHeads,
      vocab_size: TINY_MODEL.vocabSize,
    }),
  );
  const port = await freePort();
  const configPath = join(dir, "coordinator.json");
  writeFileSync(
    configPath,
    JSON.stringify({
      name: "restart-test",
      baseModel: { source: "model", sha256: BASE_MODEL_HASH },
      lora: LORA,
      rounds: TRAINING_ROUNDS,
      privacy: { mode },
      sitesPerRound: { fraction: 1, minimum: SITES.length },
      deadlines: {
        joinMs: 20_000,
        trainMs: 20_000,
        advertiseKeysMs: 10_000,
        shareKeysMs: 10_000,
        unmaskMs: 10_000,
        evalMs: 20_000,
        keyCeremonyMs: 20_000,
      },
      tls: { caCert: "pki/ca.pem", cert: "pki/coordinator.pem", key: "pki/coordinator.key" },
      listen: `127.0.0.1:${port}`,
      storageDir: "state",
    }),
  );
  return { dir, configPath, address: `127.0.0.1:${port}`, pki };
}

let ckks: CkksContext;
beforeAll(async () => {
  ckks = createCkksContext(await loadSeal());
});
afterAll(() => ckks.dispose());

interface TestSiteHooks {
  /** Each site's Δ per round try, "site round.attempt" → update. */
  readonly updates: Map<string, LocalUpdate>;
  /** The global vector each site last evaluated. */
  readonly evaluated: Map<string, Float32Array>;
  readonly beforeStage: (stage: SiteStage, ref: RoundRef) => Promise<"continue" | "drop">;
  readonly onEvent?: (event: SiteEvent) => void;
}

/** One site of the test federation over gRPC, with the synthetic trainer and a fault hook. */
function startTestSite(
  setup: Setup,
  name: string,
  mode: PrivacyMode,
  logger: ReturnType<typeof quietLogger>,
  hooks: TestSiteHooks,
): { done: Promise<SiteRunSummary>; stop(): Promise<SiteRunSummary> } {
  let last: LocalUpdate | undefined;
  const tls = setup.pki.sites.get(name);
  if (tls === undefined) throw new Error(`no certificate for ${name}`);
  return startSiteClient({
    coordinator: setup.address,
    stateDir: join(setup.dir, "sites", name),
    tls,
    dial: dialGrpc,
    logger,
    rng: seededRng(`site-${name}`),
    baseModelHash: BASE_MODEL_HASH,
    createTrainer: (_lora, vectorLength) =>
      Promise.resolve(
        syntheticTrainer({
          vectorLength,
          numExamples: 10 + name.length,
          rng: seededRng(`train-${name}`),
          onUpdate: (update) => (last = update),
          onEvaluate: (global) => hooks.evaluated.set(name, Float32Array.from(global)),
        }),
      ),
    ...(mode === "he" ? { ckks: () => Promise.resolve(ckks) } : {}),
    pollWaitMs: 2_000,
    onEvent: (event) => {
      hooks.onEvent?.(event);
      if (event.type === "trained" && last !== undefined)
        hooks.updates.set(`${name} ${event.ref.round}.${event.ref.attempt}`, last);
    },
    faults: { beforeStage: hooks.beforeStage },
  });
}

describe.each<[PrivacyMode, string]>([
  ["secagg", "masked_input"],
  ["he", "submit"],
])("a coordinator killed with SIGKILL mid-round in %s mode", (mode, killStage) => {
  it("restarts on the same storage and port, resumes at the round in flight and ends with the plain FedAvg", async () => {
    const setup = await setUp(mode);
    const logger = quietLogger();
    /** Each site's Δ per round try, "site round.attempt" → update. */
    const updates = new Map<string, LocalUpdate>();
    const events = new Map<string, SiteEvent[]>();
    const evaluated = new Map<string, Float32Array>();
    let first: CoordinatorProcess | undefined = new CoordinatorProcess(setup.configPath);
    let second: CoordinatorProcess | undefined;
    let killed: { site: string; completedBefore: string[]; ref: RoundRef } | undefined;
    let sites: { done: Promise<SiteRunSummary>; stop(): Promise<SiteRunSummary> }[] = [];
    try {
      sites = SITES.map((name) => {
        const siteEvents: SiteEvent[] = [];
        events.set(name, siteEvents);
        return startTestSite(setup, name, mode, logger, {
          updates,
          evaluated,
          onEvent: (event) => siteEvents.push(event),
          // The first site to reach `killStage` of round KILLED_ROUND kills the coordinator (kill -9)
          // and waits for it to be gone: the round is in flight, its state only in that process's memory.
          beforeStage: async (stage, ref) => {
            if (killed !== undefined || ref.round !== KILLED_ROUND || stage !== killStage || !first)
              return "continue";
            const victim = first;
            killed = { site: name, completedBefore: victim.completed(), ref };
            victim.kill("SIGKILL");
            await victim.exited;
            return "continue";
          },
        });
      });
      const firstExit = await first.exited;
      expect(killed, `${JSON.stringify(firstExit)} ${first.log}`).toBeDefined();
      first = undefined;
      expect(firstExit).toEqual({ code: null, signal: "SIGKILL" });
      // Round KILLED_ROUND − 1 had completed, KILLED_ROUND had not.
      expect(killed?.completedBefore).toEqual([`${KILLED_ROUND - 1}.1`]);
      expect(killed?.ref).toEqual({ round: KILLED_ROUND, attempt: 1 });

      // What a kill -9 in the middle of a checkpoint write leaves (checkpoints.ts writes under these
      // names, then renames): the restarted coordinator clears it and rewrites the round's checkpoint.
      const checkpointDir = join(setup.dir, "state", "checkpoints");
      const leftovers = [
        join(checkpointDir, `.round-00000${KILLED_ROUND}.partial-999999`),
        join(checkpointDir, `.round-00000${KILLED_ROUND}.ckks.999999.tmp`),
      ];
      mkdirSync(leftovers[0] ?? "", { recursive: true });
      writeFileSync(join(leftovers[0] ?? "", "adapter_model.safetensors"), "torn");
      writeFileSync(leftovers[1] ?? "", "torn");

      second = new CoordinatorProcess(setup.configPath);
      const summaries = await Promise.all(sites.map((site) => site.done));
      const exit = await second.exited;
      expect(exit, second.log).toEqual({ code: 0, signal: null });
      const last = second.lines.at(-1);
      expect(last?.["outcome"], second.log).toBe("completed");
      // Resumed at the round in flight: round 1 not redone, round 2 retried as try 2.
      expect(second.completed()).toEqual([`${KILLED_ROUND}.2`, "3.1", "4.1"]);
      expect(summaries.map((s) => s.outcome)).toEqual(["finished", "finished", "finished"]);
      const leftKilledTry = (name: string): boolean =>
        events
          .get(name)
          ?.some((e) => e.type === "dropped" && e.ref.round === KILLED_ROUND && e.ref.attempt === 1) ?? false;
      for (const name of SITES) {
        // Each site trained round 1 once; it left the killed try on its own and came back without a restart
        // (in he mode a site that had already submitted has nothing left to leave).
        expect([...updates.keys()].filter((key) => key.startsWith(`${name} 1.`))).toEqual([`${name} 1.1`]);
        if (mode === "secagg" || name === killed?.site) expect(leftKilledTry(name), name).toBe(true);
      }

      expect(leftovers.filter((path) => existsSync(path))).toEqual([]);
      expect(readdirSync(checkpointDir).filter((name) => name.startsWith("."))).toEqual([]);
      const store = CoordinatorStore.open(join(setup.dir, "state", "coordinator.sqlite"));
      let completedTries: { round: number; attempt: number }[];
      try {
        expect(store.listRounds().map((r) => [r.round, r.attempt, r.kind, r.status, r.reason])).toEqual([
          [1, 1, "train", "completed", null],
          [2, 1, "train", "abandoned", "coordinator restarted"],
          [2, 2, "train", "completed", null],
          [3, 1, "train", "completed", null],
          [4, 1, "eval", "completed", null],
        ]);
        completedTries = store
          .listRounds()
          .filter((r) => r.kind === "train" && r.status === "completed")
          .map((r) => ({ round: r.round, attempt: r.attempt }));
        expect(store.verifyAuditChain()).toMatchObject({ ok: true });
        const starts = store.listAudit().filter((entry) => entry.action === "run_started");
        expect(starts.map((entry) => (entry.details as { resumeAfter: number }).resumeAfter)).toEqual([
          0,
          KILLED_ROUND - 1,
        ]);
      } finally {
        store.close();
      }

      // FedAvg with η = 1 over the completed tries: global += Σ n_k Δ_k / Σ n_k.
      const perTry = completedTries.map(({ round, attempt }) =>
        SITES.map((name) => {
          const update = updates.get(`${name} ${round}.${attempt}`);
          if (update === undefined) throw new Error(`${name} has no update for ${round}.${attempt}`);
          return update;
        }),
      );
      const expected = fedAvgOf(perTry);
      expect(expected.length).toBeGreaterThan(0);
      // The last try's total weight (each site's n_k is the same in every try).
      const totalWeight = (perTry.at(-1) ?? []).reduce((sum, update) => sum + update.numExamples, 0);
      if (mode === "he") {
        // The coordinator holds ciphertexts only: each site rebuilt the adapter it evaluated.
        for (const name of SITES) {
          const global = evaluated.get(name);
          if (global === undefined) throw new Error(`${name} did not evaluate`);
          for (let i = 0; i < expected.length; i++)
            expect(Math.abs((global[i] ?? 0) - (expected[i] ?? 0))).toBeLessThan(1e-5);
        }
        return;
      }
      const adapter = describeAdapter(TINY_MODEL, LORA, BASE_MODEL_HASH, null);
      const state = DurableState.open(join(setup.dir, "state"), adapter.spec);
      try {
        const checkpoint = await state.checkpoint(TRAINING_ROUNDS);
        if (checkpoint?.model.kind !== "plain") throw new Error("no plain checkpoint of the last round");
        // One codec step per site per round (crypto/codec.ts maxAbsError), divided by Σw.
        const codec = createFixedPointCodec({ clipRange: 1, maxSummands: SITES.length });
        const tolerance =
          (completedTries.length * codec.maxAbsError(SITES.length, true)) / (totalWeight / MAX_EXAMPLES) +
          1e-7;
        for (let i = 0; i < expected.length; i++) {
          expect(Math.abs((checkpoint.model.vector[i] ?? 0) - (expected[i] ?? 0))).toBeLessThan(tolerance);
        }
      } finally {
        state.close();
      }
    } finally {
      first?.kill("SIGKILL");
      second?.kill("SIGKILL");
      await Promise.all(sites.map((site) => site.stop().catch(() => undefined)));
      rmSync(setup.dir, { recursive: true, force: true });
    }
  });
});

describe.each<SiteStage>(["key_ceremony", "decrypt"])(
  "a coordinator killed with SIGKILL during he mode's %s",
  (killStage) => {
    it("restarts that step cleanly: one ceremony on record, the round retried, the sites' FedAvg right", async () => {
      const setup = await setUp("he");
      const logger = quietLogger();
      const updates = new Map<string, LocalUpdate>();
      const evaluated = new Map<string, Float32Array>();
      let first: CoordinatorProcess | undefined = new CoordinatorProcess(setup.configPath);
      let second: CoordinatorProcess | undefined;
      let killed = false;
      let sites: { done: Promise<SiteRunSummary>; stop(): Promise<SiteRunSummary> }[] = [];
      try {
        sites = SITES.map((name) =>
          startTestSite(setup, name, "he", logger, {
            updates,
            evaluated,
            // The first site to answer the ceremony's share stage, or round KILLED_ROUND's decryption,
            // kills the coordinator while that step is in flight.
            beforeStage: async (stage, ref) => {
              const inFlight =
                stage === killStage && (stage === "key_ceremony" || ref.round === KILLED_ROUND);
              if (killed || !inFlight || !first) return "continue";
              killed = true;
              const victim = first;
              victim.kill("SIGKILL");
              await victim.exited;
              return "continue";
            },
          }),
        );
        expect(await first.exited).toEqual({ code: null, signal: "SIGKILL" });
        expect(killed).toBe(true);
        first = undefined;
        second = new CoordinatorProcess(setup.configPath);
        const summaries = await Promise.all(sites.map((site) => site.done));
        const exit = await second.exited;
        expect(exit, second.log).toEqual({ code: 0, signal: null });
        expect(summaries.map((s) => s.outcome)).toEqual(["finished", "finished", "finished"]);
        const store = CoordinatorStore.open(join(setup.dir, "state", "coordinator.sqlite"));
        let completedTries: { round: number; attempt: number }[];
        try {
          // Killed mid-ceremony, nothing of it was stored: the restarted coordinator ran one new ceremony.
          expect(store.listAudit().filter((entry) => entry.action === "key_ceremony")).toHaveLength(1);
          const rounds = store.listRounds().map((r) => [r.round, r.attempt, r.kind, r.status]);
          expect(rounds).toEqual(
            killStage === "key_ceremony"
              ? [
                  [1, 1, "train", "completed"],
                  [2, 1, "train", "completed"],
                  [3, 1, "train", "completed"],
                  [4, 1, "eval", "completed"],
                ]
              : [
                  [1, 1, "train", "completed"],
                  [2, 1, "train", "abandoned"],
                  [2, 2, "train", "completed"],
                  [3, 1, "train", "completed"],
                  [4, 1, "eval", "completed"],
                ],
          );
          completedTries = store
            .listRounds()
            .filter((r) => r.kind === "train" && r.status === "completed")
            .map((r) => ({ round: r.round, attempt: r.attempt }));
          expect(store.verifyAuditChain()).toMatchObject({ ok: true });
        } finally {
          store.close();
        }
        const expected = fedAvgOf(
          completedTries.map(({ round, attempt }) =>
            SITES.map((name) => {
              const update = updates.get(`${name} ${round}.${attempt}`);
              if (update === undefined) throw new Error(`${name} has no update for ${round}.${attempt}`);
              return update;
            }),
          ),
        );
        for (const name of SITES) {
          const global = evaluated.get(name);
          if (global === undefined) throw new Error(`${name} did not evaluate`);
          for (let i = 0; i < expected.length; i++)
            expect(Math.abs((global[i] ?? 0) - (expected[i] ?? 0))).toBeLessThan(1e-5);
        }
      } finally {
        first?.kill("SIGKILL");
        second?.kill("SIGKILL");
        await Promise.all(sites.map((site) => site.stop().catch(() => undefined)));
        rmSync(setup.dir, { recursive: true, force: true });
      }
    });
  },
);
