// Data-parallel gradients over worker threads: each thread holds the model, computes its shard's gradient, the main thread sums.
import * as tf from "@tensorflow/tfjs";
import { Worker } from "node:worker_threads";
import type { BackendName } from "../../model/backend.ts";
import type { LlamaConfig } from "../../model/config.ts";
import type { LlamaModel, LoraHook } from "../../model/llama.ts";
import type { LoraAdapter, LoraConfig } from "../../model/lora.ts";
import type { TensorMap } from "../../model/safetensors.ts";
import { splitBatch, type PaddedBatch } from "./batches.ts";
import { readFlat, tensorsFromFlat } from "./flat-values.ts";
import { batchLoss } from "./loss.ts";
import type { BatchGradientFn } from "./train-lm.ts";
import type { MicroBatchGradients } from "./train-model.ts";

/** What a worker needs to rebuild the model and adapter (structured-cloned once at start). */
export interface WorkerInit {
  readonly backend: BackendName;
  readonly modelConfig: LlamaConfig;
  readonly weights: TensorMap;
  readonly lora: {
    readonly config: LoraConfig;
    readonly tensors: TensorMap;
    readonly dropoutSeed: number;
  } | null;
  readonly trainBase: boolean;
}

export interface WorkerRequest {
  /** Current values of the trainable variables, concatenated in their order. */
  readonly values: Float32Array;
  readonly shard: PaddedBatch;
  /** Scored tokens of the whole batch: each shard's summed NLL is divided by it. */
  readonly normaliser: number;
}

export type WorkerReply =
  | { readonly ok: true; readonly loss: number; readonly grads: Float32Array }
  | { readonly ok: false; readonly message: string };

interface Pending {
  resolve: (reply: WorkerReply) => void;
  reject: (error: Error) => void;
}

/** One worker thread and the single request it may have in flight. */
class GradientWorker {
  private pending: Pending | undefined;
  private failure: Error | undefined;

  private constructor(private readonly worker: Worker) {
    worker.on("message", (reply: WorkerReply) => {
      const pending = this.pending;
      this.pending = undefined;
      pending?.resolve(reply);
    });
    worker.on("error", (error) => this.fail(error));
    worker.on("exit", (code) => this.fail(new Error(`gradient worker exited with code ${code}`)));
  }

  static start(init: WorkerInit): Promise<GradientWorker> {
    // A plain .mjs entry registers tsx's loader in the thread: `execArgv: ["--import", "tsx"]` does not
    // reach a worker's entry module on Node 20.
    const worker = new Worker(new URL("./gradient-worker.mjs", import.meta.url), { workerData: init });
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      worker.once("error", onError);
      worker.once("message", () => {
        worker.off("error", onError);
        resolve(new GradientWorker(worker));
      });
    });
  }

  private fail(error: Error): void {
    this.failure ??= error;
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(error);
  }

  request(request: WorkerRequest): Promise<WorkerReply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage(request, [
        request.values.buffer as ArrayBuffer,
        request.shard.inputIds.buffer as ArrayBuffer,
      ]);
    });
  }

  async terminate(): Promise<void> {
    this.worker.removeAllListeners("exit");
    await this.worker.terminate();
  }
}

export interface DataParallelOptions {
  readonly model: LlamaModel;
  /** The adapter that trains; absent when the model's own weights train. */
  readonly adapter?: LoraAdapter;
  /** Threads computing gradients, the main thread included (so 2 starts one worker). */
  readonly threads: number;
  /** Seeds the workers' dropout masks (each worker derives its own). */
  readonly seed: number;
}

/**
 * A pool of gradient workers. A micro-batch is split by rows into `threads` shards; the main thread
 * computes the first while the workers compute the rest, and the gradients of the shards' summed NLL
 * over the whole batch's scored tokens add up to the batch gradient exactly (up to float rounding).
 * Dropout masks differ from a single-thread run but have the same distribution.
 */
export class GradientWorkerPool {
  private constructor(
    private readonly model: LlamaModel,
    private readonly lora: LoraHook | undefined,
    private readonly variables: readonly tf.Variable[],
    private readonly workers: readonly GradientWorker[],
  ) {}

  static async start(options: DataParallelOptions): Promise<GradientWorkerPool> {
    const { model, adapter } = options;
    const variables = adapter ? adapter.trainableVariables() : model.trainableVariables();
    if (variables.length === 0) throw new RangeError("GradientWorkerPool: nothing trains");
    const weights = model.exportWeights();
    const workers = await Promise.all(
      Array.from({ length: Math.max(0, options.threads - 1) }, (_, i) =>
        GradientWorker.start({
          backend: tf.getBackend() as BackendName,
          modelConfig: model.config,
          weights,
          lora: adapter
            ? {
                config: adapter.config,
                tensors: adapter.namedTensors(),
                dropoutSeed: options.seed * 1000 + i + 1,
              }
            : null,
          trainBase: model.isBaseTrainable(),
        }),
      ),
    );
    return new GradientWorkerPool(model, adapter, variables, workers);
  }

  get threads(): number {
    return this.workers.length + 1;
  }

  /** A gradient function for trainLanguageModel. */
  readonly gradientFn: BatchGradientFn = async (batch: PaddedBatch): Promise<MicroBatchGradients> => {
    const shards = splitBatch(batch, this.threads);
    const normaliser = Math.max(1, batch.scoredTokens);
    const values = this.workers.length > 0 && shards.length > 1 ? readFlat(this.variables) : undefined;
    const remote = shards
      .slice(1)
      .map((shard, i) => this.workers[i]!.request({ values: values!.slice(), shard, normaliser }));
    const local = tf.variableGrads(
      () => batchLoss(this.model, this.lora, shards[0]!, normaliser),
      [...this.variables],
    );
    let loss = local.value.dataSync()[0]!;
    local.value.dispose();
    let grads = this.variables.map((v) => local.grads[v.name]!);
    const replies = await Promise.all(remote).catch((error: unknown) => {
      tf.dispose(grads);
      throw error;
    });
    for (const reply of replies) {
      if (!reply.ok) {
        tf.dispose(grads);
        throw new Error(`gradient worker failed: ${reply.message}`);
      }
      loss += reply.loss;
      const previous = grads;
      grads = tf.tidy(() => {
        const others = tensorsFromFlat(reply.grads, previous);
        return previous.map((g, i) => g.add(others[i]!));
      });
      tf.dispose(previous);
    }
    return { loss, tokens: batch.tokens, grads };
  };

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
