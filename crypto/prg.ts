// Mask expansion (the PRG of SecAgg): a 32-byte seed to a Uint32Array mask via the AES-256-CTR keystream of node:crypto.
import { createCipheriv } from "node:crypto";
import { ParameterError } from "./errors.ts";

export const PRG_SEED_BYTES = 32;

/** Keystream is produced this many bytes at a time: large enough to amortise the call, small enough to stay in L2. */
const CHUNK_BYTES = 64 * 1024;
const CHUNK_WORDS = CHUNK_BYTES / 4;
const ZERO_IV = new Uint8Array(16);

// Masks are read as little-endian words on every site; a big-endian host would disagree with the others.
if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) {
  throw new Error("crypto/prg: a little-endian host is required");
}

/** A stateful keystream reader for one seed. The key is used for one mask only, so a zero IV is safe. */
function keystream(seed: Uint8Array): (zeros: Uint8Array) => Uint32Array {
  if (seed.length !== PRG_SEED_BYTES) {
    throw new ParameterError(`prg: seed must be ${PRG_SEED_BYTES} bytes, got ${seed.length}`);
  }
  const cipher = createCipheriv("aes-256-ctr", seed, ZERO_IV);
  return (zeros) => {
    // CTR encryption of zeros is the keystream itself. update() returns a fresh buffer;
    // viewing it as words avoids a copy (it is 4-byte aligned unless Node pooled it).
    const ks = cipher.update(zeros);
    const view = ks.byteOffset % 4 === 0 ? ks : Uint8Array.prototype.slice.call(ks);
    return new Uint32Array(view.buffer, view.byteOffset, ks.length >>> 2);
  };
}

/** One mask to add (+1) or subtract (−1). */
export interface SignedMask {
  readonly seed: Uint8Array;
  readonly sign: 1 | -1;
}

/**
 * target[i] += Σ_m sign_m · PRG(seed_m)[i] mod 2^32. Masks are streamed, never materialised,
 * and applied chunk by chunk: every mask's keystream for one 64 KiB slice of the target is
 * added while that slice is in cache, so the cost is one keystream pass plus one add per word
 * per mask, and the target crosses memory once.
 */
export function applyMasks(target: Uint32Array, masks: readonly SignedMask[]): void {
  const streams = masks.map((m) => ({ next: keystream(m.seed), sign: m.sign }));
  const zeros = new Uint8Array(Math.min(CHUNK_BYTES, target.length * 4));
  for (let base = 0; base < target.length; base += CHUNK_WORDS) {
    const words = Math.min(CHUNK_WORDS, target.length - base);
    const input = words === CHUNK_WORDS ? zeros : zeros.subarray(0, words * 4);
    for (const { next, sign } of streams) {
      const ks = next(input);
      // Uint32Array stores reduce mod 2^32, so plain + and − are the group operation of Z_2^32.
      if (sign === 1) {
        for (let i = 0; i < words; i++) target[base + i] = (target[base + i] as number) + (ks[i] as number);
      } else {
        for (let i = 0; i < words; i++) target[base + i] = (target[base + i] as number) - (ks[i] as number);
      }
    }
  }
}

/** The mask PRG(seed) of `length` words, materialised (tests and tools; protocol code uses {@link applyMasks}). */
export function expandMask(seed: Uint8Array, length: number): Uint32Array {
  if (!Number.isSafeInteger(length) || length < 0) throw new ParameterError(`prg: bad mask length ${length}`);
  return keystream(seed)(new Uint8Array(length * 4));
}
