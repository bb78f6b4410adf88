// A data-parallel worker thread: holds a copy of the model (and adapter) and returns the gradient of its shard.
import * as tf from "@tensorflow/tfjs";
import { pino } from "pino";
import { parentPort, workerData } from "node:worker_threads";
import { initBackend } from "../../model/backend.ts";
import { LlamaModel } from "../../model/llama.ts";
import { createLoraAdapter, type LoraAdapter } from "../../model/lora.ts";
import { readFlat, writeFlat } from "./flat-values.ts";
import { batchLoss } from "./loss.ts";
import type { WorkerInit, WorkerReply, WorkerRequest } from "./data-parallel.ts";

const init = workerData as WorkerInit;
const port = parentPort;
if (port === null) throw new Error("gradient-worker.ts must run as a worker thread");

await initBackend(pino({ level: "silent" }), init.backend);
const model = LlamaModel.fromWeights(init.modelConfig, init.weights);
let adapter: LoraAdapter | undefined;
if (init.lora !== null) {
  // A seed of its own gives this worker its own dropout masks; A and B are then copied from the main
  // thread, so the frozen A of ffa mode is the shared one.
  adapter = createLoraAdapter(model, { ...init.lora.config, seed: init.lora.dropoutSeed });
  adapter.assignTensors(init.lora.tensors);
}
model.setBaseTrainable(init.trainBase);
const variables = adapter ? adapter.trainableVariables() : model.trainableVariables();

port.on("message", (request: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    writeFlat(variables, request.values);
    const { value, grads } = tf.variableGrads(
      () => batchLoss(model, adapter, request.shard, request.normaliser),
      variables,
    );
    const ordered = variables.map((v) => grads[v.name]!);
    const flat = readFlat(ordered);
    reply = { ok: true, loss: value.dataSync()[0]!, grads: flat };
    tf.dispose([value, ...ordered]);
  } catch (error) {
    reply = { ok: false, message: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
  port.postMessage(reply, reply.ok ? [reply.grads.buffer as ArrayBuffer] : []);
});
port.postMessage({ ready: true });
