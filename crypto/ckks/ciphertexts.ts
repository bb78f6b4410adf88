// Loading and saving the SEAL ciphertexts of an encrypted vector, with the checks both sites and the coordinator apply to untrusted bytes.
import type { CkksContext, SealCipherText } from "./context.ts";
import {
  CkksFormatError,
  decodeEncryptedVector,
  encodeEncryptedVector,
  type EncryptedVectorHeader,
} from "./wire.ts";

/** Upper bound on one serialized ciphertext: two polynomials of N coefficients per prime, 8 bytes each, plus slack for SEAL's header and zstd's worst case. */
export function maxChunkBytes(ctx: CkksContext): number {
  const raw = 2 * ctx.params.polyModulusDegree * ctx.params.coeffModulusBits.length * 8;
  return raw + Math.ceil(raw / 64) + 4096;
}

/** Deletes SEAL ciphertexts (their memory lives in the WebAssembly heap, not in JS). */
export function deleteCiphertexts(ciphertexts: readonly SealCipherText[]): void {
  for (const ct of ciphertexts) ct.delete();
}

export interface LoadedVector {
  readonly header: EncryptedVectorHeader;
  /** Owned by the caller: delete with {@link deleteCiphertexts}. */
  readonly ciphertexts: SealCipherText[];
}

/**
 * Parses an encrypted vector and loads every chunk into SEAL, checking what an honest sender produces:
 * SEAL's own validity check (loadArray refuses data outside the modulus or for another context), two
 * polynomials (no unrelinearized products), NTT form, and one common scale — `expectedScale` if given.
 * On any failure, everything loaded so far is freed and a {@link CkksFormatError} is thrown.
 */
export function loadEncryptedVector(
  ctx: CkksContext,
  bytes: Uint8Array,
  expected: { readonly length?: number; readonly scale?: number } = {},
): LoadedVector {
  const { header, chunks } = decodeEncryptedVector(bytes, {
    fingerprint: ctx.fingerprint,
    slotCount: ctx.slotCount,
    maxChunkBytes: maxChunkBytes(ctx),
    ...(expected.length === undefined ? {} : { length: expected.length }),
  });
  const ciphertexts: SealCipherText[] = [];
  try {
    for (const [i, chunk] of chunks.entries()) {
      const ct = ctx.seal.CipherText();
      ciphertexts.push(ct);
      try {
        ct.loadArray(ctx.context, chunk);
      } catch (error) {
        throw new CkksFormatError(
          `chunk ${i} is not a valid ciphertext for these parameters: ${String(error)}`,
        );
      }
      if (ct.size !== 2 || !ct.isNttForm || ct.polyModulusDegree !== ctx.params.polyModulusDegree)
        throw new CkksFormatError(`chunk ${i} is not a fresh or summed CKKS ciphertext`);
      const scale = expected.scale ?? ciphertexts[0]?.scale ?? ct.scale;
      if (ct.scale !== scale)
        throw new CkksFormatError(`chunk ${i} has scale ${ct.scale}, expected ${scale}`);
    }
  } catch (error) {
    deleteCiphertexts(ciphertexts);
    throw error;
  }
  return { header, ciphertexts };
}

/** Serializes ciphertexts (with the parameters' compression) behind an encrypted-vector header. */
export function saveEncryptedVector(
  ctx: CkksContext,
  header: { readonly length: number; readonly summands: number },
  ciphertexts: readonly SealCipherText[],
): Uint8Array {
  const chunks = ciphertexts.map((ct) => ct.saveArray(ctx.compression));
  return encodeEncryptedVector({ fingerprint: ctx.fingerprint, ...header }, chunks);
}
