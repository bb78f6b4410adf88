// Loads a base model (an HF LLaMA-family folder, or the built-in model) with its tokenizer and a weights hash.
import { stat } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import * as tf from "@tensorflow/tfjs";
import { readLlamaConfig } from "./config.ts";
import { checkEngineCapacity } from "./engine-capacity.ts";
import { LlamaModel, type LlamaModelOptions } from "./llama.ts";
import { BUILTIN_MODEL, hashWeightFiles, resolveModelDir } from "./model-dir.ts";
import { readCheckpointFolder } from "./safetensors.ts";
import { loadTokenizer, type Tokenizer } from "./tokenizer.ts";

export {
  BUILTIN_MODEL,
  BUILTIN_MODEL_DIR,
  hashBaseModel,
  hashWeightFiles,
  readBaseModelConfig,
  resolveModelDir,
} from "./model-dir.ts";

export interface LoadedModel {
  readonly model: LlamaModel;
  readonly tokenizer: Tokenizer;
  /** sha256 (hex) over the weight files' names and bytes in index order: identifies the base weights. */
  readonly hash: string;
  /** The absolute folder the model was read from. */
  readonly dir: string;
}

/**
 * Reads config.json, the safetensors weights (single or sharded) and tokenizer.json of an HF model
 * folder, or of the built-in model for "builtin".
 */
export async function loadBaseModel(
  source: string,
  logger: Logger,
  options: LlamaModelOptions = {},
): Promise<LoadedModel> {
  const dir = resolveModelDir(source);
  const isFolder = await stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isFolder) {
    throw new Error(
      source === BUILTIN_MODEL
        ? `the built-in model is missing at ${dir} (reinstall fedtune or run its build script)`
        : `model folder ${dir} does not exist`,
    );
  }
  const started = performance.now();
  const config = await readLlamaConfig(join(dir, "config.json"));
  // Before any weight is read: a model past the wasm heap would otherwise end in an out-of-memory abort.
  checkEngineCapacity(config, tf.getBackend());
  const [checkpoint, tokenizer] = await Promise.all([readCheckpointFolder(dir), loadTokenizer(dir)]);
  if (tokenizer.vocabSize > config.vocabSize) {
    throw new Error(
      `${dir}: tokenizer has ${tokenizer.vocabSize} tokens but the model's vocab_size is ${config.vocabSize}`,
    );
  }
  const hash = await hashWeightFiles(checkpoint.files);
  const model = LlamaModel.fromWeights(config, checkpoint.tensors, options);
  logger.info(
    {
      dir,
      modelType: config.modelType,
      parameters: model.parameterCount(),
      layers: config.numLayers,
      hidden: config.hiddenSize,
      vocab: config.vocabSize,
      hash,
      ms: Math.round(performance.now() - started),
    },
    "base model loaded",
  );
  return { model, tokenizer, hash, dir };
}
