// Loads a base model (an HF LLaMA-family folder, or the built-in model) with its tokenizer and a weights hash.
import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Logger } from "pino";
import { readLlamaConfig } from "./config.ts";
import { LlamaModel, type LlamaModelOptions } from "./llama.ts";
import { readCheckpointFolder } from "./safetensors.ts";
import { loadTokenizer, type Tokenizer } from "./tokenizer.ts";

export const BUILTIN_MODEL = "builtin";

/** The built-in model's folder, next to this module. */
export const BUILTIN_MODEL_DIR = join(dirname(fileURLToPath(import.meta.url)), "builtin");

export interface LoadedModel {
  readonly model: LlamaModel;
  readonly tokenizer: Tokenizer;
  /** sha256 (hex) over the weight files' names and bytes in index order: identifies the base weights. */
  readonly hash: string;
  /** The absolute folder the model was read from. */
  readonly dir: string;
}

/** "builtin" → the shipped model's folder; anything else is a path to an HF model folder. */
export function resolveModelDir(source: string): string {
  return source === BUILTIN_MODEL ? BUILTIN_MODEL_DIR : resolve(source);
}

/** sha256 over each weight file's base name and contents, in the given (index) order. */
export async function hashWeightFiles(files: readonly string[]): Promise<string> {
  const hash = createHash("sha256");
  for (const file of files) {
    hash.update(`${basename(file)}\n`);
    hash.update(await readFile(file));
  }
  return hash.digest("hex");
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
