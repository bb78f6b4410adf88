// The coordinator's side of CKKS: a running sum of encrypted vectors as they stream in, and multiplication by public scalars. No key is involved.
import { CryptoError } from "../errors.ts";
import { deleteCiphertexts, loadEncryptedVector, saveEncryptedVector } from "./ciphertexts.ts";
import type { CkksContext, SealCipherText } from "./context.ts";
import { dataModulusBits } from "./params.ts";

/** The sum would hold more vectors than the parameters' maxSummands, so it could wrap around the modulus. */
export class CkksCapacityError extends CryptoError {
  constructor(message: string) {
    super("capacity-exceeded", message);
  }
}

/**
 * A running sum of encrypted vectors of one length. Memory is one vector's ciphertexts plus the one being
 * added, whatever the number of sites. Each input is fully parsed and checked before anything is added,
 * so a malformed input throws and leaves the sum as it was. Call dispose() when done.
 */
export class CkksAccumulator {
  private sum: SealCipherText[] | undefined;
  private summandCount = 0;
  private readonly scale: number;

  /** `options.scale`: the scale inputs must carry; Δ (fresh site uploads) unless summing rescaled vectors. */
  constructor(
    private readonly ctx: CkksContext,
    readonly length: number,
    options: { readonly scale?: number } = {},
  ) {
    this.scale = options.scale ?? ctx.scale;
  }

  /** Number of site vectors summed so far. */
  get summands(): number {
    return this.summandCount;
  }

  /** Adds one encrypted vector (a site's upload, or another partial sum). */
  add(encrypted: Uint8Array): void {
    const scale = this.sum?.[0]?.scale ?? this.scale;
    const { header, ciphertexts } = loadEncryptedVector(this.ctx, encrypted, { length: this.length, scale });
    try {
      checkCapacity(this.ctx, this.summandCount, header.summands);
    } catch (error) {
      deleteCiphertexts(ciphertexts);
      throw error;
    }
    if (this.sum === undefined) {
      this.sum = ciphertexts;
    } else {
      addInto(this.ctx, this.sum, ciphertexts);
      deleteCiphertexts(ciphertexts);
    }
    this.summandCount += header.summands;
  }

  /** Multiplies the sum by a public scalar in place (see {@link multiplyCiphertextsByScalar}). */
  multiplyByScalar(scalar: number): void {
    if (this.sum === undefined) throw new CkksCapacityError("nothing to multiply: no vector was added");
    multiplyCiphertextsByScalar(this.ctx, this.sum, scalar);
  }

  /** The encrypted sum, for the sites to decrypt. */
  serialize(): Uint8Array {
    if (this.sum === undefined) throw new CkksCapacityError("nothing to serialize: no vector was added");
    return saveEncryptedVector(this.ctx, { length: this.length, summands: this.summandCount }, this.sum);
  }

  dispose(): void {
    if (this.sum !== undefined) deleteCiphertexts(this.sum);
    this.sum = undefined;
  }
}

function checkCapacity(ctx: CkksContext, current: number, adding: number): void {
  if (current + adding > ctx.params.maxSummands)
    throw new CkksCapacityError(
      `adding ${adding} to ${current} summands exceeds maxSummands ${ctx.params.maxSummands}`,
    );
}

/** sum[i] += addend[i]; both already checked for length and scale. */
function addInto(ctx: CkksContext, sum: readonly SealCipherText[], addend: readonly SealCipherText[]): void {
  addend.forEach((ct, i) => {
    const acc = sum[i];
    if (acc !== undefined) ctx.evaluator.add(acc, ct, acc);
  });
}

/**
 * Multiplies encrypted values by a public real c ≠ 0 without noise growth or modulus consumption: a
 * CKKS ciphertext decrypts to Δ·x + e and decodes as (Δ·x + e)/Δ, so setting its scale to Δ/|c| (and
 * negating it for c < 0) makes it decode as c·x + c·e/Δ exactly. A plaintext multiplication would instead
 * multiply the scale by the scalar's own encoding scale and, with a single prime and no rescaling, eat
 * that many bits of headroom. The price: the result can only be added to ciphertexts of the same scale;
 * {@link CkksAccumulator.add} refuses others with a typed error.
 */
function multiplyCiphertextsByScalar(
  ctx: CkksContext,
  ciphertexts: readonly SealCipherText[],
  scalar: number,
): void {
  if (!Number.isFinite(scalar) || scalar === 0)
    throw new CkksCapacityError(`scalar must be finite and non-zero, got ${scalar}`);
  const first = ciphertexts[0];
  if (first === undefined) return;
  const newScale = first.scale / Math.abs(scalar);
  // SEAL's decoder refuses scales outside [1, 2^(modulus bits)).
  if (!(newScale >= 1 && newScale < 2 ** dataModulusBits(ctx.params)))
    throw new CkksCapacityError(`scalar ${scalar} would move the scale to ${newScale}, outside SEAL's range`);
  for (const ct of ciphertexts) {
    if (scalar < 0) ctx.evaluator.negate(ct, ct);
    ct.setScale(newScale);
  }
}

/** Sum of two encrypted vectors of the same length and scale, as bytes. */
export function addEncryptedVectors(ctx: CkksContext, a: Uint8Array, b: Uint8Array): Uint8Array {
  const left = loadEncryptedVector(ctx, a);
  try {
    const scale = left.ciphertexts[0]?.scale ?? ctx.scale;
    const right = loadEncryptedVector(ctx, b, { length: left.header.length, scale });
    try {
      checkCapacity(ctx, left.header.summands, right.header.summands);
      addInto(ctx, left.ciphertexts, right.ciphertexts);
      const summands = left.header.summands + right.header.summands;
      return saveEncryptedVector(ctx, { length: left.header.length, summands }, left.ciphertexts);
    } finally {
      deleteCiphertexts(right.ciphertexts);
    }
  } finally {
    deleteCiphertexts(left.ciphertexts);
  }
}

/** An encrypted vector times a public scalar, as bytes. */
export function multiplyEncryptedVector(ctx: CkksContext, encrypted: Uint8Array, scalar: number): Uint8Array {
  const { header, ciphertexts } = loadEncryptedVector(ctx, encrypted);
  try {
    multiplyCiphertextsByScalar(ctx, ciphertexts, scalar);
    return saveEncryptedVector(ctx, header, ciphertexts);
  } finally {
    deleteCiphertexts(ciphertexts);
  }
}
