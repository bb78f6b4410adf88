// Hosts a group of site clients in one process: the real site client, the engine trainer, fault hooks; reports over a message port.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { pino } from "pino";
import type { Logger } from "pino";
import type { KindCounts } from "../client/deid/spans.ts";
import { externalTrainerFactory, type ExternalTrainerOptions } from "../client/external/external-trainer.ts";
import type { TrainerCommand } from "../client/external/run-command.ts";
import { engineTrainerFactory } from "../client/node/engine-trainer.ts";
import { OptimizerFile } from "../client/node/optimizer-file.ts";
import type { TrainerFactory } from "../client/node/trainer.ts";
import { startSiteClient } from "../client/node/site-client.ts";
import type { SiteEvent, SiteRunSummary, SiteStage } from "../client/node/site-client.ts";
import { dialGrpc } from "../client/transport/grpc.ts";
import { createCkksContext, loadSeal } from "../crypto/ckks/context.ts";
import type { CkksContext } from "../crypto/ckks/context.ts";
import { seededRng } from "../crypto/rng.ts";
import { initBackend } from "../model/backend.ts";
import { loadBaseModel } from "../model/load.ts";
import type { LoadedModel } from "../model/load.ts";
import { createLoraAdapter } from "../model/lora.ts";
import type { LoraConfig } from "../model/lora.ts";
import { loadEvalSet, loadSiteRows } from "./datasets.ts";
import { evaluateSet } from "./evaluate.ts";
import type { EvalSet } from "./evaluate.ts";
import type { FaultStage } from "./options.ts";
import type { EvalFigures } from "./report/metrics.ts";

export interface HostedSite {
  readonly siteId: string;
  /** Mixed into training seeds so that sites shuffle differently. */
  readonly salt: number;
  readonly trainFile: string;
  readonly validationFile: string;
  readonly stateDir: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly slowMs: number;
  /** With --phi: the site's de-identification secret; its training and validation rows are scrubbed as they load. */
  readonly deidSecretFile?: string;
  /** Trains with this external trainer (the engine still scores the sim's question sets). */
  readonly externalTrainer?: TrainerCommand;
}

export interface SiteHostInit {
  readonly coordinator: string;
  readonly caCertFile: string;
  readonly model: string;
  readonly seqLen: number;
  readonly seed: number;
  readonly he: boolean;
  readonly dropout: number;
  readonly dropoutStage: FaultStage;
  readonly sites: readonly HostedSite[];
  readonly logLevel: string;
}

/** What a host tells the simulation. Vectors travel as base64 of their float32 bytes (exact). */
export type HostMessage =
  | { readonly type: "ready" }
  | { readonly type: "site-event"; readonly siteId: string; readonly event: SiteEvent }
  | { readonly type: "fault"; readonly siteId: string; readonly stage: SiteStage; readonly round: number }
  | { readonly type: "global"; readonly version: number; readonly vector: string }
  | {
      readonly type: "site-done";
      readonly siteId: string;
      readonly summary: SiteRunSummary | null;
      readonly error: string | null;
    }
  | { readonly type: "evaluated"; readonly version: number; readonly figures: EvalFigures }
  | {
      readonly type: "deidentified";
      readonly siteId: string;
      /** What the site replaced, by kind, and the rows it refused: the simulation's report only, never the coordinator. */
      readonly replaced: KindCounts;
      readonly refusedRows: number;
    }
  | { readonly type: "error"; readonly message: string };

/** What the simulation asks of a host. */
export type HostCommand =
  | { readonly type: "start"; readonly init: SiteHostInit }
  | {
      readonly type: "evaluate";
      readonly testFile: string;
      readonly lora: LoraConfig;
      readonly items: readonly { readonly version: number; readonly vector: string }[];
    }
  | { readonly type: "stop" };

/** A host (child process, worker thread, or this process) of some of the sites, as the simulation drives it. */
export interface HostLink {
  post(command: HostCommand): void;
  close(): Promise<void>;
}

/**
 * The host side of a link: runs each command against one SiteHost and reports over `send`;
 * `disconnect` ends the channel after "stop". Shared by the child-process and worker-thread entries.
 */
export function hostCommandHandler(
  send: (message: HostMessage) => void,
  disconnect: () => void,
): (command: HostCommand) => void {
  let host: SiteHost | undefined;
  let init: SiteHostInit | undefined;
  const handle = async (command: HostCommand): Promise<void> => {
    switch (command.type) {
      case "start":
        init = command.init;
        host = new SiteHost(send, command.init.logLevel);
        await host.start(command.init);
        send({ type: "ready" });
        return;
      case "evaluate":
        if (host === undefined || init === undefined) throw new Error("evaluate before start");
        await host.evaluate(command, init.model, init.seqLen);
        return;
      case "stop":
        await host?.stop();
        disconnect();
        return;
    }
  };
  return (command) => {
    handle(command).catch((error: unknown) => {
      send({
        type: "error",
        message: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
    });
  };
}

export function encodeVector(v: Float32Array): string {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64");
}

export function decodeVector(text: string): Float32Array {
  const bytes = Buffer.from(text, "base64");
  const out = new Float32Array(bytes.length / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

/**
 * Decides, the same way for the same seed, whether `siteId` drops out at this stage of this round
 * try: one draw per (site, round, try) from its own stream, so runs replay exactly.
 */
export function dropsOut(
  seed: number,
  siteId: string,
  round: number,
  attempt: number,
  probability: number,
): boolean {
  if (probability <= 0) return false;
  return seededRng(`${seed}/fault/${siteId}/${round}/${attempt}`).nextFloat64() < probability;
}

const POLL_WAIT_MS = 5_000;

/** Trains with the external trainer, scores with the engine (the sim's question sets need its model). */
function withExternalTraining(engine: TrainerFactory, external: ExternalTrainerOptions): TrainerFactory {
  return async (lora, vectorLength) => {
    const scorer = await engine(lora, vectorLength);
    const trainer = await externalTrainerFactory(external)(lora, vectorLength);
    return {
      ...trainer,
      evaluate: (input) => scorer.evaluate(input),
      dispose: () => {
        trainer.dispose();
        scorer.dispose();
      },
    };
  };
}

/** One process's sites: started together, sharing the frozen base model and (he mode) one CKKS context. */
export class SiteHost {
  private base: LoadedModel | undefined;
  private ckks: Promise<CkksContext> | undefined;
  private readonly handles = new Map<string, { stop(): Promise<SiteRunSummary> }>();
  private readonly sentVersions = new Set<number>();
  private readonly logger: Logger;

  constructor(
    private readonly send: (message: HostMessage) => void,
    logLevel: string,
  ) {
    this.logger = pino(
      { level: logLevel, base: { host: process.pid } },
      pino.destination({ dest: 2, sync: true }),
    );
  }

  private async model(name: string): Promise<LoadedModel> {
    if (this.base === undefined) {
      await initBackend(this.logger);
      this.base = await loadBaseModel(name, this.logger);
    }
    return this.base;
  }

  /** Starts every site client; resolves once all are running (their rounds continue in the background). */
  async start(init: SiteHostInit): Promise<void> {
    const base = await this.model(init.model);
    const caPem = readFileSync(init.caCertFile, "utf8");
    if (init.he) this.ckks = loadSeal().then((seal) => createCkksContext(seal));
    for (const site of init.sites) {
      // Loaded here for the de-identification report only: each round the site takes loads them again.
      const { replaced, refusedRows } = await loadSiteRows(
        { train: site.trainFile, validationMcq: site.validationFile },
        base.tokenizer,
        init.seqLen,
        site.deidSecretFile,
      );
      if (replaced !== null) this.send({ type: "deidentified", siteId: site.siteId, replaced, refusedRows });
      let evalRound = 0;
      const handle = startSiteClient({
        coordinator: init.coordinator,
        stateDir: site.stateDir,
        tls: {
          caPem,
          certPem: readFileSync(site.certFile, "utf8"),
          keyPem: readFileSync(site.keyFile, "utf8"),
        },
        dial: dialGrpc,
        logger: this.logger.child({ site: site.siteId }),
        // Seeded so that a simulation replays exactly; a real site uses cryptoRng().
        rng: seededRng(`${init.seed}/site/${site.siteId}`),
        baseModelHash: base.hash,
        createTrainer: this.siteTrainer(site, init, base, () => evalRound),
        // A site that is not picked holds its client (keys, connection, ledger) but no trainer or rows.
        trainerPerRound: true,
        ...(this.ckks === undefined ? {} : { ckks: () => this.ckks as Promise<CkksContext> }),
        onEvent: (event) => {
          if (event.type === "stage" && event.stage === "eval") evalRound = event.ref.round;
          this.send({ type: "site-event", siteId: site.siteId, event });
        },
        // Short long-polls: the poll's deadline (wait + 10 s) then tolerates seconds of synchronous
        // training or scoring in this process before the call is given up.
        pollWaitMs: POLL_WAIT_MS,
        faults: {
          beforeStage: (stage, ref) => {
            if (
              stage !== init.dropoutStage ||
              !dropsOut(init.seed, site.siteId, ref.round, ref.attempt, init.dropout)
            ) {
              return "continue";
            }
            this.send({ type: "fault", siteId: site.siteId, stage, round: ref.round });
            return "drop";
          },
        },
      });
      this.handles.set(site.siteId, handle);
      handle.done.then(
        (summary) => this.send({ type: "site-done", siteId: site.siteId, summary, error: null }),
        (error: unknown) =>
          this.send({
            type: "site-done",
            siteId: site.siteId,
            summary: null,
            error: error instanceof Error ? error.message : String(error),
          }),
      );
    }
  }

  /**
   * The site's trainer, built from its files for each round it takes (SiteClientOptions.trainerPerRound):
   * its rows are read again, and its AdamW moments wait in its state folder between rounds.
   */
  private siteTrainer(
    site: HostedSite,
    init: SiteHostInit,
    base: LoadedModel,
    evalRound: () => number,
  ): TrainerFactory {
    const optimizer = new OptimizerFile(join(site.stateDir, "optimizer-state.bin"));
    // A run starts from a fresh AdamW, as a trainer kept for the whole run does.
    optimizer.clear();
    return async (lora, vectorLength) => {
      const { train, validation } = await loadSiteRows(
        { train: site.trainFile, validationMcq: site.validationFile },
        base.tokenizer,
        init.seqLen,
        site.deidSecretFile,
      );
      const logger = this.logger.child({ site: site.siteId });
      const engine = engineTrainerFactory({
        model: base.model,
        tokenizer: base.tokenizer,
        train: train.examples,
        validation: [],
        logger,
        seedSalt: site.salt,
        optimizerStore: optimizer,
        ...(site.slowMs > 0 ? { beforeTrain: () => delay(site.slowMs) } : {}),
        evaluate: (lm, global) => {
          // An evaluation round right after training round v scores global version v (coordinator/round/plan.ts).
          this.shareGlobal(evalRound() - 1, global);
          const figures = evaluateSet(lm, base.tokenizer, validation);
          return {
            numExamples: validation.rows.length,
            metrics: { accuracy: figures.accuracy, loss: figures.loss },
          };
        },
      });
      const factory = site.externalTrainer
        ? withExternalTraining(engine, {
            trainer: site.externalTrainer,
            baseModelDir: base.dir,
            modelConfig: base.model.config,
            tokenizer: base.tokenizer,
            train: train.examples,
            validation: [],
            workDir: join(site.stateDir, "trainer-tasks"),
            logger,
            seedSalt: site.salt,
          })
        : engine;
      return factory(lora, vectorLength);
    };
  }

  private shareGlobal(version: number, global: Float32Array): void {
    if (version < 1 || this.sentVersions.has(version)) return;
    this.sentVersions.add(version);
    this.send({ type: "global", version, vector: encodeVector(global) });
  }

  /** Scores global adapters on the global test set with this process's copy of the base model. */
  async evaluate(
    command: Extract<HostCommand, { type: "evaluate" }>,
    model: string,
    seqLen: number,
  ): Promise<void> {
    const base = await this.model(model);
    const test: EvalSet = await loadEvalSet(command.testFile, base.tokenizer, seqLen);
    const adapter = createLoraAdapter(base.model, command.lora);
    try {
      for (const item of command.items) {
        adapter.assign(decodeVector(item.vector));
        this.send({
          type: "evaluated",
          version: item.version,
          figures: evaluateSet({ model: base.model, adapter }, base.tokenizer, test),
        });
      }
    } finally {
      adapter.dispose();
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.handles.values()].map((h) => h.stop()));
    this.handles.clear();
    if (this.ckks !== undefined) (await this.ckks).dispose();
    this.base?.model.dispose();
  }
}
