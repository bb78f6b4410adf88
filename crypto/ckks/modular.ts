// Arithmetic modulo one CKKS prime q < 2^60 on polynomials laid out as SEAL stores them: N little-endian uint64 words, read as a Uint32Array of 2N (low, high) halves.
//
// JavaScript has no 64-bit integer multiply outside BigInt (far too slow per coefficient), so a product
// a·b mod q is built from products a·y with y < 2^31, each done exactly in 32-bit halves: Math.imul gives
// the low word of a product exactly, and the double-precision product, off by at most 2^9 for factors
// below 2^62, rounds to the exact high word. The quotient ⌊a·y/q⌋ is estimated in floating point (off by
// at most one) and the remainder corrected into [0, q); see {@link createModulus}.
import { ParameterError } from "../errors.ts";

const TWO_32 = 4294967296;
const TWO_30 = 1073741824;
const LOW_30 = 0x3fffffff;

/** A polynomial of N coefficients mod q: 2N uint32 halves, coefficient i at [2i] (low) and [2i + 1] (high). */
export type Poly = Uint32Array;

export interface Modulus {
  readonly value: bigint;
  readonly degree: number;
  /** out = a + b mod q, coefficient-wise (out may alias a or b). Like every coefficient-wise operation here, it also takes several polynomials back to back. */
  addPoly(out: Poly, a: Poly, b: Poly): void;
  /** out = a − b mod q. */
  subPoly(out: Poly, a: Poly, b: Poly): void;
  /** out = a ⊙ b mod q (coefficient-wise product: a polynomial product when both are in NTT form). */
  mulPoly(out: Poly, a: Poly, b: Poly): void;
  /** out = c·a mod q for a public scalar c in [0, q). */
  mulScalar(out: Poly, a: Poly, c: bigint): void;
  /** Cooley–Tukey butterfly on coefficients j, k: (u, v) → (u + w·v, u − w·v). */
  forwardButterfly(p: Poly, j: number, k: number, wHigh: number, wLow: number): void;
  /** Gentleman–Sande butterfly on coefficients j, k: (u, v) → (u + v, w·(u − v)). */
  inverseButterfly(p: Poly, j: number, k: number, wHigh: number, wLow: number): void;
  /** Whether every coefficient is below q (what SEAL's own validity check requires of loaded data). */
  isReduced(a: Poly): boolean;
  zeroPoly(): Poly;
}

/**
 * Checks lengths before coefficient-wise work: equal, and whole polynomials (several may lie back to back,
 * as the chunks of an encrypted vector do). The arithmetic below trusts them.
 */
function checkSameLength(degree: number, first: Poly, ...rest: Poly[]): void {
  if (first.length === 0 || first.length % (2 * degree) !== 0)
    throw new ParameterError(
      `${first.length / 2} coefficients is not a whole number of degree-${degree} polynomials`,
    );
  for (const p of rest)
    if (p.length !== first.length)
      throw new ParameterError(`polynomials of ${p.length / 2} and ${first.length / 2} coefficients`);
}

/** Arithmetic modulo the prime `q` (2^31 < q < 2^60) for polynomials of `degree` coefficients. */
export function createModulus(q: bigint, degree: number): Modulus {
  if (q <= 1n << 31n || q >= 1n << 60n) throw new ParameterError(`modulus ${q} is not in (2^31, 2^60)`);
  const qHigh = Number(q >> 32n);
  const qLow = Number(q & 0xffffffffn);
  const qFloat = Number(q);
  // The last product's halves: closures over two locals keep the hot loops free of allocation.
  let resultHigh = 0;
  let resultLow = 0;

  /**
   * (resultHigh, resultLow) = r mod q for r = high·2^32 + low with low in (−2^32, 2^33) and r in [−q, 2q):
   * the one correction every operation below needs.
   */
  const settle = (high: number, low: number): void => {
    let carry = Math.floor(low / TWO_32);
    low -= carry * TWO_32;
    high += carry;
    if (high < 0) {
      low += qLow;
      high += qHigh;
    } else if (high > qHigh || (high === qHigh && low >= qLow)) {
      low -= qLow;
      high -= qHigh;
    }
    carry = Math.floor(low / TWO_32);
    resultHigh = high + carry;
    resultLow = low - carry * TWO_32;
  };

  /** (resultHigh, resultLow) = a·y mod q for a = aHigh·2^32 + aLow < q and an integer 0 ≤ y ≤ 2^30. */
  const mulSmall = (aHigh: number, aLow: number, y: number): void => {
    // a·y/q < 2^30 and its floating-point estimate is within 2^−21, so the floor is off by at most one:
    // the remainder r = a·y − quotient·q lies in [−q, 2q), which a signed 64-bit word holds exactly.
    const quotient = Math.floor(((aHigh * TWO_32 + aLow) * y) / qFloat);
    const productLow = Math.imul(aLow, y) >>> 0;
    const productCarry = Math.round((aLow * y - productLow) / TWO_32);
    const quotientLow = Math.imul(qLow, quotient) >>> 0;
    const quotientCarry = Math.round((qLow * quotient - quotientLow) / TWO_32);
    // Only the high word mod 2^32 is needed: r fits in 64 signed bits.
    const high = (productCarry + Math.imul(aHigh, y) - quotientCarry - Math.imul(qHigh, quotient)) | 0;
    settle(high, productLow - quotientLow);
  };

  /** (resultHigh, resultLow) = a·b mod q, with b = b1·2^30 + b0: ((a·b1 mod q)·2^30 + a·b0) mod q. */
  const mulFull = (aHigh: number, aLow: number, bHigh: number, bLow: number): void => {
    const b1 = bHigh * 4 + Math.floor(bLow / TWO_30);
    const b0 = bLow & LOW_30;
    mulSmall(aHigh, aLow, b1);
    mulSmall(resultHigh, resultLow, TWO_30);
    const h = resultHigh;
    const l = resultLow;
    mulSmall(aHigh, aLow, b0);
    settle(h + resultHigh, l + resultLow);
  };

  /** (resultHigh, resultLow) = (x + y) mod q for x, y < q. */
  const addInto = (xHigh: number, xLow: number, yHigh: number, yLow: number): void => {
    settle(xHigh + yHigh, xLow + yLow);
  };

  /** (resultHigh, resultLow) = (x − y) mod q for x, y < q. */
  const subInto = (xHigh: number, xLow: number, yHigh: number, yLow: number): void => {
    settle(xHigh - yHigh, xLow - yLow);
  };

  type Operation = (xHigh: number, xLow: number, yHigh: number, yLow: number) => void;
  /** out[i] = op(a[i], b[i]) for every coefficient. */
  const coefficientWise = (operation: Operation, out: Poly, a: Poly, b: Poly): void => {
    checkSameLength(degree, out, a, b);
    for (let i = 0; i < out.length; i += 2) {
      operation(a[i + 1] as number, a[i] as number, b[i + 1] as number, b[i] as number);
      out[i] = resultLow;
      out[i + 1] = resultHigh;
    }
  };

  return {
    value: q,
    degree,
    addPoly: (out, a, b) => coefficientWise(addInto, out, a, b),
    subPoly: (out, a, b) => coefficientWise(subInto, out, a, b),
    forwardButterfly(p, j, k, wHigh, wLow) {
      mulFull(p[2 * k + 1] as number, p[2 * k] as number, wHigh, wLow);
      const vHigh = resultHigh;
      const vLow = resultLow;
      const uHigh = p[2 * j + 1] as number;
      const uLow = p[2 * j] as number;
      addInto(uHigh, uLow, vHigh, vLow);
      p[2 * j] = resultLow;
      p[2 * j + 1] = resultHigh;
      subInto(uHigh, uLow, vHigh, vLow);
      p[2 * k] = resultLow;
      p[2 * k + 1] = resultHigh;
    },
    inverseButterfly(p, j, k, wHigh, wLow) {
      const uHigh = p[2 * j + 1] as number;
      const uLow = p[2 * j] as number;
      const vHigh = p[2 * k + 1] as number;
      const vLow = p[2 * k] as number;
      addInto(uHigh, uLow, vHigh, vLow);
      p[2 * j] = resultLow;
      p[2 * j + 1] = resultHigh;
      subInto(uHigh, uLow, vHigh, vLow);
      mulFull(resultHigh, resultLow, wHigh, wLow);
      p[2 * k] = resultLow;
      p[2 * k + 1] = resultHigh;
    },
    mulPoly: (out, a, b) => coefficientWise(mulFull, out, a, b),
    mulScalar(out, a, c) {
      checkSameLength(degree, out, a);
      if (c < 0n || c >= q) throw new ParameterError("scalar must be reduced mod q");
      const cHigh = Number(c >> 32n);
      const cLow = Number(c & 0xffffffffn);
      for (let i = 0; i < out.length; i += 2) {
        mulFull(a[i + 1] as number, a[i] as number, cHigh, cLow);
        out[i] = resultLow;
        out[i + 1] = resultHigh;
      }
    },
    isReduced(a) {
      for (let i = 0; i < a.length; i += 2) {
        const high = a[i + 1] as number;
        if (high > qHigh || (high === qHigh && (a[i] as number) >= qLow)) return false;
      }
      return true;
    },
    zeroPoly: () => new Uint32Array(2 * degree),
  };
}

/** The bytes of a polynomial (its SEAL layout: N little-endian u64), without copying. */
export function polyBytes(p: Poly): Uint8Array {
  return new Uint8Array(p.buffer, p.byteOffset, p.byteLength);
}

/** base^exponent mod q by square-and-multiply (table set-up and scalars only: BigInt). */
export function powMod(base: bigint, exponent: bigint, q: bigint): bigint {
  let result = 1n;
  let b = ((base % q) + q) % q;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % q;
    b = (b * b) % q;
  }
  return result;
}

/** Coefficient i of a polynomial as a BigInt (tests, table set-up). */
export function coefficientOf(p: Poly, i: number): bigint {
  return (BigInt(p[2 * i + 1] as number) << 32n) | BigInt(p[2 * i] as number);
}

/** Sets coefficient i of a polynomial from a BigInt in [0, 2^64). */
export function setCoefficient(p: Poly, i: number, value: bigint): void {
  p[2 * i] = Number(value & 0xffffffffn);
  p[2 * i + 1] = Number(value >> 32n);
}

/**
 * Writes signed integers (|v| < 2^53) reduced mod q: v ≥ 0 as is, v < 0 as q − |v|. Used for encoded
 * values and sampled noise, which are small next to q.
 */
export function setSignedCoefficients(p: Poly, values: Float64Array | readonly number[], q: bigint): void {
  const qHigh = Number(q >> 32n);
  const qLow = Number(q & 0xffffffffn);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] ?? 0;
    const magnitude = Math.abs(v);
    let low = magnitude % TWO_32;
    let high = Math.floor(magnitude / TWO_32);
    if (v < 0) {
      low = qLow - low;
      high = qHigh - high;
      if (low < 0) {
        low += TWO_32;
        high -= 1;
      }
    }
    p[2 * i] = low;
    p[2 * i + 1] = high;
  }
}

/**
 * Reads coefficients as centred integers in (−q/2, q/2], as doubles (exact below 2^53 in magnitude,
 * rounded beyond: a decrypted CKKS plaintext is Δ·x + noise, and only its leading 53 bits matter).
 */
export function centredCoefficients(p: Poly, q: bigint): Float64Array {
  const qHigh = Number(q >> 32n);
  const qLow = Number(q & 0xffffffffn);
  const halfHigh = Math.floor(qHigh / 2);
  const out = new Float64Array(p.length / 2);
  for (let i = 0; i < out.length; i++) {
    const low = p[2 * i] as number;
    const high = p[2 * i + 1] as number;
    if (high > halfHigh) {
      // v > q/2 (up to the low word of the boundary, which only shifts the centring by < 2^32 of 2^60): v − q.
      let dLow = qLow - low;
      let dHigh = qHigh - high;
      if (dLow < 0) {
        dLow += TWO_32;
        dHigh -= 1;
      }
      out[i] = -(dHigh * TWO_32 + dLow);
    } else {
      out[i] = high * TWO_32 + low;
    }
  }
  return out;
}
