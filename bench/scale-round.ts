// Aggregation-only secagg rounds at scale (100 … 1,000 sites) in one process over the in-memory transport, with dropouts after key sharing.
//
// Usage: node --expose-gc bin/run-ts.mjs bench/scale-round.ts [--sites 100,300,1000] [--dim 100000] [--dropout 0.1]
//        [--deadline-ms 15000]
// Everything runs in this process: the real coordinator (SQLite store, checkpoints, audit log) and n real
// site clients, over the in-memory transport (serialized protobuf, the same edge checks as gRPC, the
// certificate check of the TLS handshake, no sockets or TLS records). Every site submits the same
// precomputed Δ, so the round measures the protocol alone and its result is checkable: FedAvg of equal
// updates is that update. A `dropout` share of the sites (every k-th) vanishes after sharing its keys
// (before its masked input): the unmask stage must recover their pairwise masks from Shamir shares.
// The masked-input stage then waits out its deadline (--deadline-ms) for them, as a coordinator must;
// `deadlineWaitMs` reports that idle wait and `roundMsWithoutDeadlineWait` the round's own work.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { startSiteClient } from "../client/node/site-client.ts";
import type { LocalTrainer } from "../client/node/trainer.ts";
import { dialInMemory } from "../client/transport/in-memory.ts";
import { createCa, issueCertificate } from "../coordinator/pki/index.ts";
import { startCoordinator } from "../coordinator/server.ts";
import { serveInMemory } from "../coordinator/transport/in-memory.ts";
import { seededRng } from "../crypto/rng.ts";
import { createInMemoryNetwork } from "../proto/transport.ts";
import { adapterOfDimension, dropsOutAt } from "./bench-adapter.ts";
import { benchRoundConfig } from "./round-config.ts";

const HASH = "ef".repeat(32);

function numberArg(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}

async function runOnce(
  sites: number,
  dim: number,
  dropout: number,
  deadlineMs: number,
): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), "fedtune-scale-"));
  const logger = pino({ level: "silent" });
  const setupStarted = performance.now();
  const ca = await createCa({ commonName: "scale bench" });
  const coordinatorCert = await issueCertificate(ca, { role: "coordinator", name: "coordinator" });
  const names = Array.from({ length: sites }, (_, i) => `site-${String(i).padStart(4, "0")}`);
  const identities = await Promise.all(
    names.map(async (name) => {
      const issued = await issueCertificate(ca, { role: "site", name });
      return { caPem: ca.certPem, certPem: issued.certPem, keyPem: issued.keyPem };
    }),
  );
  const { lora, adapter } = adapterOfDimension(dim, HASH);
  const d = adapter.vectorLength;
  const rng = seededRng("scale-delta");
  const delta = new Float32Array(d);
  for (let i = 0; i < d; i++) delta[i] = (rng.nextFloat64() * 2 - 1) * 0.01;
  const drops = (index: number): boolean => dropsOutAt(index, dropout);
  const dropped = names.filter((_, i) => drops(i)).length;
  const config = benchRoundConfig({
    mode: "secagg",
    sites,
    lora,
    baseModelHash: HASH,
    listen: "scale-bench:0",
    dir,
    maskedInputDeadlineMs: deadlineMs,
  });
  const network = createInMemoryNetwork();
  global.gc?.();
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 20);
  const stageMs: Record<string, number> = {};
  let stageStarted = 0;
  let roundStarted = 0;
  let roundMs = 0;
  let roundCpu = process.cpuUsage();
  let roundCpuMs = 0;
  let lastMaskedInputAt = 0;
  let currentStage = "";
  let maskedInputClosedAt = 0;
  const handle = await startCoordinator(config, {
    logger,
    tls: { caPem: ca.certPem, certPem: coordinatorCert.certPem, keyPem: coordinatorCert.keyPem },
    revocations: () => ({ fingerprints: new Set(), serialNumbers: new Set() }),
    adapter,
    serve: serveInMemory(network),
    sitesToStart: sites,
    rng: seededRng("scale-coordinator"),
    onEvent: (event) => {
      if (event.type === "round_started" && event.kind === "train") {
        roundStarted = performance.now();
        roundCpu = process.cpuUsage();
      }
      if (event.type === "stage_started") {
        stageStarted = performance.now();
        currentStage = event.stage;
      }
      // The training round's last masked input received: from then on the stage only waits for the dropped sites.
      if (
        event.type === "bytes" &&
        event.direction === "in" &&
        currentStage === "masked_input" &&
        roundMs === 0
      )
        lastMaskedInputAt = performance.now();
      if (event.type === "stage_closed" && roundMs === 0) {
        stageMs[event.stage] = Math.round(performance.now() - stageStarted);
        if (event.stage === "masked_input") maskedInputClosedAt = performance.now();
      }
      if (event.type === "round_completed" && event.kind === "train") {
        roundMs = performance.now() - roundStarted;
        const cpu = process.cpuUsage(roundCpu);
        roundCpuMs = (cpu.user + cpu.system) / 1000;
      }
    },
  });
  const setupMs = performance.now() - setupStarted;
  let maxAbsError = 0;
  const dial = dialInMemory(network);
  const trainer: LocalTrainer = {
    vectorLength: d,
    trainExamples: 100,
    initialGlobal: () => new Float32Array(d),
    train: () => Promise.resolve({ delta: Float32Array.from(delta), numExamples: 100, trainLoss: 1 }),
    evaluate: ({ global }) => {
      for (let i = 0; i < d; i++)
        maxAbsError = Math.max(maxAbsError, Math.abs((global[i] ?? 0) - (delta[i] ?? 0)));
      return Promise.resolve({ numExamples: 100, metrics: { loss: 1 } });
    },
    dispose: () => undefined,
  };
  const clients = names.map((name, i) =>
    startSiteClient({
      coordinator: handle.address,
      stateDir: join(dir, "sites", name),
      tls: identities[i] as (typeof identities)[number],
      dial,
      logger,
      rng: seededRng(`scale-${name}`),
      baseModelHash: HASH,
      createTrainer: () => Promise.resolve(trainer),
      pollWaitMs: 5_000,
      faults: {
        beforeStage: (stage) => (stage === "masked_input" && drops(i) ? "drop" : "continue"),
      },
    }),
  );
  const summary = await handle.done;
  clearInterval(sampler);
  await handle.drain(10_000);
  await Promise.all(clients.map((client) => client.stop()));
  await handle.stop();
  rmSync(dir, { recursive: true, force: true });
  const deadlineWaitMs = dropped > 0 ? Math.max(0, maskedInputClosedAt - lastMaskedInputAt) : 0;
  return {
    bench: "scale-round",
    transport: "in-memory",
    mode: "secagg",
    sites,
    dim: d,
    dropped,
    outcome: summary.outcome,
    setupMs: Math.round(setupMs),
    roundMs: Math.round(roundMs),
    deadlineWaitMs: Math.round(deadlineWaitMs),
    roundMsWithoutDeadlineWait: Math.round(roundMs - deadlineWaitMs),
    // CPU time of the whole process (coordinator and every site) during the round: on a shared
    // machine, wall time depends on the other tenants; CPU time / cores bounds the idle-machine wall time.
    roundCpuMs: Math.round(roundCpuMs),
    stageMs,
    // FedAvg of n equal updates is that update: the error is the fixed-point quantization's.
    maxAbsErrorOfAggregate: Number(maxAbsError.toExponential(2)),
    processPeakRssMiB: Number((peakRss / 2 ** 20).toFixed(1)),
  };
}

const siteCounts = (
  process.argv.includes("--sites")
    ? (process.argv[process.argv.indexOf("--sites") + 1] ?? "")
    : "100,300,1000"
)
  .split(",")
  .map(Number);
const dim = numberArg("dim", 100_000);
const dropout = numberArg("dropout", 0.1);
const deadlineMs = numberArg("deadline-ms", 15_000);
for (const sites of siteCounts) console.log(JSON.stringify(await runOnce(sites, dim, dropout, deadlineMs)));
