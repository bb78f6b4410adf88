// One checkpoint per completed training round: the global adapter as an HF PEFT folder (or, in he
// mode, the aggregate ciphertext), written durably BEFORE the round's completion is committed.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import {
  ADAPTER_CONFIG_FILE,
  ADAPTER_WEIGHTS_FILE,
  flattenLoraTensors,
  readPeftAdapter,
} from "../model/peft.ts";
import { writeGlobalAdapter, type AdapterSpec } from "../model/peft-export.ts";
import { fsyncPath, writeFileAtomic } from "../durable/atomic-file.ts";
import type { CheckpointRef } from "./storage/store.ts";

export type CheckpointErrorCode = "missing" | "hash-mismatch";

/** A checkpoint that is gone or whose bytes no longer match the hash recorded with its round. */
export class CheckpointError extends Error {
  override readonly name = "CheckpointError";
  constructor(
    readonly code: CheckpointErrorCode,
    message: string,
  ) {
    super(message);
  }
}

function roundName(round: number): string {
  return `round-${String(round).padStart(6, "0")}`;
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * Writes `<dir>/round-NNNNNN/` (adapter_model.safetensors + adapter_config.json) from the flat global
 * vector. The folder is built under a temporary name, its files and the folder fsynced, then renamed
 * into place, so the final name only ever holds a complete adapter. A folder left by a try that
 * crashed before its round was committed is replaced. The returned sha256 is that of
 * adapter_model.safetensors, checkable with `sha256sum`.
 */
export async function writeAdapterCheckpoint(
  dir: string,
  round: number,
  globalVector: Float32Array,
  spec: AdapterSpec,
): Promise<CheckpointRef> {
  mkdirSync(dir, { recursive: true });
  const finalPath = join(dir, roundName(round));
  const partialPath = join(dir, `.${roundName(round)}.partial-${process.pid}`);
  rmSync(partialPath, { recursive: true, force: true });
  await writeGlobalAdapter(partialPath, spec, globalVector, round);
  fsyncPath(join(partialPath, ADAPTER_WEIGHTS_FILE));
  fsyncPath(join(partialPath, ADAPTER_CONFIG_FILE));
  fsyncPath(partialPath);
  rmSync(finalPath, { recursive: true, force: true });
  renameSync(partialPath, finalPath);
  fsyncPath(dir);
  return { path: finalPath, sha256: sha256(readFileSync(join(finalPath, ADAPTER_WEIGHTS_FILE))) };
}

/**
 * he mode: the coordinator holds only the aggregate ciphertext (the plaintext adapter exists only
 * at the sites), so that is what a round's checkpoint is: `<dir>/round-NNNNNN.ckks`.
 */
export function writeCiphertextCheckpoint(dir: string, round: number, ciphertext: Uint8Array): CheckpointRef {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${roundName(round)}.ckks`);
  writeFileAtomic(path, ciphertext);
  return { path, sha256: sha256(ciphertext) };
}

/**
 * he mode, reveal "sites": a key holder's decryption share of round `round`, sealed once for every site
 * (`<dir>/round-NNNNNN.share-<holder>.sealed`); the sites' keys to it are in the store. A file, not a SQLite
 * blob: written once, where SQLite writes it to its log and again to the database.
 */
export function writeSealedShare(dir: string, round: number, holder: string, body: Uint8Array): void {
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(sealedSharePath(dir, round, holder), body);
}

/** A share writeSealedShare wrote, or undefined; the sites check it against the SHA-256 in their key to it. */
export function readSealedShare(dir: string, round: number, holder: string): Uint8Array | undefined {
  const path = sealedSharePath(dir, round, holder);
  return existsSync(path) ? new Uint8Array(readFileSync(path)) : undefined;
}

const sealedSharePath = (dir: string, round: number, holder: string): string =>
  join(dir, `${roundName(round)}.share-${holder}.sealed`);

function verifiedBytes(file: string, ref: CheckpointRef): Buffer {
  if (!existsSync(file)) throw new CheckpointError("missing", `checkpoint ${file} is missing`);
  const bytes = readFileSync(file);
  const actual = sha256(bytes);
  if (actual !== ref.sha256) {
    throw new CheckpointError(
      "hash-mismatch",
      `checkpoint ${file} has SHA-256 ${actual}, recorded ${ref.sha256}`,
    );
  }
  return bytes;
}

/** Reads a PEFT checkpoint back into the flat global vector, after checking its recorded hash. */
export async function readAdapterCheckpoint(ref: CheckpointRef, spec: AdapterSpec): Promise<Float32Array> {
  verifiedBytes(join(ref.path, ADAPTER_WEIGHTS_FILE), ref);
  const adapter = await readPeftAdapter(ref.path);
  return flattenLoraTensors(spec.model, spec.lora, adapter.tensors);
}

/** Reads an he-mode checkpoint's ciphertext bytes, after checking its recorded hash. */
export function readCiphertextCheckpoint(ref: CheckpointRef): Uint8Array {
  return new Uint8Array(verifiedBytes(ref.path, ref));
}
