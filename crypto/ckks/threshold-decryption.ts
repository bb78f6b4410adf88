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
// a coordinator cannot have one site's upload decrypted, alone or passed off as several. Being all it needs,
// the c1s are all it downloads (the "second-polynomials" form of wire.ts): half of every ciphertext.
import { createHash } from "node:crypto";
import { ProtocolError } from "../errors.ts";
import { equalBytes } from "../keys.ts";
import type { Rng } from "../rng.ts";
import { centredCoefficients, polyBytes, type Poly } from "./modular.ts";
import { gaussianNoisePoly } from "./sampling.ts";
import { parsePolyBytes } from "./collective-key.ts";
import { CIPHERTEXT_DATA_OFFSET, checkCiphertextHeader, readCiphertext } from "./seal-format.ts";
import { lagrangeWeightAtZero, type HolderIndex } from "./threshold-keys.ts";
import type { PolyTools } from "./threshold-params.ts";
import { thresholdVectorExpectation } from "./threshold-site.ts";
import { CkksFormatError, decodeEncryptedVector, encodeEncryptedVector } from "./wire.ts";
import { decodeDecryptionShare, encodeDecryptionShare } from "./decryption-share-wire.ts";

/** The fewest uploads an aggregate may hold for a holder to help decrypt it. */
export const MIN_UPLOADS_FLOOR = 2;

/** What a holder is asked to decrypt, every vector in the "second-polynomials" form ({@link secondPolynomials}). */
export interface DecryptionRequest {
  /** The aggregate's c1s. */
  readonly aggregate: Uint8Array;
  /** The c1s of the accepted uploads it claims to sum, one per site. */
  readonly uploads: readonly { readonly siteId: string; readonly upload: Uint8Array }[];
  /** Holder indices of the answering set T (at least the threshold), in any order. */
  readonly participants: readonly HolderIndex[];
}

/**
 * An encrypted vector cut down to what a key holder needs: its header and each ciphertext's c1, half the bytes
 * of the ciphertexts. Checks each chunk's SEAL header; the holder checks the coefficients as it parses them.
 */
export function secondPolynomials(tools: PolyTools, encrypted: Uint8Array): Uint8Array {
  const { header, chunks } = decodeEncryptedVector(encrypted, thresholdVectorExpectation(tools));
  const polyLength = tools.degree * 8;
  const start = CIPHERTEXT_DATA_OFFSET + polyLength;
  const c1s = chunks.map((chunk, c) => {
    checkCiphertextHeader(chunk, tools, `chunk ${c}`);
    return chunk.subarray(start, start + polyLength);
  });
  return encodeEncryptedVector(header, c1s, "second-polynomials");
}

/** A decryption's vectors as whole ciphertexts, before they are cut for the holders ({@link holderRequest}). */
export interface WholeDecryptionRequest {
  readonly aggregate: Uint8Array;
  readonly uploads: readonly { readonly siteId: string; readonly upload: Uint8Array }[];
  readonly participants: readonly HolderIndex[];
}

/** What the holders are sent for `whole`: every vector cut to its c1s. */
export function holderRequest(tools: PolyTools, whole: WholeDecryptionRequest): DecryptionRequest {
  return {
    aggregate: secondPolynomials(tools, whole.aggregate),
    uploads: whole.uploads.map(({ siteId, upload }) => ({
      siteId,
      upload: secondPolynomials(tools, upload),
    })),
    participants: whole.participants,
  };
}

interface ParsedSecondPolynomials {
  readonly length: number;
  readonly summands: number;
  readonly c1s: readonly Poly[];
}

function parseSecondPolynomials(
  tools: PolyTools,
  bytes: Uint8Array,
  what: string,
  length?: number,
): ParsedSecondPolynomials {
  const { header, chunks } = decodeEncryptedVector(bytes, {
    ...thresholdVectorExpectation(tools, length),
    maxChunkBytes: tools.degree * 8,
    form: "second-polynomials",
  });
  const c1s = chunks.map((chunk, c) => parsePolyBytes(tools, chunk, `${what} chunk ${c}`));
  return { length: header.length, summands: header.summands, c1s };
}

/** SHA-256 of the aggregate's c1s ({@link secondPolynomials}): a share names the aggregate it decrypts. */
export function aggregateDigest(aggregateSecondPolynomials: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(aggregateSecondPolynomials).digest());
}

/**
 * Checks that the aggregate's c1s are the sums of the listed uploads' c1s, that they are at least
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
  const aggregate = parseSecondPolynomials(tools, request.aggregate, "aggregate");
  if (aggregate.summands !== uploads.length)
    throw new ProtocolError(
      "malformed",
      `aggregate claims ${aggregate.summands} summands, ${uploads.length} uploads listed`,
    );
  const parsed = uploads.map((u) => {
    const vector = parseSecondPolynomials(tools, u.upload, `upload of ${u.siteId}`, aggregate.length);
    if (vector.summands !== 1)
      throw new ProtocolError("malformed", `upload of ${u.siteId} is not a single site's`);
    return vector;
  });
  return aggregate.c1s.map((c1, c) => {
    const sum = tools.modulus.zeroPoly();
    // Per chunk, so that an upload replayed with one chunk altered is refused too.
    const digests = new Set<string>();
    for (const vector of parsed) {
      const u1 = vector.c1s[c] as Poly;
      digests.add(createHash("sha256").update(polyBytes(u1)).digest("hex"));
      tools.modulus.addPoly(sum, sum, u1);
    }
    if (digests.size !== parsed.length)
      throw new ProtocolError("duplicate", `two accepted uploads carry the same ciphertext (chunk ${c})`);
    if (!equalBytes(polyBytes(sum), polyBytes(c1)))
      throw new ProtocolError("malformed", `aggregate chunk ${c} is not the sum of the accepted uploads`);
    return c1;
  });
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
  const { length } = decodeEncryptedVector(request.aggregate, {
    ...thresholdVectorExpectation(tools),
    form: "second-polynomials",
  }).header;
  return encodeDecryptionShare(
    tools,
    { x, participants: request.participants, length, aggregateDigest: aggregateDigest(request.aggregate) },
    polys,
  );
}

function aggregateC0(tools: PolyTools, chunk: Uint8Array, c: number): Poly {
  const [c0] = readCiphertext(chunk, tools, `aggregate chunk ${c}`).polys;
  if (!tools.modulus.isReduced(c0)) throw new CkksFormatError(`aggregate chunk ${c}: c0 not reduced mod q`);
  return c0;
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
  const vector = decodeEncryptedVector(aggregate, thresholdVectorExpectation(tools));
  const { length } = vector.header;
  const digest = aggregateDigest(secondPolynomials(tools, aggregate));
  const decoded = shares.map((s) => decodeDecryptionShare(tools, s, { length, aggregateDigest: digest }));
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
  const out = new Float64Array(length);
  vector.chunks.forEach((chunk, c) => {
    const c0 = aggregateC0(tools, chunk, c);
    for (const d of decoded) tools.modulus.addPoly(c0, c0, d.polys[c] as Poly);
    tools.ntt.inverse(c0);
    const values = centredCoefficients(c0, tools.modulus.value);
    const start = c * tools.degree;
    for (let i = 0; i < Math.min(tools.degree, length - start); i++)
      out[start + i] = (values[i] as number) / scale;
  });
  return out;
}
