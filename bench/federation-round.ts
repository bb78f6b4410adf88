// Aggregation-only federation rounds (synthetic updates; real protocol, TLS and gRPC): time, bytes and memory per privacy mode.
//
// Usage: node --expose-gc bin/run-ts.mjs bench/federation-round.ts [--sites 10,50] [--dim 1048576] [--modes none,secagg,he]
//        [--dropout 0.1 --deadline-ms 15000]
//   [--cpu-profile DIR] (a V8 CPU profile of the coordinator's thread over the training round, per row:
//   DIR/<mode>-<sites>.cpuprofile; the profiler's own cost is in that row's CPU figures)
// The coordinator runs in this process (its peak RSS is what "coordinator memory" reports); the n site
// clients run together in one child process, so that the two processes' resident memory tells the
// coordinator's from the sites' (simulationPeakRssMiB: both, sampled together), and they share that
// process's CPU: round times are
// wall times on this machine with every site's protect step serialized behind the others'.
// To tell that apart from the protocol's own cost, each row also reports what it measures directly:
// the wall time and coordinator CPU of every stage of the round (stageMs, stageCoordinatorCpuMs), the
// sites' own protect time summed over the n sites and for the slowest one (sitesProtectMsTotal,
// sitesProtectMsMaxSite: work that runs in parallel on n machines in a deployment), and the CPU time
// of the site process during the round (sitesProcessCpuMs). Ratios compare rows of the same run.
// With --dropout (secagg), that share of the sites (every k-th) vanishes after sharing its keys, as in
// bench/scale-round.ts, and the masked-input stage waits --deadline-ms for them.
// Coordinator CPU excludes this bench's own memory sampler (its RSS reads and forced collections run on the
// coordinator's thread; their CPU is measured tick by tick and subtracted, and reported as benchSamplerCpuMs).
import { fork } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { startSiteClient } from "../client/node/site-client.ts";
import { syntheticTrainer, type LocalTrainer } from "../client/node/trainer.ts";
import { dialGrpc } from "../client/transport/grpc.ts";
import { createCa, issueCertificate } from "../coordinator/pki/index.ts";
import { startCoordinator } from "../coordinator/server.ts";
import { createCkksContext, loadSeal } from "../crypto/ckks/context.ts";
import { seededRng } from "../crypto/rng.ts";
import type { PrivacyMode } from "../proto/messages.ts";
import type { TlsIdentity } from "../proto/transport.ts";
import { adapterOfDimension, dropsOutAt } from "./bench-adapter.ts";
import { mib, peakResidentBytes, resetPeakResident, residentBytes } from "./process-memory.ts";
import { benchRoundConfig } from "./round-config.ts";

const HASH = "cd".repeat(32);
interface ChildInit {
  readonly address: string;
  readonly mode: PrivacyMode;
  readonly sites: readonly (TlsIdentity & { name: string })[];
  readonly dir: string;
  readonly dim: number;
  readonly dropout: number;
}

interface ChildResult {
  readonly sentBytes: number[];
  /** What each site downloaded over the run (a key holder's decryption input included). */
  readonly receivedBytes: number[];
  readonly roundsContributed: number[];
  /** Per site, its protect time in the training round (SiteEvent "submitted".protectMs). */
  readonly protectMs: number[];
  /** Per site, its decryption share's protect time (he key holders asked to answer; 0 otherwise). */
  readonly decryptionShareMs: number[];
  /** CPU time of the site process (all n sites) from the first site's training step to the last submission. */
  readonly processCpuMs: number;
  /** The site process's resident memory before any site was created, and its peak after. */
  readonly baseRssBytes: number;
  readonly peakRssBytes: number;
}

/** "Training" returns a Δ drawn before any site joins, so round times measure the protocol alone. */
async function precomputedTrainer(vectorLength: number, name: string): Promise<LocalTrainer> {
  const source = syntheticTrainer({ vectorLength, numExamples: 100, rng: seededRng(`delta-${name}`) });
  const update = await source.train({
    global: new Float32Array(0),
    settings: { localSteps: 0, batchSize: 1, learningRate: 0, maxSeqLen: 1, fedproxMu: 0, seed: 0 },
    recordDp: undefined,
    signal: new AbortController().signal,
  });
  return { ...source, train: () => Promise.resolve(update) };
}

/** Child process: every site client of one run. */
async function runSites(init: ChildInit): Promise<void> {
  const logger = pino({ level: "silent" });
  global.gc?.();
  const baseRssBytes = process.memoryUsage.rss();
  resetPeakResident();
  const ckks = init.mode === "he" ? createCkksContext(await loadSeal()) : undefined;
  const trainers = new Map<string, LocalTrainer>();
  for (const site of init.sites) trainers.set(site.name, await precomputedTrainer(init.dim, site.name));
  const protectMs = new Map<string, number>();
  const decryptionShareMs = new Map<string, number>();
  let cpuAtFirstStep: NodeJS.CpuUsage | undefined;
  let processCpuMs = 0;
  const submitting = init.sites.filter((_, i) => !dropsOutAt(i, init.dropout)).length;
  const clients = init.sites.map((site, i) =>
    startSiteClient({
      coordinator: init.address,
      stateDir: join(init.dir, "sites", site.name),
      tls: site,
      dial: dialGrpc,
      logger,
      rng: seededRng(`bench-${site.name}`),
      baseModelHash: HASH,
      createTrainer: () => Promise.resolve(trainers.get(site.name) as LocalTrainer),
      ...(ckks === undefined ? {} : { ckks: () => Promise.resolve(ckks) }),
      pollWaitMs: 5_000,
      faults: {
        beforeStage: (stage) =>
          stage === "masked_input" && dropsOutAt(i, init.dropout) ? "drop" : "continue",
      },
      onEvent: (event) => {
        if (event.type === "stage" && event.stage === "train") cpuAtFirstStep ??= process.cpuUsage();
        if (event.type === "decryption-share") decryptionShareMs.set(site.name, event.protectMs);
        if (event.type === "submitted") {
          protectMs.set(site.name, event.protectMs);
          if (protectMs.size === submitting && cpuAtFirstStep !== undefined) {
            const cpu = process.cpuUsage(cpuAtFirstStep);
            processCpuMs = (cpu.user + cpu.system) / 1000;
          }
        }
      },
    }),
  );
  const summaries = await Promise.all(clients.map((client) => client.done));
  const result: ChildResult = {
    sentBytes: summaries.map((s) => s.sentBytes),
    receivedBytes: summaries.map((s) => s.receivedBytes),
    roundsContributed: summaries.map((s) => s.roundsContributed),
    protectMs: init.sites.map((site) => protectMs.get(site.name) ?? 0),
    decryptionShareMs: init.sites.map((site) => decryptionShareMs.get(site.name) ?? 0),
    processCpuMs,
    baseRssBytes,
    peakRssBytes: peakResidentBytes(),
  };
  process.send?.(result);
  ckks?.dispose();
}

/** Profiles this thread between start() and stop(); inert without a folder. */
function coordinatorProfiler(dir: string | undefined, name: string) {
  const session = dir === undefined ? undefined : new Session();
  session?.connect();
  let started: Promise<unknown> = Promise.resolve();
  return {
    start: () => {
      if (session === undefined) return;
      started = session.post("Profiler.enable").then(() => session.post("Profiler.start"));
    },
    stop: async () => {
      if (session === undefined || dir === undefined) return;
      await started;
      const { profile } = await session.post("Profiler.stop");
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
      session.disconnect();
    },
  };
}

interface RunOptions {
  readonly dim: number;
  readonly dropout: number;
  readonly deadlineMs: number;
  readonly profileDir: string | undefined;
}

async function runOnce(
  mode: PrivacyMode,
  sites: number,
  { dim, dropout, deadlineMs, profileDir }: RunOptions,
): Promise<Record<string, unknown>> {
  const profiler = coordinatorProfiler(profileDir, `${mode}-${sites}`);
  let profileWritten: Promise<void> = Promise.resolve();
  const dir = mkdtempSync(join(tmpdir(), "fedtune-bench-"));
  const logger = pino({ level: "silent" });
  const ca = await createCa({ commonName: "bench" });
  const coordinatorCert = await issueCertificate(ca, { role: "coordinator", name: "coordinator" });
  const siteCerts = await Promise.all(
    Array.from({ length: sites }, async (_, i) => {
      const name = `site-${String(i).padStart(3, "0")}`;
      const issued = await issueCertificate(ca, { role: "site", name });
      return { name, caPem: ca.certPem, certPem: issued.certPem, keyPem: issued.keyPem };
    }),
  );
  const { lora, adapter } = adapterOfDimension(dim, HASH);
  const config = benchRoundConfig({
    mode,
    sites,
    lora,
    baseModelHash: HASH,
    listen: "127.0.0.1:0",
    dir,
    ...(dropout > 0 ? { maskedInputDeadlineMs: deadlineMs } : {}),
  });
  const ckks = mode === "he" ? createCkksContext(await loadSeal()) : undefined;
  global.gc?.();
  const baselineRss = process.memoryUsage.rss();
  // Memory is measured over the whole run (joins included); CPU over the training round.
  resetPeakResident();
  let peakSimulationRss = baselineRss;
  // The site process, once forked (0 before).
  let sitesPid = 0;
  let roundMs = 0;
  let roundStarted = 0;
  let cpuAtStart = process.cpuUsage();
  let coordinatorCpuMs = 0;
  let sampling = false;
  // Per stage of the training round: wall time and coordinator CPU from stage_started to stage_closed;
  // "complete" runs from the last stage_closed to round_completed (strategy, checkpoint, audit record).
  const stageMs: Record<string, number> = {};
  const stageCpuMs: Record<string, number> = {};
  // CPU ms of the sampler's own ticks so far, subtracted from every coordinator CPU figure.
  let samplerCpuMs = 0;
  let samplerCpuAtStart = 0;
  const cpuMsSince = (since: NodeJS.CpuUsage): number => {
    const cpu = process.cpuUsage(since);
    return (cpu.user + cpu.system) / 1000;
  };
  let mark = { at: 0, cpu: process.cpuUsage(), samplerCpuMs };
  const sinceMark = (): { ms: number; cpuMs: number } => ({
    ms: Math.round(performance.now() - mark.at),
    cpuMs: Math.round(cpuMsSince(mark.cpu) - (samplerCpuMs - mark.samplerCpuMs)),
  });
  // With --expose-gc, every 250 ms a full collection first, so that the live peak (heap + external,
  // which holds the update buffers and the SEAL heap) is told apart from garbage awaiting collection.
  let peakLive = 0;
  let ticks = 0;
  const sampler = setInterval(() => {
    const tickStarted = process.cpuUsage();
    // memoryUsage.rss() reads the RSS alone (memoryUsage() also walks the heap spaces): 100 calls a second;
    // the site process's from /proc at the same instant, so that the sum is the whole simulation's.
    const sitesRss = sitesPid === 0 ? 0 : residentBytes(sitesPid);
    peakSimulationRss = Math.max(peakSimulationRss, process.memoryUsage.rss() + sitesRss);
    if (global.gc !== undefined && ++ticks % 25 === 0) {
      global.gc();
      const usage = process.memoryUsage();
      peakLive = Math.max(peakLive, usage.heapUsed + usage.external);
    }
    samplerCpuMs += cpuMsSince(tickStarted);
  }, 10);
  // Progress on stderr (stdout stays JSON): where a long run is, and both processes' memory there.
  const runStarted = performance.now();
  const progress = (at: string): void => {
    const sitesRss = sitesPid === 0 ? 0 : residentBytes(sitesPid);
    console.error(
      JSON.stringify({
        sites,
        at,
        s: Math.round((performance.now() - runStarted) / 1000),
        coordinatorRssMiB: mib(process.memoryUsage.rss()),
        sitesRssMiB: mib(sitesRss),
      }),
    );
  };
  const progressTimer = setInterval(() => progress("…"), 15_000);
  const handle = await startCoordinator(config, {
    logger,
    tls: { caPem: ca.certPem, certPem: coordinatorCert.certPem, keyPem: coordinatorCert.keyPem },
    revocations: () => ({ fingerprints: new Set(), serialNumbers: new Set() }),
    adapter,
    ...(ckks === undefined ? {} : { ckks }),
    sitesToStart: sites,
    rng: seededRng("bench-coordinator"),
    onEvent: (event) => {
      if (event.type === "round_started") progress(`${event.kind} round`);
      if (event.type === "stage_started") progress(event.stage);
      if (event.type === "round_started" && event.kind === "train") {
        roundStarted = performance.now();
        cpuAtStart = process.cpuUsage();
        samplerCpuAtStart = samplerCpuMs;
        sampling = true;
        profiler.start();
      }
      if (!sampling) return;
      if (event.type === "stage_started")
        mark = { at: performance.now(), cpu: process.cpuUsage(), samplerCpuMs };
      if (event.type === "stage_closed" || event.type === "round_completed") {
        const name = event.type === "stage_closed" ? event.stage : "complete";
        const { ms, cpuMs } = sinceMark();
        stageMs[name] = ms;
        stageCpuMs[name] = cpuMs;
        mark = { at: performance.now(), cpu: process.cpuUsage(), samplerCpuMs };
      }
      if (event.type === "round_completed" && event.kind === "train") {
        roundMs = performance.now() - roundStarted;
        coordinatorCpuMs = cpuMsSince(cpuAtStart) - (samplerCpuMs - samplerCpuAtStart);
        sampling = false;
        profileWritten = profiler.stop();
      }
    },
  });
  const child = fork(
    fileURLToPath(new URL("../bin/run-ts.mjs", import.meta.url)),
    [fileURLToPath(import.meta.url), "--child"],
    {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    },
  );
  sitesPid = child.pid ?? 0;
  const childResult = new Promise<ChildResult>((resolve, reject) => {
    child.once("message", (message) => resolve(message as ChildResult));
    child.once("exit", (code) =>
      code === 0 ? undefined : reject(new Error(`site process exited with ${code}`)),
    );
  });
  child.send({
    address: handle.address,
    mode,
    sites: siteCerts,
    dir,
    dim: adapter.vectorLength,
    dropout,
  } satisfies ChildInit);
  const summary = await handle.done;
  const result = await childResult;
  await profileWritten;
  clearInterval(sampler);
  clearInterval(progressTimer);
  const coordinatorPeakRss = peakResidentBytes();
  await handle.stop();
  ckks?.dispose();
  rmSync(dir, { recursive: true, force: true });
  // The real length: adapterOfDimension may round --dim.
  const rawBytes = adapter.vectorLength * 4;
  const contributing = result.sentBytes.filter((_, i) => (result.roundsContributed[i] ?? 0) > 0);
  const meanSent = contributing.reduce((a, b) => a + b, 0) / Math.max(1, contributing.length);
  return {
    bench: "federation-round",
    mode,
    sites,
    dim: adapter.vectorLength,
    dropped: Array.from({ length: sites }, (_, i) => i).filter((i) => dropsOutAt(i, dropout)).length,
    outcome: summary.outcome,
    roundMs: Math.round(roundMs),
    coordinatorCpuMs: Math.round(coordinatorCpuMs),
    benchSamplerCpuMs: Math.round(samplerCpuMs - samplerCpuAtStart),
    // Wall time and coordinator CPU of each stage of the round, in order ("complete": aggregation,
    // checkpoint and audit record after the last stage closed).
    stageMs,
    stageCoordinatorCpuMs: stageCpuMs,
    // Measured at the sites (all n in one process, sharing this machine's cores with the coordinator):
    // each site's own protect work this round (clip, weight, encode, key agreement, Shamir, masks,
    // signatures, CKKS encryption), summed over the sites and the largest single site; and the CPU time
    // of the whole site process (protect work plus transport and polling) during the round.
    sitesProtectMsTotal: Math.round(result.protectMs.reduce((a, b) => a + b, 0)),
    sitesProtectMsMaxSite: Math.round(Math.max(0, ...result.protectMs)),
    sitesProcessCpuMs: Math.round(result.processCpuMs),
    // he: the slowest key holder's decryption share (check, share, sealing), protect work after its upload.
    sitesDecryptionShareMsMax: Math.round(Math.max(0, ...result.decryptionShareMs)),
    bytesPerSite: Math.round(meanSent),
    bytesPerSiteOverRaw: Number((meanSent / rawBytes).toFixed(3)),
    // Downloads over the run (ceremony, key material, global adapter, and for he key holders the decryption
    // input): the largest site's is a holder's in he mode.
    bytesReceivedPerSiteMaxOverRaw: Number((Math.max(0, ...result.receivedBytes) / rawBytes).toFixed(3)),
    // The coordinator's side of the same traffic over the run, all sites together: with bench/grpc-transport.ts's
    // CPU per byte received and sent, the least CPU any coordinator moving these bytes can spend.
    coordinatorBytesIn: result.sentBytes.reduce((a, b) => a + b, 0),
    coordinatorBytesOut: result.receivedBytes.reduce((a, b) => a + b, 0),
    // Peaks over the whole run. The coordinator's is this process's (the kernel's VmHWM, from the
    // baseline after a collection), which also holds the bench's own site certificates and results.
    coordinatorPeakRssMiB: mib(coordinatorPeakRss),
    coordinatorRssGrowthMiB: mib(coordinatorPeakRss - baselineRss),
    coordinatorRssGrowthPerSiteMiB: Number(((coordinatorPeakRss - baselineRss) / 2 ** 20 / sites).toFixed(3)),
    ...(global.gc === undefined ? {} : { coordinatorPeakLiveMiB: mib(peakLive) }),
    // The site process: before any site existed (Node, the modules) and its peak.
    sitesProcessBaseRssMiB: mib(result.baseRssBytes),
    sitesProcessPeakRssMiB: mib(result.peakRssBytes),
    sitesRssPerSiteMiB: Number(((result.peakRssBytes - result.baseRssBytes) / 2 ** 20 / sites).toFixed(3)),
    // Both processes' RSS read together every 10 ms: the whole simulation's peak, and what it holds
    // beyond the coordinator's peak per site.
    simulationPeakRssMiB: mib(peakSimulationRss),
    simulationMinusCoordinatorPerSiteMiB: Number(
      ((peakSimulationRss - coordinatorPeakRss) / 2 ** 20 / sites).toFixed(3),
    ),
  };
}

function listArg(name: string, fallback: string): string[] {
  const index = process.argv.indexOf(`--${name}`);
  return (index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback).split(",");
}

if (process.argv.includes("--child")) {
  process.once("message", (init) => {
    runSites(init as ChildInit).then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
} else {
  const siteCounts = listArg("sites", "10,50").map(Number);
  const options: RunOptions = {
    dim: Number(listArg("dim", String(2 ** 20))[0]),
    dropout: Number(listArg("dropout", "0")[0]),
    deadlineMs: Number(listArg("deadline-ms", "15000")[0]),
    profileDir: process.argv.includes("--cpu-profile") ? listArg("cpu-profile", "")[0] : undefined,
  };
  const modes = listArg("modes", "none,secagg,he") as PrivacyMode[];
  const rowsOf = new Map<PrivacyMode, Record<string, unknown>[]>();
  for (const sites of siteCounts) {
    const rows: Record<string, unknown>[] = [];
    for (const mode of modes) {
      const row = await runOnce(mode, sites, options);
      rows.push(row);
      rowsOf.set(mode, [...(rowsOf.get(mode) ?? []), row]);
      console.log(JSON.stringify(row));
    }
    const none = rows.find((row) => row["mode"] === "none");
    for (const row of rows) {
      if (none === undefined || row === none) continue;
      console.log(
        JSON.stringify({
          bench: "federation-round-ratio",
          mode: row["mode"],
          sites,
          roundTimeOverNone: Number(((row["roundMs"] as number) / (none["roundMs"] as number)).toFixed(2)),
          coordinatorCpuOverNone: Number(
            ((row["coordinatorCpuMs"] as number) / (none["coordinatorCpuMs"] as number)).toFixed(2),
          ),
          coordinatorPeakRssOverNone: Number(
            ((row["coordinatorPeakRssMiB"] as number) / (none["coordinatorPeakRssMiB"] as number)).toFixed(2),
          ),
        }),
      );
    }
  }
  // What each site added between consecutive site counts, per mode: the coordinator's peak and the whole simulation's.
  for (const [mode, rows] of rowsOf) {
    for (let i = 1; i < rows.length; i++) {
      const [from, to] = [rows[i - 1], rows[i]] as [Record<string, unknown>, Record<string, unknown>];
      const added = (to["sites"] as number) - (from["sites"] as number);
      const perSite = (key: string): number =>
        Number((((to[key] as number) - (from[key] as number)) / added).toFixed(3));
      console.log(
        JSON.stringify({
          bench: "federation-round-memory-per-site",
          mode,
          fromSites: from["sites"],
          toSites: to["sites"],
          coordinatorPeakRssMiBPerSite: perSite("coordinatorPeakRssMiB"),
          simulationPeakRssMiBPerSite: perSite("simulationPeakRssMiB"),
        }),
      );
    }
  }
}
