// A site's encryption under the collective key: N values per ciphertext in the coefficients (coefficient packing), encrypted by SEAL's own Encryptor.
//
// Sums need no slot rotations or products, so the values go straight into the plaintext's coefficients,
// m = Σ round(Δ·x_i)·X^i: N values per ciphertext where the canonical-embedding encoder fits N/2. SEAL
// encrypts zero under the collective PublicKey (fresh u, e0, e1 from its own CSPRNG) and m, in SEAL's NTT
// form (ntt.ts), is added to c0 here: the ciphertext decrypts to m + noise exactly as if SEAL had encoded it.
import type { SealComprMode } from "./context.ts";
import { setSignedCoefficients } from "./modular.ts";
import { maxAbsInput } from "./params.ts";
import { ciphertextBytes, readCiphertext, writeCiphertext } from "./seal-format.ts";
import type { PolyTools } from "./threshold-params.ts";
import { chunkCount, CkksFormatError, CkksRangeError, encodeEncryptedVector } from "./wire.ts";

export interface ThresholdEncryptor {
  /** Encrypts `values` (|x| ≤ maxAbsInput each) as an encrypted vector of ⌈length/N⌉ SEAL ciphertexts. */
  encryptVector(values: Float32Array | Float64Array): Uint8Array;
  dispose(): void;
}

/** Loads the collective public key into SEAL (SEAL checks it is valid for the context) and returns an encryptor. */
export function createThresholdEncryptor(tools: PolyTools, publicKeyBytes: Uint8Array): ThresholdEncryptor {
  const { seal, context } = tools.ctx;
  // Parsed here first, so malformed bytes get a clear error rather than an abort inside SEAL's WebAssembly.
  const { polys } = readCiphertext(publicKeyBytes, tools, "collective public key");
  if (!polys.every((p) => tools.modulus.isReduced(p)))
    throw new CkksFormatError("collective public key: coefficients not reduced mod q");
  const publicKey = seal.PublicKey();
  try {
    publicKey.loadArray(context, publicKeyBytes);
  } catch (error) {
    publicKey.delete();
    throw new CkksFormatError(`collective public key does not load under these parameters: ${String(error)}`);
  }
  const encryptor = seal.Encryptor(context, publicKey);
  const ciphertext = seal.CipherText();
  const none = seal.ComprModeType.none as SealComprMode;
  const scale = 2 ** tools.params.scaleBits;
  const bound = maxAbsInput(tools.params);
  const n = tools.degree;
  const message = tools.modulus.zeroPoly();
  const scaled = new Float64Array(n);

  const encryptChunk = (values: Float32Array | Float64Array, start: number): Uint8Array => {
    scaled.fill(0);
    for (let i = start; i < Math.min(start + n, values.length); i++)
      scaled[i - start] = Math.round((values[i] as number) * scale);
    setSignedCoefficients(message, scaled, tools.modulus.value);
    tools.ntt.forward(message);
    encryptor.encryptZero(ciphertext);
    const [c0, c1] = readCiphertext(ciphertext.saveArray(none), tools, "fresh ciphertext").polys;
    tools.modulus.addPoly(c0, c0, message);
    return writeCiphertext([c0, c1], tools.parmsId, scale);
  };

  return {
    encryptVector(values) {
      if (values.length === 0) throw new CkksRangeError("cannot encrypt an empty vector");
      values.forEach((v, i) => {
        if (!(Math.abs(v) <= bound))
          throw new CkksRangeError(
            `value ${v} at index ${i} is outside ±${bound} (maxSummands ${tools.params.maxSummands})`,
          );
      });
      const chunks: Uint8Array[] = [];
      try {
        for (let c = 0; c < chunkCount(values.length, n); c++) chunks.push(encryptChunk(values, c * n));
      } finally {
        scaled.fill(0);
        message.fill(0);
      }
      return encodeEncryptedVector(
        { fingerprint: tools.fingerprint, length: values.length, summands: 1 },
        chunks,
      );
    },
    dispose() {
      ciphertext.delete();
      encryptor.delete();
      publicKey.delete();
    },
  };
}

/** The framing limits a reader of threshold encrypted vectors applies (wire.ts decodeEncryptedVector). */
export function thresholdVectorExpectation(tools: PolyTools, length?: number) {
  return {
    fingerprint: tools.fingerprint,
    slotCount: tools.degree,
    maxChunkBytes: ciphertextBytes(tools.degree),
    ...(length === undefined ? {} : { length }),
  };
}
