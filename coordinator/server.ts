// The coordinator's composition root: store, strategy, round service, transport, metrics — and its handle.
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "pino";
import { createCkksContext, loadSeal, type CkksContext } from "../crypto/ckks/context.ts";
import { cryptoRng, type Rng } from "../crypto/rng.ts";
import type { LlamaConfig } from "../model/config.ts";
import { hashBaseModel, readBaseModelConfig } from "../model/model-dir.ts";
import { loraFlatLength, type LoraConfig } from "../model/peft.ts";
import { readinessFlag } from "../proto/http-probes.ts";
import type { ServeFunction, TlsIdentity } from "../proto/transport.ts";
import { initialGlobalVector, type AdapterSpec } from "../model/peft-export.ts";
import { ConfigError, type FederationConfig } from "./config.ts";
import { publicError } from "./transport/edge.ts";
import {
  createCoordinatorMetrics,
  startMetricsServer,
  type CoordinatorMetrics,
  type MetricsServer,
} from "./metrics.ts";
import { openRevocationSource, readCrlDer, type Revocations } from "./pki/index.ts";
import { pkiAuthenticator } from "./transport/authenticator.ts";
import { watchRefusals } from "./transport/refusal-watch.ts";
import { serveGrpc } from "./transport/grpc-server.ts";
import { adminHandlers } from "./service/admin.ts";
import { Coordinator } from "./service/coordinator.ts";
import { CoordinatorStore, STORE_FILE } from "./storage/store.ts";
import type { CoordinatorEvent, RunSummary } from "./service/records.ts";
import { coordinatorStartProblems, readConfiguredTls } from "./startup-checks.ts";
import { readStatusToken, tokenGuard } from "./status/access.ts";
import { liveStatusSources, RoundBytesTally } from "./status/live-sources.ts";
import { statusRoutes } from "./status/routes.ts";

/** The adapter the federation trains: its shapes (for PEFT checkpoints), length, start and base model. */
export interface AdapterDescription {
  readonly spec: AdapterSpec;
  readonly vectorLength: number;
  readonly initialGlobal: Float32Array;
  readonly baseModelHash: string;
}

export function loraConfigOf(config: FederationConfig): LoraConfig {
  return { ...config.lora };
}

/** An adapter over a model config, without loading weights (tests, benchmarks, the simulation). */
export function describeAdapter(
  model: LlamaConfig,
  lora: LoraConfig,
  baseModelHash: string,
  baseModelNameOrPath: string | null,
): AdapterDescription {
  const spec: AdapterSpec = { model, lora, baseModelNameOrPath };
  return {
    spec,
    vectorLength: loraFlatLength(model, lora),
    initialGlobal: initialGlobalVector(spec),
    baseModelHash,
  };
}

/** The adapter's spec with how this federation makes it, for the model card of each checkpoint. */
export function checkpointSpec(config: FederationConfig, adapter: AdapterDescription): AdapterSpec {
  return {
    ...adapter.spec,
    provenance: {
      baseModelSha256: adapter.baseModelHash,
      privacyMode: config.privacy.mode,
      dp: config.dp === undefined ? null : { ...config.dp },
    },
  };
}

/**
 * Reads the base model's config.json; hashes its weight files only when the config gives no sha256.
 * The weights are hashed as files, never loaded as tensors: the coordinator runs no model.
 */
export async function describeConfiguredAdapter(
  config: FederationConfig,
  logger: Logger,
): Promise<AdapterDescription> {
  const source = config.baseModel.source;
  const model = await readBaseModelConfig(source);
  let hash = config.baseModel.sha256;
  if (hash === undefined) {
    hash = await hashBaseModel(source);
    logger.info({ source, hash }, "base model weights hashed");
  }
  return describeAdapter(model, loraConfigOf(config), hash, source);
}

export interface CoordinatorRuntime {
  readonly logger: Logger;
  /** Participant selection and SecAgg session ids; a CSPRNG unless a test seeds one. */
  readonly rng?: Rng;
  /** TLS identity; read from config.tls when omitted. */
  readonly tls?: TlsIdentity;
  /** The transport's server half; gRPC unless the simulation passes the in-memory one. */
  readonly serve?: ServeFunction;
  /** Current revocations; config.tls.pkiDir's revocations.json (re-read on change) when omitted. */
  readonly revocations?: () => Revocations;
  /** The CA-signed CRL relayed to sites at Join; config.tls.pkiDir's crl.pem (`fedtune pki crl`) when omitted. */
  readonly revocationList?: () => Uint8Array | undefined;
  /** The adapter; derived from config.baseModel when omitted. */
  readonly adapter?: AdapterDescription;
  /** he mode: the CKKS context (no keys); built with the default parameters when omitted. */
  readonly ckks?: CkksContext;
  readonly onEvent?: (event: CoordinatorEvent) => void;
  /** Sites to wait for (up to deadlines.joinMs) before the first round; default sitesPerRound.minimum. */
  readonly sitesToStart?: number;
  /** A site that has not polled for this long is not online (default 20 s; tests shorten it). */
  readonly onlineWindowMs?: number;
}

export interface CoordinatorHandle {
  /** What sites dial. */
  readonly address: string;
  /**
   * Resolves when the first run this start drives (the config's, or one a restart resumes) completes,
   * fails or is stopped; the coordinator goes on serving the next runs until stop().
   */
  readonly done: Promise<RunSummary>;
  /** The run service (the admin service's and tests' way to submit, list and abort runs). */
  readonly coordinator: Coordinator;
  /** The HTTP server's port (status page, /metrics, probes), when config.metricsPort is set. */
  readonly metricsPort: number | undefined;
  /** After `done`: waits (at most `timeoutMs`) until every online site has been told the run finished. */
  drain(timeoutMs: number): Promise<void>;
  /** Stops the run in progress and the server, and closes the store (a later start resumes from it). */
  stop(): Promise<void>;
}

/** Feeds the Prometheus instruments from the coordinator's events (bytes are summed per round try). */
function metricsWiring(metrics: CoordinatorMetrics): (event: CoordinatorEvent) => void {
  const tryBytes = { in: 0, out: 0 };
  const observeTryBytes = (): void => {
    metrics.roundBytes.observe({ direction: "in" }, tryBytes.in);
    metrics.roundBytes.observe({ direction: "out" }, tryBytes.out);
    tryBytes.in = 0;
    tryBytes.out = 0;
  };
  return (event) => {
    switch (event.type) {
      case "round_started":
        metrics.participants.inc({ kind: event.kind }, event.participants.length);
        return;
      case "round_completed":
        metrics.rounds.inc({ kind: event.kind, outcome: "completed" });
        metrics.roundSeconds.observe({ kind: event.kind }, event.durationMs / 1000);
        observeTryBytes();
        if (event.kind === "train") metrics.currentRound.set(event.trainingRound);
        return;
      case "round_abandoned":
        metrics.rounds.inc({ kind: "any", outcome: "abandoned" });
        observeTryBytes();
        return;
      case "stage_closed":
        metrics.stageSeconds.observe({ stage: event.stage }, event.durationMs / 1000);
        if (event.dropouts.length > 0) metrics.dropouts.inc({ stage: event.stage }, event.dropouts.length);
        return;
      case "bytes":
        tryBytes[event.direction] += event.bytes;
        metrics.bytes.inc(
          { direction: event.direction, rpc: event.direction === "in" ? "SubmitUpdate" : "FetchAdapter" },
          event.bytes,
        );
        return;
      case "site_joined":
        metrics.sitesJoined.inc();
        return;
      case "site_presence":
      case "site_declined":
      case "stage_started":
      case "key_ceremony":
      case "finished":
        return;
    }
  };
}

/**
 * Starts a coordinator: opens (or resumes) its store, listens, and runs the configured rounds.
 * The same code path serves `fedtune coordinator start`, the simulation and the tests.
 */
export async function startCoordinator(
  config: FederationConfig,
  runtime: CoordinatorRuntime,
): Promise<CoordinatorHandle> {
  const { logger } = runtime;
  // Every path, the certificate and the ports are judged before anything is opened or created.
  const problems = await coordinatorStartProblems(config, {
    tls: runtime.tls,
    probePorts: runtime.serve === undefined,
  });
  if (problems.length > 0) throw new ConfigError("coordinator start", problems);
  const tls = runtime.tls ?? readConfiguredTls(config);
  const adapter = runtime.adapter ?? (await describeConfiguredAdapter(config, logger));
  const mode = config.privacy.mode;
  // he runs share one CKKS context (no keys), made when the first he run starts.
  let ownCkks: Promise<CkksContext> | undefined;
  const ckksContext = (): Promise<CkksContext> =>
    runtime.ckks !== undefined
      ? Promise.resolve(runtime.ckks)
      : (ownCkks ??= loadSeal().then((seal) => createCkksContext(seal)));
  const createsStorage = !existsSync(config.storageDir);
  const store = CoordinatorStore.open(join(config.storageDir, STORE_FILE));
  const revocations = runtime.revocations ?? (() => openRevocationSource(config.tls.pkiDir ?? ".").current());
  const source =
    runtime.revocations === undefined ? openRevocationSource(config.tls.pkiDir ?? ".") : undefined;
  const currentRevocations = source === undefined ? revocations : () => source.current();
  // Scrapes before the coordinator exists see no site online.
  let sitesOnline = (): number => 0;
  const metrics = createCoordinatorMetrics({ federation: config.name, privacyMode: mode }, () =>
    sitesOnline(),
  );
  const recordMetrics = metricsWiring(metrics);
  const roundBytes = new RoundBytesTally();
  const readiness = readinessFlag("gRPC server not listening yet");
  let metricsServer: MetricsServer | undefined;
  // A start that fails after this point releases what it opened, so the process can exit at once.
  const release = async (): Promise<void> => {
    await metricsServer?.stop();
    store.close();
    if (ownCkks !== undefined) (await ownCkks).dispose();
  };
  let coordinator: Coordinator;
  let server: Awaited<ReturnType<ServeFunction>>;
  try {
    coordinator = new Coordinator({
      config,
      store,
      // he with reveal "sites": checkpoints are ciphertexts, the coordinator never holds the adapter's values.
      checkpointSpec: (run) =>
        run.privacy.mode === "he" && run.privacy.he.reveal === "sites"
          ? undefined
          : checkpointSpec(run, adapter),
      ckks: ckksContext,
      rng: runtime.rng ?? cryptoRng(),
      logger,
      baseModelHash: adapter.baseModelHash,
      vectorLength: adapter.vectorLength,
      initialGlobal: adapter.initialGlobal,
      onEvent: (event) => {
        recordMetrics(event);
        roundBytes.record(event, coordinator.currentRun()?.runId ?? 0);
        runtime.onEvent?.(event);
      },
      revocationList: runtime.revocationList ?? (() => readCrlDer(config.tls.pkiDir ?? ".")),
      ...(runtime.sitesToStart === undefined ? {} : { sitesToStart: runtime.sitesToStart }),
      ...(runtime.onlineWindowMs === undefined ? {} : { onlineWindowMs: runtime.onlineWindowMs }),
      revocations: currentRevocations,
    });
    coordinator.checkStart();
    const started = coordinator;
    sitesOnline = () => started.status().sitesOnline;
    if (config.metricsPort !== undefined) {
      const status = liveStatusSources({
        config,
        coordinator,
        revocations: currentRevocations,
        bytes: roundBytes,
      });
      const token =
        config.statusTokenFile === undefined ? undefined : readStatusToken(config.statusTokenFile);
      metricsServer = await startMetricsServer(
        metrics.registry,
        config.metricsPort,
        config.metricsHost,
        readiness,
        {
          routes: statusRoutes(status),
          ...(token === undefined ? {} : { guard: tokenGuard(token) }),
        },
      );
    }
    server = await (runtime.serve ?? serveGrpc)({
      listen: config.listen,
      tls,
      authenticator: watchRefusals(pkiAuthenticator(tls.caPem, currentRevocations), (refusal) => {
        store.audit("coordinator", "connection_refused", { ...refusal }, new Date());
        logger.warn(refusal, "certificate refused");
      }),
      federation: coordinator.handlers,
      admin: adminHandlers(config, coordinator),
      onCallError: (method, peer, error) => {
        const { code, publicMessage } = publicError(error);
        metrics.refusals.inc({ reason: code });
        // A refusal is the caller's doing and worth an operator's eye; an internal error is ours.
        if (code === "internal") logger.error({ method, peer, err: error }, "call failed");
        else logger.info({ method, peer, code, reason: publicMessage }, "call refused");
      },
    });
  } catch (error) {
    await release();
    // Nothing was written yet: a folder this start created would only confuse the next one.
    if (createsStorage) rmSync(config.storageDir, { recursive: true, force: true });
    throw error;
  }
  if (metricsServer !== undefined)
    logger.info(
      { bound: `${config.metricsHost}:${metricsServer.port}` },
      "metrics and probes listening (HTTP)",
    );
  readiness.set(true);
  const boundPort = server.address.slice(server.address.lastIndexOf(":") + 1);
  logger.info(
    {
      bound: `${config.listen.slice(0, config.listen.lastIndexOf(":"))}:${boundPort}`,
      address: server.address,
      mode,
      strategy: config.strategy.name,
      rounds: config.rounds,
    },
    "coordinator listening (gRPC)",
  );
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      readiness.set(false, "stopping");
      coordinator.stop();
      await served.catch(() => undefined);
      await server.close();
      await release();
    })();
    return stopped;
  };
  let firstRun: (summary: RunSummary) => void = () => undefined;
  const done = new Promise<RunSummary>((resolve) => (firstRun = resolve));
  const served = coordinator.serve(firstRun);
  // A run service that fails (the store itself failing) fails `done` too, rather than leaving it pending.
  const settled = Promise.race([done, served.then(() => done)]);
  return {
    address: server.address,
    done: settled,
    coordinator,
    metricsPort: metricsServer?.port,
    drain: (timeoutMs) => coordinator.drain(timeoutMs).catch(() => undefined),
    stop,
  };
}
