// Runs a real coordinator and site clients (real protocol, TLS and transport) with synthetic training.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino, type Logger } from "pino";
import { dialGrpc } from "../../../client/transport/grpc.ts";
import { dialInMemory } from "../../../client/transport/in-memory.ts";
import {
  startSiteClient,
  type SiteClientOptions,
  type SiteEvent,
  type SiteRunSummary,
} from "../../../client/node/site-client.ts";
import { syntheticTrainer, type LocalUpdate } from "../../../client/node/trainer.ts";
import { parseFederationConfig, type FederationConfig } from "../../../coordinator/config.ts";
import { describeAdapter, startCoordinator, type CoordinatorHandle } from "../../../coordinator/server.ts";
import { serveInMemory } from "../../../coordinator/transport/in-memory.ts";
import { DurableState } from "../../../coordinator/service/durable-state.ts";
import type { CoordinatorEvent } from "../../../coordinator/service/records.ts";
import type { CkksContext } from "../../../crypto/ckks/context.ts";
import { seededRng } from "../../../crypto/rng.ts";
import { parseLlamaConfig } from "../../../model/config.ts";
import type { FederationHandlers } from "../../../proto/rpc.ts";
import { createInMemoryNetwork, type DialFunction, type ServeFunction } from "../../../proto/transport.ts";
import { createTestPki, revocationList, type TestPki } from "./pki.ts";

export const BASE_MODEL_HASH = "ab".repeat(32);

/** A two-layer toy model config: with r = 2 on q_proj and v_proj, FFA-LoRA trains 64 parameters. */
export const TINY_MODEL = parseLlamaConfig({
  hidden_size: 8,
  intermediate_size: 16,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  vocab_size: 32,
});

export type TransportKind = "grpc" | "in-memory";

export interface Federation {
  readonly pki: TestPki;
  readonly dir: string;
  readonly config: FederationConfig;
  readonly coordinatorEvents: CoordinatorEvent[];
  readonly siteEvents: Map<string, SiteEvent[]>;
  /** Every Δ each site produced, in order (for comparing the aggregate with the plain sum). */
  readonly updates: Map<string, LocalUpdate[]>;
  /** The global adapter each site evaluated, in order. */
  readonly evaluated: Map<string, Float32Array[]>;
  coordinator: CoordinatorHandle;
  startCoordinator(): Promise<CoordinatorHandle>;
  startSite(
    name: string,
    overrides?: Partial<SiteClientOptions>,
  ): { done: Promise<SiteRunSummary>; stop(): Promise<SiteRunSummary> };
  readonly logger: Logger;
  /** The transport's client half, to open extra connections (e.g. to send junk). */
  readonly dial: DialFunction;
  /** Revokes a site's certificate, as `fedtune pki revoke` would. */
  revoke(name: string): void;
}

export function quietLogger(): Logger {
  return pino({ level: process.env.FEDTUNE_TEST_LOG ?? "silent" });
}

export async function createFederation(options: {
  readonly sites: readonly string[];
  readonly transport: TransportKind;
  readonly config: Record<string, unknown>;
  readonly ckks?: CkksContext;
  readonly onCoordinatorEvent?: (event: CoordinatorEvent) => void;
  readonly dir?: string;
  readonly pki?: TestPki;
  readonly logger?: Logger;
  /** Sees every request (and every part of a request stream) the coordinator's handlers receive. */
  readonly observeRequests?: (method: string, message: unknown) => void;
  readonly onlineWindowMs?: number;
}): Promise<Federation> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "fedtune-fed-"));
  const pki = options.pki ?? (await createTestPki(options.sites));
  mkdirSync(join(dir, "pki"), { recursive: true });
  writeFileSync(join(dir, "pki", "ca.pem"), pki.ca.certPem);
  writeFileSync(join(dir, "pki", "coordinator.pem"), pki.coordinator.certPem);
  writeFileSync(join(dir, "pki", "coordinator.key"), pki.coordinator.keyPem);
  const config = parseFederationConfig(
    {
      baseModel: { source: "builtin", sha256: BASE_MODEL_HASH },
      lora: { r: 2, alpha: 4, targetModules: ["q_proj", "v_proj"], mode: "ffa", seed: 7 },
      tls: { caCert: "pki/ca.pem", cert: "pki/coordinator.pem", key: "pki/coordinator.key" },
      listen: options.transport === "grpc" ? "127.0.0.1:0" : "federation-under-test:0",
      storageDir: "state",
      deadlines: {
        joinMs: 20_000,
        trainMs: 20_000,
        advertiseKeysMs: 10_000,
        shareKeysMs: 10_000,
        unmaskMs: 10_000,
        evalMs: 20_000,
        keyCeremonyMs: 20_000,
      },
      ...options.config,
    },
    "test-config",
    dir,
  );
  const adapter = describeAdapter(TINY_MODEL, { ...config.lora }, BASE_MODEL_HASH, null);
  const network = createInMemoryNetwork();
  const transportServe: ServeFunction =
    options.transport === "grpc"
      ? (o) => import("../../../coordinator/transport/grpc-server.ts").then((m) => m.serveGrpc(o))
      : serveInMemory(network);
  const observe = options.observeRequests;
  const serve: ServeFunction =
    observe === undefined
      ? transportServe
      : (o) => transportServe({ ...o, federation: observedHandlers(o.federation, observe) });
  const dial: DialFunction = options.transport === "grpc" ? dialGrpc : dialInMemory(network);
  const coordinatorEvents: CoordinatorEvent[] = [];
  const siteEvents = new Map<string, SiteEvent[]>();
  const updates = new Map<string, LocalUpdate[]>();
  const evaluated = new Map<string, Float32Array[]>();
  const logger = options.logger ?? quietLogger();
  const revocations = revocationList();
  const federation: Federation = {
    pki,
    dir,
    config,
    coordinatorEvents,
    siteEvents,
    updates,
    evaluated,
    logger,
    dial,
    revoke(name) {
      const site = pki.sites.get(name);
      if (site === undefined) throw new Error(`no certificate for ${name}`);
      revocations.revoke(site.fingerprint);
    },
    coordinator: undefined as unknown as CoordinatorHandle,
    async startCoordinator() {
      federation.coordinator = await startCoordinator(config, {
        logger,
        rng: seededRng("coordinator"),
        sitesToStart: options.sites.length,
        ...(options.onlineWindowMs === undefined ? {} : { onlineWindowMs: options.onlineWindowMs }),
        serve,
        revocations: () => revocations.current(),
        adapter,
        ...(options.ckks === undefined ? {} : { ckks: options.ckks }),
        onEvent: (event) => {
          coordinatorEvents.push(event);
          options.onCoordinatorEvent?.(event);
        },
      });
      return federation.coordinator;
    },
    startSite(name, overrides = {}) {
      const tls = pki.sites.get(name);
      if (tls === undefined) throw new Error(`no certificate for ${name}`);
      const events: SiteEvent[] = siteEvents.get(name) ?? [];
      siteEvents.set(name, events);
      const produced: LocalUpdate[] = updates.get(name) ?? [];
      updates.set(name, produced);
      const seen: Float32Array[] = evaluated.get(name) ?? [];
      evaluated.set(name, seen);
      return startSiteClient({
        coordinator: federation.coordinator.address,
        stateDir: join(dir, "sites", name),
        tls,
        dial,
        logger,
        rng: seededRng(`site-${name}`),
        baseModelHash: BASE_MODEL_HASH,
        createTrainer: (_lora, vectorLength) =>
          Promise.resolve(
            syntheticTrainer({
              vectorLength,
              numExamples: 10 + name.length,
              rng: seededRng(`train-${name}`),
              onUpdate: (update) => produced.push(update),
              onEvaluate: (global) => seen.push(Float32Array.from(global)),
            }),
          ),
        ...(options.ckks === undefined ? {} : { ckks: () => Promise.resolve(options.ckks as CkksContext) }),
        pollWaitMs: 2_000,
        onEvent: (event) => events.push(event),
        ...overrides,
      });
    },
  };
  await federation.startCoordinator();
  return federation;
}

/** The plaintext global adapter of `version` in the coordinator's store (modes none and secagg). */
export async function globalAt(federation: Federation, version: number): Promise<Float32Array> {
  const adapter = describeAdapter(TINY_MODEL, { ...federation.config.lora }, BASE_MODEL_HASH, null);
  const state = DurableState.open(federation.config.storageDir, adapter.spec);
  try {
    const checkpoint = await state.checkpoint(version);
    if (checkpoint?.model.kind !== "plain") throw new Error(`no checkpoint of version ${version}`);
    return checkpoint.model.vector;
  } finally {
    state.close();
  }
}

/** `handlers` that first show `observe` each request, and each part of a request stream as it is read. */
function observedHandlers(
  handlers: FederationHandlers,
  observe: (method: string, message: unknown) => void,
): FederationHandlers {
  type AnyHandler = (peer: unknown, request: unknown, ctx: unknown) => unknown;
  const tap = async function* (method: string, parts: AsyncIterable<unknown>): AsyncGenerator<unknown> {
    for await (const part of parts) {
      observe(method, part);
      yield part;
    }
  };
  const wrapped = Object.entries(handlers as unknown as Record<string, AnyHandler>).map(
    ([method, handler]) => {
      const observed: AnyHandler = (peer, request, ctx) => {
        if (typeof request === "object" && request !== null && Symbol.asyncIterator in request)
          return handler(peer, tap(method, request as AsyncIterable<unknown>), ctx);
        observe(method, request);
        return handler(peer, request, ctx);
      };
      return [method, observed] as const;
    },
  );
  return Object.fromEntries(wrapped) as unknown as FederationHandlers;
}

/** FedAvg with η = 1 from zero: global += Σ n_k Δ_k / Σ n_k for each round's updates, in order. */
export function fedAvgOf(rounds: readonly (readonly LocalUpdate[])[]): Float64Array {
  const d = rounds[0]?.[0]?.delta.length ?? 0;
  const global = new Float64Array(d);
  for (const updates of rounds) {
    const weighted = new Float64Array(d);
    let weight = 0;
    for (const update of updates) {
      for (let i = 0; i < d; i++)
        weighted[i] = (weighted[i] ?? 0) + update.numExamples * (update.delta[i] ?? 0);
      weight += update.numExamples;
    }
    for (let i = 0; i < d; i++) global[i] = (global[i] ?? 0) + (weighted[i] ?? 0) / weight;
  }
  return global;
}

/** {@link fedAvgOf} over `sites`' first `rounds` updates, as recorded by the federation. */
export function expectedFedAvg(
  federation: Federation,
  sites: readonly string[],
  rounds: number,
): Float64Array {
  return fedAvgOf(
    Array.from({ length: rounds }, (_, round) =>
      sites.map((site) => {
        const update = federation.updates.get(site)?.[round];
        if (update === undefined) throw new Error(`${site} produced no update in round ${round + 1}`);
        return update;
      }),
    ),
  );
}
