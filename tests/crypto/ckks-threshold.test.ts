// Threshold CKKS end to end: collective key, coefficient-packed uploads, streaming sum, t-of-n decryption, and what must be refused.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CiphertextSumAccumulator } from "../../crypto/ckks/aggregate-stream.ts";
import { createCkksContext, loadSeal, type CkksContext } from "../../crypto/ckks/context.ts";
import { centredCoefficients, type Poly } from "../../crypto/ckks/modular.ts";
import { readCiphertext } from "../../crypto/ckks/seal-format.ts";
import {
  combineDecryptionShares,
  createDecryptionShare,
  holderRequest,
  secondPolynomials,
  type WholeDecryptionRequest,
} from "../../crypto/ckks/threshold-decryption.ts";
import {
  runCeremony,
  decryptTogether,
  type SimulatedCeremony,
} from "../../crypto/ckks/threshold-in-process.ts";
import { lagrangeWeightAtZero } from "../../crypto/ckks/threshold-keys.ts";
import {
  createPolyTools,
  expectedThresholdErrorStddev,
  THRESHOLD_CKKS_PARAMS,
  type PolyTools,
} from "../../crypto/ckks/threshold-params.ts";
import { createThresholdEncryptor, type ThresholdEncryptor } from "../../crypto/ckks/threshold-site.ts";
import { decodeEncryptedVector, encodeEncryptedVector } from "../../crypto/ckks/wire.ts";
import { ProtocolError } from "../../crypto/errors.ts";
import { seededRng } from "../../crypto/rng.ts";

const HOLDERS = 4;
const THRESHOLD = 3;
const LENGTH = 5000; // two ciphertexts, the second partly filled
const SITES = 3;

let ctx: CkksContext;
let tools: PolyTools;
let ceremony: SimulatedCeremony;
let encryptor: ThresholdEncryptor;
let inputs: Float32Array[];
let plainSum: Float64Array;
let uploads: { siteId: string; upload: Uint8Array }[];
let aggregate: Uint8Array;

function randomVector(seed: string, length: number, scale: number): Float32Array {
  const rng = seededRng(seed);
  return Float32Array.from({ length }, () => (rng.nextFloat64() * 2 - 1) * scale);
}

function sumOf(vectors: readonly Uint8Array[], length: number): Uint8Array {
  const accumulator = new CiphertextSumAccumulator(tools, length);
  for (const v of vectors) accumulator.add(v);
  return accumulator.serialize();
}

function requestFor(participants: number[]): WholeDecryptionRequest {
  return { aggregate, uploads, participants };
}

function maxAbsError(a: Float64Array, b: Float64Array): number {
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - (b[i] as number))), 0);
}

/** All k-subsets of 1..n. */
function subsets(n: number, k: number): number[][] {
  if (k === 0) return [[]];
  if (n < k) return [];
  return [...subsets(n - 1, k), ...subsets(n - 1, k - 1).map((s) => [...s, n])];
}

beforeAll(async () => {
  ctx = createCkksContext(await loadSeal(), THRESHOLD_CKKS_PARAMS);
  tools = createPolyTools(ctx, THRESHOLD_CKKS_PARAMS);
  ceremony = runCeremony(tools, HOLDERS, THRESHOLD, seededRng("ceremony"));
  encryptor = createThresholdEncryptor(tools, ceremony.publicKey);
  inputs = Array.from({ length: SITES }, (_, k) => randomVector(`input-${k}`, LENGTH, 1));
  plainSum = new Float64Array(LENGTH);
  for (const input of inputs) input.forEach((v, i) => (plainSum[i] = (plainSum[i] as number) + v));
  uploads = inputs.map((input, k) => ({ siteId: `site-${k + 1}`, upload: encryptor.encryptVector(input) }));
  aggregate = sumOf(
    uploads.map((u) => u.upload),
    LENGTH,
  );
});

afterAll(() => {
  encryptor.dispose();
  ctx.dispose();
});

describe("collective key and t-of-n decryption", () => {
  const tolerance = () => 8 * expectedThresholdErrorStddev(THRESHOLD_CKKS_PARAMS, HOLDERS, SITES, THRESHOLD);

  it("every t-subset of the holders decrypts the sum of uploads made under the collective key", () => {
    const sets = subsets(HOLDERS, THRESHOLD);
    expect(sets).toHaveLength(4);
    for (const participants of sets) {
      const decrypted = decryptTogether(
        tools,
        ceremony,
        requestFor(participants),
        2,
        seededRng(participants.join()),
      );
      expect(maxAbsError(decrypted, plainSum)).toBeLessThan(tolerance());
    }
  });

  it("all n holders together decrypt too (a larger set than t), and n-of-n ceremonies work", () => {
    const all = decryptTogether(tools, ceremony, requestFor([1, 2, 3, 4]), 2, seededRng("all"));
    expect(maxAbsError(all, plainSum)).toBeLessThan(tolerance());
    const nOfN = runCeremony(tools, 3, 3, seededRng("n-of-n"));
    const nOfNEncryptor = createThresholdEncryptor(tools, nOfN.publicKey);
    try {
      const pair = inputs
        .slice(0, 2)
        .map((input, k) => ({ siteId: `s${k}`, upload: nOfNEncryptor.encryptVector(input) }));
      const request = {
        aggregate: sumOf(
          pair.map((u) => u.upload),
          LENGTH,
        ),
        uploads: pair,
        participants: [1, 2, 3],
      };
      const decrypted = decryptTogether(tools, nOfN, request, 2, seededRng("n-of-n-decrypt"));
      const expected = Float64Array.from(inputs[0] as Float32Array, (v, i) => v + (inputs[1]?.[i] ?? 0));
      expect(maxAbsError(decrypted, expected)).toBeLessThan(tolerance());
    } finally {
      nOfNEncryptor.dispose();
    }
  });

  it("t − 1 holders' key shares, however weighted, decrypt to noise, not the aggregate", () => {
    // The strongest use of t − 1 shares: Lagrange interpolation at 0 over their own points, as if t − 1 sufficed.
    const coalition = ceremony.holders.slice(0, THRESHOLD - 1);
    const xs = coalition.map((h) => h.x);
    const guess = tools.modulus.zeroPoly();
    for (const holder of coalition) {
      const weighted = tools.modulus.zeroPoly();
      tools.modulus.mulScalar(
        weighted,
        holder.keyShare,
        lagrangeWeightAtZero(tools.modulus.value, xs, holder.x),
      );
      tools.modulus.addPoly(guess, guess, weighted);
    }
    const { chunks } = decodeEncryptedVector(aggregate, {
      fingerprint: tools.fingerprint,
      slotCount: tools.degree,
      maxChunkBytes: 1 << 20,
    });
    const [c0, c1] = readCiphertext(chunks[0] as Uint8Array, tools, "aggregate").polys;
    const product: Poly = tools.modulus.zeroPoly();
    tools.modulus.mulPoly(product, c1, guess);
    tools.modulus.addPoly(product, product, c0);
    tools.ntt.inverse(product);
    const decoded = Array.from(
      centredCoefficients(product, tools.modulus.value),
      (v) => v / 2 ** THRESHOLD_CKKS_PARAMS.scaleBits,
    );
    // A leak would decode near the sum (|error| < 1e-4); noise spreads over ±q/2Δ (±2^(59 − scaleBits)), whose
    // mean absolute value is a quarter of q/Δ (2048 at Δ = 2^47); the bar is a quarter of that.
    const meanAbsError =
      decoded.reduce((s, v, i) => s + Math.abs(v - (plainSum[i] as number)), 0) / decoded.length;
    expect(meanAbsError).toBeGreaterThan(2 ** (58 - THRESHOLD_CKKS_PARAMS.scaleBits) / 4);
    // And the combination path refuses fewer than t shares outright.
    const shares = [1, 2].map((x) => {
      const holder = ceremony.holders[x - 1]!;
      return createDecryptionShare(tools, {
        request: holderRequest(tools, requestFor([1, 2, 3])),
        x,
        keyShare: holder.keyShare,
        threshold: THRESHOLD,
        minUploads: 2,
        rng: seededRng(x),
      });
    });
    expect(() => combineDecryptionShares(tools, aggregate, shares, THRESHOLD)).toThrow(ProtocolError);
    expect(() =>
      createDecryptionShare(tools, {
        request: holderRequest(tools, requestFor([1, 2])),
        x: 1,
        keyShare: ceremony.holders[0]!.keyShare,
        threshold: THRESHOLD,
        minUploads: 2,
        rng: seededRng(1),
      }),
    ).toThrow(/threshold is 3/);
  });

  it("a share computed for one aggregate does not combine with another", () => {
    const other = sumOf(
      uploads.slice(0, 2).map((u) => u.upload),
      LENGTH,
    );
    const shares = [1, 2, 3].map((x) =>
      createDecryptionShare(tools, {
        request: holderRequest(tools, requestFor([1, 2, 3])),
        x,
        keyShare: ceremony.holders[x - 1]!.keyShare,
        threshold: THRESHOLD,
        minUploads: 2,
        rng: seededRng(x),
      }),
    );
    expect(() => combineDecryptionShares(tools, other, shares, THRESHOLD)).toThrow(/another aggregate/);
    // A share of the format whose digest covered the whole aggregate is refused by its version, by name.
    const versionOne = shares.map((share) => Uint8Array.from(share, (b, i) => (i === 4 ? 1 : b)));
    expect(() => combineDecryptionShares(tools, aggregate, versionOne, THRESHOLD)).toThrow(
      /unsupported decryption-share version 1/,
    );
  });
});

describe("what a key holder refuses to decrypt", () => {
  const answer = (request: WholeDecryptionRequest, minUploads = 2) =>
    createDecryptionShare(tools, {
      request: holderRequest(tools, request),
      x: 1,
      keyShare: ceremony.holders[0]!.keyShare,
      threshold: THRESHOLD,
      minUploads,
      rng: seededRng("refusal"),
    });

  it("a single site's upload, however it is presented", () => {
    const single = uploads[0]!;
    expect(() => answer({ aggregate: single.upload, uploads: [single], participants: [1, 2, 3] }, 1)).toThrow(
      /at least 2/,
    );
    // The upload passed off as an aggregate of two sites: it is not their sum.
    const claimed = decodeEncryptedVector(single.upload, {
      fingerprint: tools.fingerprint,
      slotCount: tools.degree,
      maxChunkBytes: 1 << 20,
    });
    const relabelled = encodeEncryptedVector({ ...claimed.header, summands: 2 }, claimed.chunks);
    expect(() =>
      answer({ aggregate: relabelled, uploads: uploads.slice(0, 2), participants: [1, 2, 3] }),
    ).toThrow(/not the sum/);
    // The same upload listed under two site ids (a replay).
    const replay = [single, { siteId: "site-9", upload: single.upload }];
    const doubled = sumOf([single.upload, single.upload], LENGTH);
    expect(() => answer({ aggregate: doubled, uploads: replay, participants: [1, 2, 3] })).toThrow(
      /same ciphertext/,
    );
  });

  it("an aggregate that does not match the accepted uploads, or fewer uploads than the configured minimum", () => {
    expect(() => answer({ aggregate, uploads: uploads.slice(0, 2), participants: [1, 2, 3] })).toThrow(
      /summands/,
    );
    const partial = sumOf(
      uploads.slice(0, 2).map((u) => u.upload),
      LENGTH,
    );
    const swapped = [uploads[0]!, uploads[2]!];
    expect(() => answer({ aggregate: partial, uploads: swapped, participants: [1, 2, 3] })).toThrow(
      /not the sum/,
    );
    expect(() => answer(requestFor([1, 2, 3]), 4)).toThrow(/at least 4/);
    expect(() =>
      answer({ aggregate, uploads: [uploads[0]!, uploads[1]!, uploads[0]!], participants: [1, 2, 3] }),
    ).toThrow(/twice/);
  });
});

describe("sizes against the targets", () => {
  it("an upload is ≤ 4.5 bytes and a decryption share ≤ 2.5 bytes per float32 byte", () => {
    const floatBytes = 4 * LENGTH;
    const share = createDecryptionShare(tools, {
      request: holderRequest(tools, requestFor([1, 2, 3])),
      x: 1,
      keyShare: ceremony.holders[0]!.keyShare,
      threshold: THRESHOLD,
      minUploads: 2,
      rng: seededRng("size"),
    });
    // LENGTH fills 1.2 ciphertexts; a full one is the honest ratio: 4.0 and 2.0 plus headers.
    const full = encryptor.encryptVector(new Float32Array(tools.degree));
    expect(full.length / (4 * tools.degree)).toBeLessThanOrEqual(4.5);
    expect(share.length / (4 * 2 * tools.degree)).toBeLessThanOrEqual(2.5);
    expect(uploads[0]!.upload.length).toBeGreaterThan(floatBytes);
  });

  it("a key holder is sent each vector's c1s only: ≤ 2.01 bytes per float32 byte, and nothing else is answered", () => {
    const full = encryptor.encryptVector(new Float32Array(tools.degree));
    const cut = secondPolynomials(tools, full);
    expect(cut.length / (4 * tools.degree)).toBeLessThanOrEqual(2.01);
    expect(cut.length).toBeLessThan(full.length / 2);
    // Whole ciphertexts in place of their c1s are refused, not half-read.
    const whole = { aggregate, uploads, participants: [1, 2, 3] };
    expect(() =>
      createDecryptionShare(tools, {
        request: whole,
        x: 1,
        keyShare: ceremony.holders[0]!.keyShare,
        threshold: THRESHOLD,
        minUploads: 2,
        rng: seededRng("whole"),
      }),
    ).toThrow(/second-polynomials \(bad magic\)/);
  });
});
