// Injected randomness (STYLE.md item 6): a CSPRNG for production and a seeded AES-256-CTR DRBG for tests and simulations.
import { createCipheriv, createHash, randomFillSync } from "node:crypto";

/** A source of uniform random bits. Every function that samples takes one. */
export interface Rng {
  /** A uniform integer in [0, 2^32). */
  nextUint32(): number;
  /** A uniform float in [0, 1) with 53 random bits. */
  nextFloat64(): number;
  /** Overwrites `bytes` with uniform random bytes. */
  fill(bytes: Uint8Array): void;
}

/** A uniform integer in [0, n) for 1 ≤ n ≤ 2^32, without modulo bias: draws at or above the largest multiple of n are rejected. */
export function uniformBelow(rng: Rng, n: number): number {
  if (!Number.isSafeInteger(n) || n < 1 || n > 2 ** 32)
    throw new RangeError(`uniformBelow: n must be an integer in [1, 2^32], got ${n}`);
  const limit = 2 ** 32 - (2 ** 32 % n);
  for (;;) {
    const v = rng.nextUint32();
    if (v < limit) return v % n;
  }
}

/** Seed accepted by {@link seededRng}: raw bytes, a string (UTF-8) or a safe integer. */
export type RngSeed = Uint8Array | string | number;

const POOL_BYTES = 4096;
const TWO_POW_26 = 67108864;
const TWO_POW_53 = 9007199254740992;

/** Builds an Rng from a function that refills a pool; bytes are consumed in order, so equal streams give equal draws. */
function pooledRng(refill: (pool: Uint8Array) => void): Rng {
  const pool = new Uint8Array(POOL_BYTES);
  const view = new DataView(pool.buffer);
  let pos = POOL_BYTES;
  const take4 = (): number => {
    if (pos + 4 > POOL_BYTES) {
      refill(pool);
      pos = 0;
    }
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  return {
    nextUint32: take4,
    nextFloat64: () => {
      // 27 + 26 = 53 bits, the same construction as V8's and NumPy's random_double.
      const hi = take4() >>> 5;
      const lo = take4() >>> 6;
      return (hi * TWO_POW_26 + lo) / TWO_POW_53;
    },
    fill: (bytes: Uint8Array) => {
      let off = 0;
      while (off < bytes.length) {
        if (pos === POOL_BYTES) {
          refill(pool);
          pos = 0;
        }
        const n = Math.min(POOL_BYTES - pos, bytes.length - off);
        bytes.set(pool.subarray(pos, pos + n), off);
        pos += n;
        off += n;
      }
    },
  };
}

/** The operating system's CSPRNG (node:crypto randomFillSync), pooled so small draws stay cheap. */
export function cryptoRng(): Rng {
  return pooledRng((pool) => {
    randomFillSync(pool);
  });
}

/** Domain-separated SHA-256 of the seed, so "1", 1 and the bytes [0x31] give different streams. */
function seedKey(seed: RngSeed): Buffer {
  const h = createHash("sha256").update("fedtune/seeded-rng/v1\0");
  if (typeof seed === "number") {
    if (!Number.isSafeInteger(seed))
      throw new RangeError(`seededRng: numeric seed must be a safe integer, got ${seed}`);
    h.update("n\0").update(String(seed));
  } else if (typeof seed === "string") {
    h.update("s\0").update(seed, "utf8");
  } else {
    h.update("b\0").update(seed);
  }
  return h.digest();
}

/**
 * Deterministic DRBG: the AES-256-CTR keystream under key SHA-256(seed) with a zero IV
 * (the CTR_DRBG output function of NIST SP 800-90A §10.2 without reseeding). For tests and
 * reproducible simulations only; production secrets come from {@link cryptoRng}.
 */
export function seededRng(seed: RngSeed): Rng {
  const cipher = createCipheriv("aes-256-ctr", seedKey(seed), Buffer.alloc(16));
  const zeros = new Uint8Array(POOL_BYTES);
  return pooledRng((pool) => {
    // Encrypting zeros yields the raw keystream; the stream counter carries across refills.
    pool.set(cipher.update(zeros));
  });
}
