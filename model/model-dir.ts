// Where a base model lives ("builtin" or an HF folder), its config and its weights hash; pure (no TensorFlow.js).
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { readLlamaConfig, type LlamaConfig } from "./config.ts";
import { checkpointFiles } from "./safetensors.ts";

export const BUILTIN_MODEL = "builtin";

/** The built-in model's folder, next to this module. */
export const BUILTIN_MODEL_DIR = join(dirname(fileURLToPath(import.meta.url)), "builtin");

/** "builtin" → the shipped model's folder; anything else is a path to an HF model folder. */
export function resolveModelDir(source: string): string {
  return source === BUILTIN_MODEL ? BUILTIN_MODEL_DIR : resolve(source);
}

/** sha256 (hex) over each weight file's base name and bytes, in the given (index) order. */
export async function hashWeightFiles(files: readonly string[]): Promise<string> {
  const hash = createHash("sha256");
  for (const file of files) {
    hash.update(`${basename(file)}\n`);
    // Streamed: shards of hospital-scale models run to several GB, past what one Buffer holds.
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  }
  return hash.digest("hex");
}

/** The weights hash that loadBaseModel reports, computed without loading the model. */
export async function hashBaseModel(source: string): Promise<string> {
  return hashWeightFiles((await checkpointFiles(resolveModelDir(source))).files);
}

/** The base model's config.json, e.g. for the coordinator to lay out adapters. */
export async function readBaseModelConfig(source: string): Promise<LlamaConfig> {
  return readLlamaConfig(join(resolveModelDir(source), "config.json"));
}
