// One federated run of the simulation: PKI, the real coordinator, site clients in child processes, faults, evaluation.
import { fork } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { setTimeout as delay } from "node:timers/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import type { SiteEvent } from "../client/node/site-client.ts";
import type { FederationConfig } from "../coordinator/config.ts";
import { startCoordinator } from "../coordinator/server.ts";
import { evaluatesAfter } from "../coordinator/round/plan.ts";
import type { CoordinatorHandle } from "../coordinator/server.ts";
import type { CoordinatorEvent, RunSummary } from "../coordinator/service/records.ts";
import { seededRng } from "../crypto/rng.ts";
import { createLoraAdapter } from "../model/lora.ts";
import { saveAdapter } from "../model/lora-folder.ts";
import type { AdapterScores } from "./baselines.ts";
import { RoundCollector } from "./collector.ts";
import { federationConfigInput, writeFederationConfig } from "./federation-config.ts";
import type { SimOptions } from "./options.ts";
import { createRunPki } from "./pki.ts";
import { loraConfigOf } from "./prepare.ts";
import type { PreparedRun } from "./prepare.ts";
import type { ProgressListener } from "./progress.ts";
import { ProtectCostCollector } from "./protect-cost.ts";
import type { EvalFigures, RoundMetrics } from "./report/metrics.ts";
import { SiteHost, decodeVector, encodeVector } from "./site-host.ts";
import type { HostCommand, HostLink, HostMessage, HostedSite, SiteHostInit } from "./site-host.ts";
import { siteDeidSecretFile } from "./datasets.ts";
import type { SiteDeidentification } from "./report/metrics.ts";
import { threadHost } from "./virtual/thread-host.ts";
import { referenceTrainerCommand } from "../client/external/reference-trainer.ts";

export interface FederatedRun {
  readonly rounds: RoundMetrics[];
  /** The final global adapter on the global test set and on each site's validation set. */
  readonly final: AdapterScores;
  /** Largest ε any site spent (null without DP). */
  readonly epsilon: number | null;
  /** Bytes the sites sent over the whole run. */
  readonly bytesSent: number;
  readonly wallTimeMs: number;
  /** The final global adapter as a PEFT folder (null when no round completed). */
  readonly adapterDir: string | null;
  /** With --phi: what each site's de-identification replaced at load, as its host reported it. */
  readonly deidentified: Readonly<Record<string, SiteDeidentification>>;
}

export interface FederatedRunOptions {
  /** Score every round's global adapter (charts); otherwise only the final one (comparison rows). */
  readonly everyRound: boolean;
}

function childHost(onMessage: (m: HostMessage) => void, onExit: (why: string) => void): HostLink {
  const child: ChildProcess = fork(new URL("./site-host-process.mjs", import.meta.url), [], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  child.on("message", (m) => onMessage(m as HostMessage));
  child.on("exit", (code, signal) => {
    if (code !== 0 && code !== null) onExit(`site host ${child.pid ?? "?"} exited with code ${code}`);
    else if (signal !== null && signal !== "SIGTERM")
      onExit(`site host ${child.pid ?? "?"} killed by ${signal}`);
  });
  return {
    post: (command) => {
      child.send(command);
    },
    close: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || !child.connected) {
          resolve();
          return;
        }
        const timer = setTimeout(() => child.kill("SIGTERM"), 30_000);
        child.once("exit", () => {
          clearTimeout(timer);
          resolve();
        });
        child.send({ type: "stop" } satisfies HostCommand);
      }),
  };
}

function inProcessHost(onMessage: (m: HostMessage) => void, logLevel: string): HostLink {
  const host = new SiteHost(onMessage, logLevel);
  let init: SiteHostInit | undefined;
  const fail = (error: unknown): void =>
    onMessage({ type: "error", message: error instanceof Error ? error.message : String(error) });
  return {
    post: (command) => {
      switch (command.type) {
        case "start":
          init = command.init;
          host.start(command.init).then(() => onMessage({ type: "ready" }), fail);
          return;
        case "evaluate":
          if (init !== undefined) host.evaluate(command, init.model, init.seqLen).catch(fail);
          return;
        case "stop":
          return;
      }
    },
    close: () => host.stop(),
  };
}

/** Sites by host: round-robin, so that each host gets a mix of large and small hospitals. */
function assignSites<T>(items: readonly T[], hosts: number): T[][] {
  const groups: T[][] = Array.from({ length: hosts }, () => []);
  items.forEach((item, i) => groups[i % hosts]?.push(item));
  return groups.filter((g) => g.length > 0);
}

/** A promise that settles from outside, for waiting on messages. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: Error) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export async function runFederated(
  prepared: PreparedRun,
  options: SimOptions,
  runDir: string,
  logger: Logger,
  progress: ProgressListener,
  runOptions: FederatedRunOptions = { everyRound: true },
): Promise<FederatedRun> {
  const started = performance.now();
  await mkdir(runDir, { recursive: true });
  const siteIds = prepared.sites.map((s) => s.siteId);
  progress({ type: "step", text: `issuing certificates for the coordinator and ${siteIds.length} sites` });
  const pki = await createRunPki(join(runDir, "pki"), siteIds);
  const storageDir = join(runDir, "coordinator-state");
  const input = federationConfigInput(
    options,
    pki,
    storageDir,
    prepared.base.hash,
    "127.0.0.1:0",
    runOptions.everyRound ? Math.min(options.evaluateEvery, options.rounds) : 0,
  );
  const config: FederationConfig = await writeFederationConfig(runDir, input);

  const collector = new RoundCollector();
  const protectCosts = new ProtectCostCollector();
  const trainingVersions: number[] = [];
  const siteFigures = new Map<number, Record<string, EvalFigures>>();
  const latestEpsilon = new Map<string, number>();
  const epsilonAtVersion = new Map<number, number>();
  const globals = new Map<number, Float32Array>();
  const testFigures = new Map<number, EvalFigures>();
  const deidentified: Record<string, SiteDeidentification> = {};
  const failure = deferred<never>();
  const sitesDone = new Set<string>();
  const allSitesDone = deferred<void>();
  let currentTrainingRound = 0;
  let evaluating = false;
  const restartRequested = deferred<void>();

  const onCoordinatorEvent = (event: CoordinatorEvent): void => {
    const done = collector.handle(event);
    switch (event.type) {
      case "round_started":
        evaluating = event.kind === "eval";
        if (event.kind === "train") currentTrainingRound = trainingVersions.length + 1;
        return;
      case "stage_started":
        // The restart fault strikes mid-round: at the first stage of the round after restartAfterRound.
        if (options.restartAfterRound > 0 && currentTrainingRound === options.restartAfterRound + 1)
          restartRequested.resolve();
        progress({
          type: "stage",
          round: currentTrainingRound,
          rounds: options.rounds,
          // In secagg and he mode the sites' counts go through SecAgg+ stages of their own.
          stage: evaluating
            ? event.stage === "collect_metrics" || event.stage === "advertise_keys"
              ? "evaluation (sites score their validation sets)"
              : `evaluation: ${event.stage}`
            : event.stage,
          expected: event.expected,
        });
        return;
      case "round_abandoned":
        progress({
          type: "fault",
          text: `round ${currentTrainingRound} try ${event.ref.attempt} abandoned: ${event.reason}`,
        });
        return;
      case "round_completed":
        if (done === undefined) return;
        trainingVersions.push(done.round);
        progress({
          type: "round",
          round: trainingVersions.length,
          rounds: options.rounds,
          participants: done.participants,
          dropouts: done.dropouts,
          wallTimeMs: done.wallTimeMs,
          globalAccuracy: null,
        });
        return;
      case "site_joined":
      case "key_ceremony":
      case "site_declined":
      case "site_presence":
      case "stage_closed":
      case "bytes":
      case "finished":
        return;
    }
  };

  const onSiteEvent = (siteId: string, event: SiteEvent): void => {
    protectCosts.handle(siteId, event);
    switch (event.type) {
      case "privacy":
        latestEpsilon.set(siteId, event.epsilon);
        return;
      case "submitted": {
        const eps = latestEpsilon.get(siteId);
        if (eps !== undefined)
          epsilonAtVersion.set(event.ref.round, Math.max(eps, epsilonAtVersion.get(event.ref.round) ?? 0));
        return;
      }
      case "evaluated": {
        // Per-site figures come from the sites' own events: the coordinator holds the totals only.
        const version = event.ref.round - 1;
        const figures = siteFigures.get(version) ?? {};
        const { accuracy, loss } = event.metrics;
        if (accuracy !== undefined && loss !== undefined) figures[siteId] = { accuracy, loss };
        siteFigures.set(version, figures);
        return;
      }
      case "declined":
        progress({ type: "fault", text: `${siteId} declined round ${event.ref.round}: ${event.reason}` });
        return;
      case "joined":
      case "stage":
      case "trained":
      case "decryption-share":
      case "dropped":
      case "finished":
        return;
    }
  };

  const onHostMessage = (message: HostMessage): void => {
    switch (message.type) {
      case "site-event":
        onSiteEvent(message.siteId, message.event);
        return;
      case "fault":
        progress({
          type: "fault",
          text: `${message.siteId} drops out at ${message.stage} (round ${currentTrainingRound})`,
        });
        return;
      case "global":
        globals.set(message.version, decodeVector(message.vector));
        return;
      case "evaluated":
        testFigures.set(message.version, message.figures);
        evaluationWaiters.get(message.version)?.resolve();
        return;
      case "site-done":
        if (message.error !== null)
          failure.reject(new Error(`site ${message.siteId} failed: ${message.error}`));
        sitesDone.add(message.siteId);
        if (sitesDone.size === siteIds.length) allSitesDone.resolve();
        return;
      case "error":
        failure.reject(new Error(`site host: ${message.message}`));
        return;
      case "deidentified":
        deidentified[message.siteId] = { replaced: message.replaced, refusedRows: message.refusedRows };
        return;
      case "ready":
        return;
    }
  };
  const evaluationWaiters = new Map<number, ReturnType<typeof deferred<void>>>();
  // Keep an unobserved rejection from crashing the process before someone awaits `failure`.
  failure.promise.catch(() => undefined);

  const coordinatorLogger = logger.child({ component: "coordinator" });
  const coordinatorRng = seededRng(`${options.seed}/coordinator`);
  // The first round waits for every site (up to joinMs), so that it picks among all of them, not
  // among the first sitesPerRound.minimum to connect.
  const start = (cfg: FederationConfig): Promise<CoordinatorHandle> =>
    startCoordinator(cfg, {
      logger: coordinatorLogger,
      rng: coordinatorRng,
      onEvent: onCoordinatorEvent,
      sitesToStart: siteIds.length,
    });
  progress({
    type: "step",
    text: `starting the coordinator (${options.privacy}, ${options.strategy}) on loopback gRPC with mutual TLS`,
  });
  let coordinator = await start(config);
  // A restart must come back on the same port: the sites keep dialling the address they know, by
  // the name on the coordinator's certificate (TLS does not use IP addresses as server names).
  const port = coordinator.address.slice(coordinator.address.lastIndexOf(":") + 1);
  const restartConfig: FederationConfig = { ...config, listen: `127.0.0.1:${port}` };
  const siteAddress = `localhost:${port}`;

  // One process per site by default: a site's event loop then never waits on another site's
  // synchronous tensor work (which would make its long-polls miss their deadlines).
  // Virtual sites: about one thread per core, each hosting many sites.
  const defaultHosts = options.isolation === "thread" ? availableParallelism() : siteIds.length;
  const hostCount = options.workers === 0 ? 1 : Math.min(options.workers ?? defaultHosts, siteIds.length);
  const hosted: HostedSite[] = prepared.sites.map((s, i) => {
    const files = prepared.files.sites.get(s.siteId);
    const identity = pki.sites.get(s.siteId);
    if (files === undefined || identity === undefined)
      throw new Error(`no files or identity for ${s.siteId}`);
    return {
      siteId: s.siteId,
      salt: (i + 1) * 0x9e3779b1,
      trainFile: options.trainFormat === "mcq" ? files.trainMcq : files.train,
      validationFile: files.validationMcq,
      stateDir: join(runDir, "sites", s.siteId),
      certFile: identity.cert,
      keyFile: identity.key,
      slowMs: i < options.slowSites ? options.slowMs : 0,
      ...(options.phi ? { deidSecretFile: siteDeidSecretFile(files) } : {}),
      ...(i >= prepared.sites.length - options.externalSites
        ? {
            externalTrainer:
              options.externalTrainer === undefined
                ? referenceTrainerCommand()
                : { command: options.externalTrainer, cwd: process.cwd(), timeoutSeconds: 3600, env: {} },
          }
        : {}),
    };
  });
  const logLevel = process.env.FEDTUNE_SITE_LOG_LEVEL ?? "warn";
  progress({
    type: "step",
    text: `starting ${siteIds.length} site clients in ${options.workers === 0 ? "this process" : `${hostCount} ${options.isolation === "thread" ? "worker threads" : "processes"}`}`,
  });
  const hosts: HostLink[] = assignSites(hosted, hostCount).map((sites) => {
    const fail = (why: string): void => failure.reject(new Error(why));
    const link =
      options.workers === 0
        ? inProcessHost(onHostMessage, logLevel)
        : options.isolation === "thread"
          ? threadHost(onHostMessage, fail)
          : childHost(onHostMessage, fail);
    link.post({
      type: "start",
      init: {
        coordinator: siteAddress,
        caCertFile: pki.caCert,
        model: options.model,
        seqLen: options.seqLen,
        seed: options.seed,
        he: options.privacy === "he",
        dropout: options.dropout,
        dropoutStage: options.dropoutStage,
        sites,
        logLevel,
      },
    });
    return link;
  });

  let summary: RunSummary | undefined;
  try {
    let restarted = options.restartAfterRound === 0;
    while (summary === undefined) {
      const outcome = await Promise.race([
        coordinator.done.then((s) => ({ kind: "done" as const, summary: s })),
        restarted
          ? new Promise<never>(() => undefined)
          : restartRequested.promise.then(() => ({ kind: "restart" as const })),
        failure.promise,
      ]);
      if (outcome.kind === "done") {
        summary = outcome.summary;
        break;
      }
      restarted = true;
      progress({
        type: "fault",
        text: `stopping the coordinator in the middle of round ${currentTrainingRound}`,
      });
      await coordinator.stop();
      coordinator = await start(restartConfig);
      progress({
        type: "step",
        text: `coordinator restarted from ${storageDir}; sites reconnect with backoff`,
      });
    }
    if (summary.outcome !== "completed")
      throw new Error(`the federation ${summary.outcome}: ${summary.reason}`);
    // Sites learn the run is over at their next poll.
    await Promise.race([allSitesDone.promise, delay(30_000), failure.promise]);

    const versions = trainingVersions.filter((_, i) =>
      evaluatesAfter(i + 1, trainingVersions.length, runOptions.everyRound ? options.evaluateEvery : 0),
    );
    progress({
      type: "step",
      text: `scoring ${versions.length} global adapter${versions.length === 1 ? "" : "s"} on the global test set`,
    });
    const waits: Promise<void>[] = [];
    const groups = assignSites(versions, hosts.length);
    groups.forEach((group, i) => {
      const items = group.flatMap((version) => {
        const vector = globals.get(version);
        if (vector === undefined) return [];
        const waiter = deferred<void>();
        evaluationWaiters.set(version, waiter);
        waits.push(waiter.promise);
        return [{ version, vector: encodeVector(vector) }];
      });
      hosts[i]?.post({
        type: "evaluate",
        testFile: prepared.files.testMcq,
        lora: loraConfigOf(options),
        items,
      });
    });
    await Promise.race([Promise.all(waits), failure.promise]);
  } finally {
    await coordinator.stop();
    await Promise.all(hosts.map((h) => h.close()));
  }

  let cumulativeEpsilon = 0;
  const rounds: RoundMetrics[] = collector.rounds.map((p, i) => {
    cumulativeEpsilon = Math.max(cumulativeEpsilon, epsilonAtVersion.get(p.round) ?? 0);
    return {
      round: i + 1,
      global: testFigures.get(p.round) ?? null,
      perSite: siteFigures.get(p.round) ?? {},
      epsilon: options.dp === "none" ? null : cumulativeEpsilon,
      bytesSent: p.bytesSent,
      bytesReceived: p.bytesReceived,
      participants: p.participants,
      dropouts: p.dropouts,
      stageDurationsMs: p.stageDurationsMs,
      wallTimeMs: p.wallTimeMs,
      protectOverTrain: protectCosts.ratiosOf(p.round),
    };
  });
  const lastVersion = trainingVersions[trainingVersions.length - 1];
  const finalVector = lastVersion === undefined ? undefined : globals.get(lastVersion);
  let adapterDir: string | null = null;
  if (finalVector !== undefined) {
    adapterDir = join(runDir, "adapter");
    const adapter = createLoraAdapter(prepared.base.model, loraConfigOf(options));
    try {
      adapter.assign(finalVector);
      await saveAdapter(adapterDir, adapter, { baseModelNameOrPath: options.model });
    } finally {
      adapter.dispose();
    }
  }
  const last = rounds[rounds.length - 1];
  return {
    rounds,
    final: {
      global: (lastVersion === undefined ? undefined : testFigures.get(lastVersion)) ?? {
        accuracy: Number.NaN,
        loss: Number.NaN,
      },
      perSite: last?.perSite ?? {},
    },
    epsilon: options.dp === "none" ? null : cumulativeEpsilon,
    bytesSent: rounds.reduce((sum, r) => sum + r.bytesSent, 0),
    wallTimeMs: performance.now() - started,
    adapterDir,
    deidentified,
  };
}
