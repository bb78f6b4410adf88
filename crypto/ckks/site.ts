// What a site does with CKKS: generate the consortium key (one site), encrypt its update, decrypt the aggregate.
import { CryptoError } from "../errors.ts";
import { deleteCiphertexts, loadEncryptedVector } from "./ciphertexts.ts";
import type { CkksContext, SealLibrary } from "./context.ts";
import { maxAbsInput } from "./params.ts";
import { chunkCount, CkksFormatError, encodeEncryptedVector } from "./wire.ts";

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
  /** Decrypts an encrypted vector (typically the coordinator's aggregate) of the expected length. */
  decryptVector(encrypted: Uint8Array, expectedLength?: number): Float64Array;
  dispose(): void;
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

  return {
    encryptVector(values) {
      if (values.length === 0) throw new CkksRangeError("cannot encrypt an empty vector");
      for (let i = 0; i < values.length; i++) {
        const v = values[i] ?? 0;
        if (!(Math.abs(v) <= bound))
          throw new CkksRangeError(
            `value ${v} at index ${i} is outside ±${bound} (maxSummands ${ctx.params.maxSummands})`,
          );
      }
      const chunks: Uint8Array[] = [];
      for (let c = 0; c < chunkCount(values.length, ctx.slotCount); c++) {
        const start = c * ctx.slotCount;
        const end = Math.min(start + ctx.slotCount, values.length);
        slots.fill(0);
        for (let i = start; i < end; i++) slots[i - start] = values[i] ?? 0;
        encoder.encode(slots, ctx.scale, plain);
        const serializable = encryptor.encryptSymmetricSerializable(plain);
        try {
          chunks.push(serializable.saveArray(ctx.compression));
        } finally {
          serializable.delete();
        }
      }
      slots.fill(0);
      plain.setZero();
      return encodeEncryptedVector(
        { fingerprint: ctx.fingerprint, length: values.length, summands: 1 },
        chunks,
      );
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
