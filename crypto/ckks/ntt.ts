// SEAL's negacyclic number-theoretic transform mod one prime, in TypeScript, so that polynomials SEAL keeps in NTT form (keys, ciphertexts) can be made and read here.
//
// SEAL (util/ntt.cpp, NTTTables) uses the smallest primitive 2N-th root of unity ψ mod q, a table of ψ
// powers in bit-reversed order, and the Cooley–Tukey negacyclic transform of Longa & Naehrig ("Speeding
// up the NTT for lattice-based cryptography", CANS 2016, Algorithm 1) with output in bit-reversed order.
// Using the same root and the same loop gives bit-identical NTT forms; the inverse is that loop undone
// (their Algorithm 2, Gentleman–Sande) followed by the factor N^−1.
import { ParameterError } from "../errors.ts";
import { powMod, type Modulus, type Poly } from "./modular.ts";

export interface NttTables {
  /** In place: coefficients → NTT form (evaluations at the odd powers of ψ, bit-reversed). */
  forward(p: Poly): void;
  /** In place: NTT form → coefficients. */
  inverse(p: Poly): void;
}

function reverseBits(value: number, bits: number): number {
  let out = 0;
  for (let i = 0; i < bits; i++) out |= ((value >>> i) & 1) << (bits - 1 - i);
  return out;
}

/**
 * The smallest primitive 2N-th root of unity mod q (SEAL's try_minimal_primitive_root): any primitive root
 * g is found as x^((q−1)/2N) with g^N = −1, and the primitive roots are exactly its odd powers.
 */
export function minimalPrimitiveRoot(q: bigint, degree: number): bigint {
  const order = 2n * BigInt(degree);
  if ((q - 1n) % order !== 0n) throw new ParameterError(`q ≢ 1 mod 2N: no 2N-th root of unity mod ${q}`);
  let generator = 0n;
  for (let x = 2n; x < 1000n && generator === 0n; x++) {
    const candidate = powMod(x, (q - 1n) / order, q);
    if (powMod(candidate, BigInt(degree), q) === q - 1n) generator = candidate;
  }
  if (generator === 0n) throw new ParameterError(`no primitive 2N-th root found mod ${q}`);
  const square = (generator * generator) % q;
  let smallest = generator;
  let current = generator;
  for (let i = 0; i < degree; i++) {
    if (current < smallest) smallest = current;
    current = (current * square) % q;
  }
  return smallest;
}

/** Splits table entries into (high, low) halves once, so the transforms never touch BigInt. */
function splitTable(values: readonly bigint[]): { high: Float64Array; low: Float64Array } {
  const high = new Float64Array(values.length);
  const low = new Float64Array(values.length);
  values.forEach((v, i) => {
    high[i] = Number(v >> 32n);
    low[i] = Number(v & 0xffffffffn);
  });
  return { high, low };
}

export function createNttTables(modulus: Modulus): NttTables {
  const n = modulus.degree;
  const q = modulus.value;
  const logN = Math.log2(n);
  const psi = minimalPrimitiveRoot(q, n);
  const psiInverse = powMod(psi, q - 2n, q);
  const rootPowers: bigint[] = new Array<bigint>(n);
  const inverseRootPowers: bigint[] = new Array<bigint>(n);
  let power = 1n;
  let inversePower = 1n;
  for (let i = 0; i < n; i++) {
    rootPowers[reverseBits(i, logN)] = power;
    inverseRootPowers[reverseBits(i, logN)] = inversePower;
    power = (power * psi) % q;
    inversePower = (inversePower * psiInverse) % q;
  }
  const roots = splitTable(rootPowers);
  const inverseRoots = splitTable(inverseRootPowers);
  const degreeInverse = powMod(BigInt(n), q - 2n, q);

  return {
    forward(p) {
      if (p.length !== 2 * n) throw new ParameterError(`NTT of ${p.length / 2} coefficients, expected ${n}`);
      // Longa & Naehrig 2016, Algorithm 1.
      let t = n;
      for (let m = 1; m < n; m <<= 1) {
        t >>= 1;
        for (let i = 0; i < m; i++) {
          const wHigh = roots.high[m + i] as number;
          const wLow = roots.low[m + i] as number;
          const start = 2 * i * t;
          for (let j = start; j < start + t; j++) modulus.forwardButterfly(p, j, j + t, wHigh, wLow);
        }
      }
    },
    inverse(p) {
      if (p.length !== 2 * n) throw new ParameterError(`NTT of ${p.length / 2} coefficients, expected ${n}`);
      // Longa & Naehrig 2016, Algorithm 2.
      let t = 1;
      for (let m = n; m > 1; m >>= 1) {
        const h = m >> 1;
        for (let i = 0; i < h; i++) {
          const wHigh = inverseRoots.high[h + i] as number;
          const wLow = inverseRoots.low[h + i] as number;
          const start = 2 * i * t;
          for (let j = start; j < start + t; j++) modulus.inverseButterfly(p, j, j + t, wHigh, wLow);
        }
        t <<= 1;
      }
      modulus.mulScalar(p, p, degreeInverse);
    },
  };
}
