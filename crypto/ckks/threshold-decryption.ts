// Threshold decryption of an aggregate: what a key holder checks before it answers, its decryption share with smudging noise, and how t shares combine into the plain sum.
//
// A holder j of the answering set T sends h = c1·λ_j·F(x_j) + e_smudge per ciphertext (Mouchet et al.
// 2021, collective key switching to the zero key; Asharov et al. 2012). Then c0 + Σ_{j∈T} h_j = c0 + c1·s +
// Σ e_smudge = m + e + Σ e_smudge. The smudging noise hides e, whose value depends on the secrets (the
// decryption of an unsmudged sum would leak s: Li & Micciancio, EUROCRYPT 2021); σ and its margin are in
// threshold-params.ts and docs/he-threshold.md.
//
// A share depends only on c1, so a holder answers only for a c1 it can check is the sum of the c1s of at
// least `minUploads` (never fewer than 2) accepted uploads from distinct sites with distinct ciphertexts:
// a coordinator cannot have one site's upload decrypted, alone or passed off as several.
import { createHash } from "node:crypto";
import { ProtocolError } from "../errors.ts";
import { equalBytes } from "../keys.ts";
import type { Rng } from "../rng.ts";
import { centredCoefficients, polyBytes, type Poly } from "./modular.ts";
import { gaussianNoisePoly } from "./sampling.ts";
import { readCiphertext } from "./seal-format.ts";
import { lagrangeWeightAtZero, type HolderIndex } from "./threshold-keys.ts";
import type { PolyTools } from "./threshold-params.ts";
import { thresholdVectorExpectation } from "./threshold-site.ts";
import { CkksFormatError, decodeEncryptedVector } from "./wire.ts";
import { decodeDecryptionShare, encodeDecryptionShare } from "./decryption-share-wire.ts";

/** The fewest uploads an aggregate may hold for a holder to help decrypt it. */
export const MIN_UPLOADS_FLOOR = 2;

export interface DecryptionRequest {
  /** The aggregate encrypted vector. */
  readonly aggregate: Uint8Array;
  /** The accepted uploads it claims to sum, one per site. */
  readonly uploads: readonly { readonly siteId: string; readonly upload: Uint8Array }[];
  /** Holder indices of the answering set T (at least the threshold), in any order. */
  readonly participants: readonly HolderIndex[];
}

interface ParsedVector {
  readonly length: number;
  readonly summands: number;
  readonly chunks: readonly Uint8Array[];
}

function parseVector(tools: PolyTools, bytes: Uint8Array, length?: number): ParsedVector {
  const { header, chunks } = decodeEncryptedVector(bytes, thresholdVectorExpectation(tools, length));
  return { length: header.length, summands: header.summands, chunks };
}

const ciphertextOf = (tools: PolyTools, chunk: Uint8Array, what: string) => {
  const { polys } = readCiphertext(chunk, tools, what);
  if (!tools.modulus.isReduced(polys[0]) || !tools.modulus.isReduced(polys[1]))
    throw new CkksFormatError(`${what}: coefficients not reduced mod q`);
  return polys;
};

/** SHA-256 of the aggregate's bytes: a share names the aggregate it decrypts. */
export function aggregateDigest(aggregate: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(aggregate).digest());
}

/**
 * Checks that `request.aggregate` is the ciphertext-wise sum of the listed uploads, that they are at least
 * max(minUploads, 2) uploads of single sites with distinct ids and distinct ciphertexts, and returns the
 * aggregate's c1 polynomials. Throws a ProtocolError naming what is wrong; computes nothing secret.
 */
export function checkAggregate(tools: PolyTools, request: DecryptionRequest, minUploads: number): Poly[] {
  const required = Math.max(MIN_UPLOADS_FLOOR, minUploads);
  const { uploads } = request;
  if (uploads.length < required)
    throw new ProtocolError(
      "too-few-sites",
      `aggregate of ${uploads.length} uploads; at least ${required} required`,
    );
  if (new Set(uploads.map((u) => u.siteId)).size !== uploads.length)
    throw new ProtocolError("duplicate", "the same site is listed twice among the accepted uploads");
  const aggregate = parseVector(tools, request.aggregate);
  if (aggregate.summands !== uploads.length)
    throw new ProtocolError(
      "malformed",
      `aggregate claims ${aggregate.summands} summands, ${uploads.length} uploads listed`,
    );
  const parsed = uploads.map((u) => {
    const vector = parseVector(tools, u.upload, aggregate.length);
    if (vector.summands !== 1)
      throw new ProtocolError("malformed", `upload of ${u.siteId} is not a single site's`);
    return vector;
  });
  const c1s: Poly[] = [];
  aggregate.chunks.forEach((chunk, c) => {
    const [c0, c1] = ciphertextOf(tools, chunk, `aggregate chunk ${c}`);
    const sum0 = tools.modulus.zeroPoly();
    const sum1 = tools.modulus.zeroPoly();
    // Per chunk, so that an upload replayed with one chunk altered is refused too.
    const digests = new Set<string>();
    for (const vector of parsed) {
      const [u0, u1] = ciphertextOf(tools, vector.chunks[c] as Uint8Array, `upload chunk ${c}`);
      digests.add(createHash("sha256").update(polyBytes(u1)).digest("hex"));
      tools.modulus.addPoly(sum0, sum0, u0);
      tools.modulus.addPoly(sum1, sum1, u1);
    }
    if (digests.size !== parsed.length)
      throw new ProtocolError("duplicate", `two accepted uploads carry the same ciphertext (chunk ${c})`);
    if (!equalBytes(polyBytes(sum0), polyBytes(c0)) || !equalBytes(polyBytes(sum1), polyBytes(c1)))
      throw new ProtocolError("malformed", `aggregate chunk ${c} is not the sum of the accepted uploads`);
    c1s.push(c1);
  });
  return c1s;
}

/**
 * A holder's decryption share for a checked aggregate: per ciphertext c1·λ_x·F(x) + e_smudge, with
 * σ_smudge = 2^smudgingStddevBits. `keyShare` is F(x) (threshold-keys.ts combineReceivedShares).
 */
export function createDecryptionShare(
  tools: PolyTools,
  answer: {
    readonly request: DecryptionRequest;
    readonly x: HolderIndex;
    readonly keyShare: Poly;
    readonly threshold: number;
    readonly minUploads: number;
    readonly rng: Rng;
  },
): Uint8Array {
  const { request, x, threshold } = answer;
  if (request.participants.length < threshold)
    throw new ProtocolError(
      "too-few-sites",
      `${request.participants.length} participants; threshold is ${threshold}`,
    );
  const c1s = checkAggregate(tools, request, answer.minUploads);
  const weighted = tools.modulus.zeroPoly();
  tools.modulus.mulScalar(
    weighted,
    answer.keyShare,
    lagrangeWeightAtZero(tools.modulus.value, request.participants, x),
  );
  const smudgingStddev = 2 ** tools.params.smudgingStddevBits;
  const polys = c1s.map((c1) => {
    const share = tools.modulus.zeroPoly();
    tools.modulus.mulPoly(share, c1, weighted);
    const noise = gaussianNoisePoly(tools, answer.rng, smudgingStddev);
    tools.modulus.addPoly(share, share, noise);
    noise.fill(0);
    return share;
  });
  weighted.fill(0);
  const length = parseVector(tools, request.aggregate).length;
  return encodeDecryptionShare(
    tools,
    { x, participants: request.participants, length, aggregateDigest: aggregateDigest(request.aggregate) },
    polys,
  );
}

/**
 * c0 + Σ shares, decoded: the plain sum. Refuses (ProtocolError "too-few-sites") unless the shares come
 * from exactly the participant set they were computed for, and that set has at least `threshold` holders:
 * fewer shares would decode to noise, never to a wrong sum presented as right.
 */
export function combineDecryptionShares(
  tools: PolyTools,
  aggregate: Uint8Array,
  shares: readonly Uint8Array[],
  threshold: number,
): Float64Array {
  const vector = parseVector(tools, aggregate);
  const digest = aggregateDigest(aggregate);
  const decoded = shares.map((s) =>
    decodeDecryptionShare(tools, s, { length: vector.length, aggregateDigest: digest }),
  );
  const participants = decoded[0]?.participants ?? [];
  if (participants.length < threshold || decoded.length < threshold)
    throw new ProtocolError(
      "too-few-sites",
      `${decoded.length} decryption shares; threshold is ${threshold}`,
    );
  const sameSet = (xs: readonly number[]) =>
    xs.length === participants.length && xs.every((x, i) => x === participants[i]);
  if (!decoded.every((d) => sameSet(d.participants)))
    throw new ProtocolError("malformed", "decryption shares were computed for different participant sets");
  const senders = decoded.map((d) => d.x).sort((a, b) => a - b);
  if (!sameSet(senders))
    throw new ProtocolError(
      "too-few-sites",
      "the shares do not come from exactly the participants they name",
    );
  const scale = 2 ** tools.params.scaleBits;
  const out = new Float64Array(vector.length);
  vector.chunks.forEach((chunk, c) => {
    const [c0] = ciphertextOf(tools, chunk, `aggregate chunk ${c}`);
    for (const d of decoded) tools.modulus.addPoly(c0, c0, d.polys[c] as Poly);
    tools.ntt.inverse(c0);
    const values = centredCoefficients(c0, tools.modulus.value);
    const start = c * tools.degree;
    for (let i = 0; i < Math.min(tools.degree, vector.length - start); i++)
      out[start + i] = (values[i] as number) / scale;
  });
  return out;
}
