// CKKS sums: precision against the stated error, split/join across ciphertexts, keyless coordinator operations, and refusals that change nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  addEncryptedVectors,
  CkksAccumulator,
  CkksCapacityError,
  multiplyEncryptedVector,
} from "../../crypto/ckks/aggregate.ts";
import {
  createCkksContext,
  loadSeal,
  type CkksContext,
  type SealLibrary,
} from "../../crypto/ckks/context.ts";
import {
  DEFAULT_CKKS_PARAMS,
  expectedSumErrorStddev,
  maxAbsInput,
  type CkksParams,
} from "../../crypto/ckks/params.ts";
import {
  CkksRangeError,
  generateConsortiumSecretKey,
  openSiteSession,
  type CkksSiteSession,
} from "../../crypto/ckks/site.ts";
import { CkksFormatError, HEADER_BYTES } from "../../crypto/ckks/wire.ts";
import { CryptoError, ParameterError } from "../../crypto/errors.ts";
import { seededRng, type Rng } from "../../crypto/rng.ts";

let seal: SealLibrary;
let siteCtx: CkksContext;
/** The coordinator's own context: built from the public parameters only, it never sees a key. */
let coordinatorCtx: CkksContext;
let site: CkksSiteSession;

beforeAll(async () => {
  seal = await loadSeal();
  siteCtx = createCkksContext(seal);
  coordinatorCtx = createCkksContext(seal, DEFAULT_CKKS_PARAMS);
  const secretKey = generateConsortiumSecretKey(siteCtx);
  site = openSiteSession(siteCtx, secretKey);
  secretKey.fill(0);
});

afterAll(() => {
  site.dispose();
  coordinatorCtx.dispose();
  siteCtx.dispose();
});

function randomVector(rng: Rng, length: number, maxAbs = 1): Float32Array {
  return Float32Array.from({ length }, () => (rng.nextFloat64() * 2 - 1) * maxAbs);
}

function errorStats(actual: Float64Array, expected: ArrayLike<number>): { rms: number; max: number } {
  let sumSq = 0;
  let max = 0;
  for (let i = 0; i < actual.length; i++) {
    const e = (actual[i] ?? 0) - (expected[i] ?? 0);
    sumSq += e * e;
    max = Math.max(max, Math.abs(e));
  }
  return { rms: Math.sqrt(sumSq / actual.length), max };
}

describe("CKKS sums", () => {
  it("the sum of n vectors decrypts with the stated error (√n growth), far below the values' scale", () => {
    const rng = seededRng("ckks-sum");
    const n = 12;
    const length = 3 * siteCtx.slotCount + 17; // four ciphertexts, the last one partly filled
    const inputs = Array.from({ length: n }, () => randomVector(rng, length));
    const accumulator = new CkksAccumulator(coordinatorCtx, length);
    for (const input of inputs) accumulator.add(site.encryptVector(input));
    expect(accumulator.summands).toBe(n);
    const aggregate = accumulator.serialize();
    accumulator.dispose();

    const expected = new Float64Array(length);
    for (const input of inputs) input.forEach((v, i) => (expected[i] = (expected[i] ?? 0) + v));
    const { rms, max } = errorStats(site.decryptVector(aggregate, length), expected);
    const stated = expectedSumErrorStddev(DEFAULT_CKKS_PARAMS, n);
    expect(stated).toBeLessThan(1e-8);
    expect(rms / stated).toBeGreaterThan(0.7);
    expect(rms / stated).toBeLessThan(1.3);
    expect(max).toBeLessThan(6 * stated);
  });

  it("splits vectors across ciphertexts and joins them back, at every boundary", () => {
    const rng = seededRng("ckks-split");
    for (const length of [
      1,
      siteCtx.slotCount - 1,
      siteCtx.slotCount,
      siteCtx.slotCount + 1,
      2 * siteCtx.slotCount + 5,
    ]) {
      const input = randomVector(rng, length, 100);
      const encrypted = site.encryptVector(input);
      const count = new DataView(encrypted.buffer, encrypted.byteOffset).getUint32(HEADER_BYTES - 4, true);
      expect(count).toBe(Math.ceil(length / siteCtx.slotCount));
      const out = site.decryptVector(encrypted, length);
      expect(out).toHaveLength(length);
      expect(errorStats(out, input).max).toBeLessThan(6 * expectedSumErrorStddev(DEFAULT_CKKS_PARAMS, 1));
    }
  });

  it("costs at most 4.5 bytes of ciphertext per byte of float32 update", () => {
    const length = 16 * siteCtx.slotCount;
    const encrypted = site.encryptVector(randomVector(seededRng("size"), length));
    expect(encrypted.length / (4 * length)).toBeLessThanOrEqual(4.5);
  });
});

describe("coordinator operations (no key)", () => {
  it("adds and multiplies by public scalars; sites decrypt the result", () => {
    const rng = seededRng("ckks-coord");
    const length = siteCtx.slotCount + 3;
    const a = randomVector(rng, length);
    const b = randomVector(rng, length);
    const sum = addEncryptedVectors(coordinatorCtx, site.encryptVector(a), site.encryptVector(b));
    const scaled = multiplyEncryptedVector(coordinatorCtx, sum, -0.25);
    const out = site.decryptVector(scaled, length);
    const expected = a.map((v, i) => -0.25 * (v + (b[i] ?? 0)));
    expect(errorStats(out, expected).max).toBeLessThan(6 * expectedSumErrorStddev(DEFAULT_CKKS_PARAMS, 2));
  });

  it("averages a running sum in place", () => {
    const rng = seededRng("ckks-mean");
    const inputs = Array.from({ length: 5 }, () => randomVector(rng, 100));
    const accumulator = new CkksAccumulator(coordinatorCtx, 100);
    for (const input of inputs) accumulator.add(site.encryptVector(input));
    accumulator.multiplyByScalar(1 / accumulator.summands);
    const out = site.decryptVector(accumulator.serialize(), 100);
    accumulator.dispose();
    const mean = new Float64Array(100).map((_, i) => inputs.reduce((s, x) => s + (x[i] ?? 0), 0) / 5);
    expect(errorStats(out, mean).max).toBeLessThan(1e-7);
  });

  it("refuses malformed or mismatched inputs with a typed error and leaves the sum unchanged", () => {
    const rng = seededRng("ckks-bad");
    const length = 40;
    const x = randomVector(rng, length);
    const accumulator = new CkksAccumulator(coordinatorCtx, length);
    accumulator.add(site.encryptVector(x));
    const before = site.decryptVector(accumulator.serialize(), length);

    const good = site.encryptVector(x);
    const truncated = good.subarray(0, good.length - 10);
    const badMagic = Uint8Array.from(good);
    badMagic[0] = 0;
    const otherLength = site.encryptVector(randomVector(rng, length + 1));
    const otherParams = Uint8Array.from(good);
    otherParams[10] = (otherParams[10] ?? 0) ^ 0xff;
    const trailing = new Uint8Array(good.length + 1);
    trailing.set(good);
    const rescaled = multiplyEncryptedVector(coordinatorCtx, good, 3);
    const garbageChunk = Uint8Array.from(good);
    garbageChunk.fill(0xab, HEADER_BYTES + 4, HEADER_BYTES + 40);

    for (const bad of [truncated, badMagic, otherLength, otherParams, trailing, rescaled, garbageChunk]) {
      expect(() => accumulator.add(bad)).toThrow(CkksFormatError);
    }
    expect(accumulator.summands).toBe(1);
    expect(site.decryptVector(accumulator.serialize(), length)).toEqual(before);
    accumulator.dispose();
  });

  it("refuses more summands than the parameters allow", () => {
    const params: CkksParams = { ...DEFAULT_CKKS_PARAMS, maxSummands: 2 };
    const ctx = createCkksContext(seal, params);
    const key = generateConsortiumSecretKey(ctx);
    const small = openSiteSession(ctx, key);
    key.fill(0);
    const accumulator = new CkksAccumulator(ctx, 8);
    const v = Float32Array.from({ length: 8 }, () => 1);
    accumulator.add(small.encryptVector(v));
    accumulator.add(small.encryptVector(v));
    expect(() => accumulator.add(small.encryptVector(v))).toThrow(CkksCapacityError);
    expect(accumulator.summands).toBe(2);
    accumulator.dispose();
    small.dispose();
    ctx.dispose();
  });
});

describe("site input checks and parameters", () => {
  it("refuses values that could overflow a full sum, and non-finite values", () => {
    const bound = maxAbsInput(DEFAULT_CKKS_PARAMS);
    expect(bound).toBe(4096);
    expect(() => site.encryptVector(Float32Array.from([0, bound * 2]))).toThrow(CkksRangeError);
    expect(() => site.encryptVector(Float32Array.from([Number.NaN]))).toThrow(CkksRangeError);
    expect(() => site.encryptVector(new Float32Array(0))).toThrow(CryptoError);
  });

  it("refuses parameters SEAL deems insecure or that leave no headroom", () => {
    expect(() => createCkksContext(seal, { ...DEFAULT_CKKS_PARAMS, polyModulusDegree: 2048 })).toThrow(
      ParameterError,
    );
    expect(() => createCkksContext(seal, { ...DEFAULT_CKKS_PARAMS, scaleBits: 58 })).toThrow(ParameterError);
  });
});
