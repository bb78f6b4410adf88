// What a site does with CKKS: generate the consortium key (one site), encrypt its update, decrypt the aggregate.
import { CryptoError } from "../errors.ts";
import { deleteCiphertexts, loadEncryptedVector } from "./ciphertexts.ts";
import type { CkksContext, SealLibrary } from "./context.ts";
import { maxAbsInput } from "./params.ts";
import {
  chunkCount,
  CkksFormatError,
  encodeChunkLength,
  encodeEncryptedVector,
  encodeEncryptedVectorHeader,
  HEADER_BYTES,
} from "./wire.ts";

type SealSecretKey = ReturnType<SealLibrary["SecretKey"]>;

/** A value a site may not encrypt: non-finite, or large enough that a sum of maxSummands inputs could wrap. */
export class CkksRangeError extends CryptoError {
  constructor(message: string) {
    super("out-of-range", message);
  }
}

/**
 * Generates the consortium's secret key, serialized (the dealer site then seals it to every other site,
 * see key-ceremony.ts). SEAL samples it from its own CSPRNG (the WebAssembly build seeds from
 * crypto.getRandomValues); it cannot take an injected Rng. The caller zeroes the bytes after use.
 */
export function generateConsortiumSecretKey(ctx: CkksContext): Uint8Array {
  const keyGenerator = ctx.seal.KeyGenerator(ctx.context);
  const secretKey = keyGenerator.secretKey();
  try {
    return secretKey.saveArray(ctx.compression);
  } finally {
    secretKey.delete();
    keyGenerator.delete();
  }
}

/** A site's keyed CKKS operations. Holds SEAL objects: call dispose() when done. */
export interface CkksSiteSession {
  /** Encrypts with the secret key (seeded symmetric encryption: the second polynomial travels as a seed, halving the upload). */
  encryptVector(values: Float32Array | Float64Array): Uint8Array;
  /**
   * The same bytes as {@link encryptVector}, produced ciphertext by ciphertext as the pieces are read, so
   * that a site's upload (and the coordinator's ingest) overlaps its encryption. `values` is checked in
   * full before anything is encrypted and must not change until the pieces are read; read the pieces to
   * the end or call `pieces.return()` so that the scratch slots are zeroed.
   */
  encryptVectorStream(values: Float32Array | Float64Array, maxPieceBytes: number): EncryptedVectorStream;
  /** Decrypts an encrypted vector (typically the coordinator's aggregate) of the expected length. */
  decryptVector(encrypted: Uint8Array, expectedLength?: number): Float64Array;
  dispose(): void;
}

/** An encrypted vector whose exact size is known before its bytes are produced. */
export interface EncryptedVectorStream {
  readonly byteLength: number;
  /** Consecutive pieces of the framed vector, each of at most maxPieceBytes bytes. */
  readonly pieces: Generator<Uint8Array, void, undefined>;
}

export function openSiteSession(ctx: CkksContext, secretKeyBytes: Uint8Array): CkksSiteSession {
  const { seal } = ctx;
  const secretKey = seal.SecretKey();
  try {
    secretKey.loadArray(ctx.context, secretKeyBytes);
  } catch (error) {
    secretKey.delete();
    throw new CkksFormatError(`secret key does not load under these parameters: ${String(error)}`);
  }
  const owned: Deletable[] = [secretKey];
  const disposeAll = (): void => {
    // splice empties the list, so a second dispose() is a no-op rather than a double free.
    for (const object of owned.splice(0).reverse()) object.delete();
  };
  try {
    return sessionWithKey(
      ctx,
      secretKey,
      (object) => {
        owned.push(object);
        return object;
      },
      disposeAll,
    );
  } catch (error) {
    disposeAll();
    throw error;
  }
}

interface Deletable {
  delete(): void;
}

function sessionWithKey(
  ctx: CkksContext,
  secretKey: SealSecretKey,
  own: <T extends Deletable>(object: T) => T,
  dispose: () => void,
): CkksSiteSession {
  const { seal } = ctx;
  // node-seal's Encryptor constructor insists on a public key, so one is derived locally; it never leaves the site.
  const keyGenerator = own(seal.KeyGenerator(ctx.context, secretKey));
  const publicKey = own(keyGenerator.createPublicKey());
  const encryptor = own(seal.Encryptor(ctx.context, publicKey, secretKey));
  const decryptor = own(seal.Decryptor(ctx.context, secretKey));
  const encoder = own(seal.CKKSEncoder(ctx.context));
  const plain = own(seal.PlainText());
  const slots = new Float64Array(ctx.slotCount);
  const bound = maxAbsInput(ctx.params);

  const checkRange = (values: Float32Array | Float64Array): void => {
    if (values.length === 0) throw new CkksRangeError("cannot encrypt an empty vector");
    for (let i = 0; i < values.length; i++) {
      const v = values[i] ?? 0;
      if (!(Math.abs(v) <= bound))
        throw new CkksRangeError(
          `value ${v} at index ${i} is outside ±${bound} (maxSummands ${ctx.params.maxSummands})`,
        );
    }
  };
  /** Serialized ciphertext of values[c·N/2, (c+1)·N/2); leaves the scratch slots and plaintext dirty. */
  const encryptChunk = (values: Float32Array | Float64Array, c: number): Uint8Array => {
    const start = c * ctx.slotCount;
    const end = Math.min(start + ctx.slotCount, values.length);
    slots.fill(0);
    for (let i = start; i < end; i++) slots[i - start] = values[i] ?? 0;
    encoder.encode(slots, ctx.scale, plain);
    const serializable = encryptor.encryptSymmetricSerializable(plain);
    try {
      return serializable.saveArray(ctx.compression);
    } finally {
      serializable.delete();
    }
  };
  const clearScratch = (): void => {
    slots.fill(0);
    plain.setZero();
  };

  const encryptVector = (values: Float32Array | Float64Array): Uint8Array => {
    checkRange(values);
    const chunks: Uint8Array[] = [];
    try {
      for (let c = 0; c < chunkCount(values.length, ctx.slotCount); c++) chunks.push(encryptChunk(values, c));
    } finally {
      clearScratch();
    }
    return encodeEncryptedVector(
      { fingerprint: ctx.fingerprint, length: values.length, summands: 1 },
      chunks,
    );
  };

  return {
    encryptVector,

    encryptVectorStream(values, maxPieceBytes) {
      if (!Number.isSafeInteger(maxPieceBytes) || maxPieceBytes < 1)
        throw new CkksRangeError(`bad piece size ${maxPieceBytes}`);
      if (ctx.params.compression !== "none") {
        // Compressed ciphertexts vary in size, so the total is known only once all are made.
        const encoded = encryptVector(values);
        return {
          byteLength: encoded.length,
          pieces: pieces(encoded.length, maxPieceBytes, [encoded].values()),
        };
      }
      checkRange(values);
      const count = chunkCount(values.length, ctx.slotCount);
      let first: Uint8Array;
      try {
        first = encryptChunk(values, 0);
      } finally {
        // Cleared now too: pieces closed before they are read never run the generator's own cleanup.
        clearScratch();
      }
      // Without compression every ciphertext of these parameters serializes to the same size.
      const size = first.length;
      const byteLength = HEADER_BYTES + count * (4 + size);
      const header = { fingerprint: ctx.fingerprint, length: values.length, summands: 1 };
      const produce = function* (): Generator<Uint8Array> {
        try {
          yield encodeEncryptedVectorHeader(header, count);
          for (let c = 0; c < count; c++) {
            const ciphertext = c === 0 ? first : encryptChunk(values, c);
            if (ciphertext.length !== size)
              throw new CkksFormatError(`ciphertext ${c} has ${ciphertext.length} bytes, the first ${size}`);
            yield encodeChunkLength(size);
            yield ciphertext;
          }
        } finally {
          clearScratch();
        }
      };
      return { byteLength, pieces: pieces(byteLength, maxPieceBytes, produce()) };
    },

    decryptVector(encrypted, expectedLength) {
      const { header, ciphertexts } = loadEncryptedVector(
        ctx,
        encrypted,
        expectedLength === undefined ? {} : { length: expectedLength },
      );
      try {
        const out = new Float64Array(header.length);
        for (const [c, ct] of ciphertexts.entries()) {
          decryptor.decrypt(ct, plain);
          const decoded = encoder.decode(plain);
          const start = c * ctx.slotCount;
          out.set(decoded.subarray(0, Math.min(ctx.slotCount, header.length - start)), start);
        }
        plain.setZero();
        return out;
      } finally {
        deleteCiphertexts(ciphertexts);
      }
    },

    dispose,
  };
}

/**
 * Regroups a byte sequence of known total length into pieces of exactly `maxPieceBytes` (the last one
 * shorter), as proto/chunks.ts chunkBytes cuts one buffer: the bytes on the wire do not depend on how
 * they were produced. Closing the pieces closes the source.
 */
function* pieces(
  byteLength: number,
  maxPieceBytes: number,
  source: Iterator<Uint8Array> & Iterable<Uint8Array>,
): Generator<Uint8Array, void, undefined> {
  let emitted = 0;
  let piece = new Uint8Array(Math.min(maxPieceBytes, byteLength));
  let filled = 0;
  try {
    for (const bytes of source) {
      for (let offset = 0; offset < bytes.length;) {
        if (piece.length === 0) throw new CkksFormatError("encrypted vector runs past its announced size");
        const take = Math.min(bytes.length - offset, piece.length - filled);
        piece.set(bytes.subarray(offset, offset + take), filled);
        filled += take;
        offset += take;
        if (filled === piece.length) {
          yield piece;
          emitted += piece.length;
          piece = new Uint8Array(Math.min(maxPieceBytes, byteLength - emitted));
          filled = 0;
        }
      }
    }
  } finally {
    source.return?.();
  }
  if (emitted !== byteLength) throw new CkksFormatError("encrypted vector ended before its announced size");
}
