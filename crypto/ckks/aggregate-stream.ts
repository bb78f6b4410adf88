// The coordinator's running sum of threshold-CKKS uploads: modular addition (WebAssembly, wasm-sum.ts) on the serialized polynomials as uploads arrive, with no SEAL load or save per ciphertext.
//
// Each upload is checked in full (framing, SEAL header, parms_id, NTT form, scale, every coefficient below
// q — what SEAL's own loader checks) into a scratch copy before anything is added, so a malformed upload
// throws and leaves the sum as it was. Memory: the sum plus one upload, whatever the number of sites.
import { CIPHERTEXT_DATA_OFFSET, checkCiphertextHeader, writeCiphertext } from "./seal-format.ts";
import type { PolyTools } from "./threshold-params.ts";
import { createModularSum, type ModularSum } from "./wasm-sum.ts";
import { thresholdVectorExpectation } from "./threshold-site.ts";
import { CkksCapacityError, CkksFormatError, decodeEncryptedVector, encodeEncryptedVector } from "./wire.ts";

export class CiphertextSumAccumulator {
  /** c0 and c1 of every chunk, back to back: the layout of the chunks' data in SEAL bytes. */
  private readonly sum: ModularSum;
  private summandCount = 0;
  private readonly chunks: number;

  constructor(
    private readonly tools: PolyTools,
    readonly length: number,
  ) {
    this.chunks = Math.ceil(length / tools.degree);
    this.sum = createModularSum(this.chunks * 16 * tools.degree, tools.modulus.value);
  }

  get summands(): number {
    return this.summandCount;
  }

  /** Adds one encrypted vector (a site's upload, or a partial sum). */
  add(encrypted: Uint8Array): void {
    const { header, chunks } = decodeEncryptedVector(
      encrypted,
      thresholdVectorExpectation(this.tools, this.length),
    );
    if (this.summandCount + header.summands > this.tools.params.maxSummands)
      throw new CkksCapacityError(
        `adding ${header.summands} to ${this.summandCount} summands exceeds maxSummands ${this.tools.params.maxSummands}`,
      );
    const scale = 2 ** this.tools.params.scaleBits;
    const chunkBytes = 16 * this.tools.degree;
    chunks.forEach((chunk, c) => {
      if (checkCiphertextHeader(chunk, this.tools, `chunk ${c}`) !== scale)
        throw new CkksFormatError(`chunk ${c} is not at scale 2^${this.tools.params.scaleBits}`);
      // SEAL's data starts at an odd offset: one copy aligns it.
      this.sum.staging.set(chunk.subarray(CIPHERTEXT_DATA_OFFSET), c * chunkBytes);
    });
    if (!this.sum.stagedIsReduced())
      throw new CkksFormatError("a ciphertext coefficient is not reduced mod q");
    this.sum.addStaged();
    this.summandCount += header.summands;
  }

  /** The encrypted sum, for the key holders to check and decrypt: one copy of the sum behind the headers. */
  serialize(): Uint8Array {
    if (this.summandCount === 0) throw new CkksCapacityError("nothing to serialize: no vector was added");
    const zero = new Uint32Array(2 * this.tools.degree);
    // Every chunk has the same SEAL header; the sum already holds c0 and c1 of each chunk back to back.
    const sealHeader = writeCiphertext(
      [zero, zero],
      this.tools.parmsId,
      2 ** this.tools.params.scaleBits,
    ).subarray(0, CIPHERTEXT_DATA_OFFSET);
    const chunkBytes = 16 * this.tools.degree;
    const chunks = Array.from({ length: this.chunks }, (_, c) => [
      sealHeader,
      this.sum.sum.subarray(c * chunkBytes, (c + 1) * chunkBytes),
    ]);
    return encodeEncryptedVector(
      { fingerprint: this.tools.fingerprint, length: this.length, summands: this.summandCount },
      chunks,
    );
  }
}
