// Polynomials sampled for threshold CKKS: uniform ones (from a public seed, or from an Rng) and Gaussian noise, in SEAL's NTT form.
import { sampleGaussian } from "../dp/gaussian.ts";
import { ParameterError } from "../errors.ts";
import { expandMask } from "../prg.ts";
import type { Rng } from "../rng.ts";
import { setSignedCoefficients, type Poly } from "./modular.ts";
import { FRESH_NOISE_BOUND, FRESH_NOISE_STDDEV, type PolyTools } from "./threshold-params.ts";

/** Words drawn beyond N: a 60-bit draw is rejected with probability < 2^−46, so 64 spares never run out in practice. */
const SPARE_DRAWS = 64;

/**
 * Fills `out` with coefficients uniform mod q from a stream of 64-bit words: each word's low 60 bits,
 * kept if below q (rejection sampling, so no bias). A uniform polynomial is uniform in NTT form too, so
 * no transform is needed.
 */
function uniformFromWords(tools: PolyTools, words: Uint32Array, out: Poly): void {
  const q = tools.modulus.value;
  const qHigh = Number(q >> 32n);
  const qLow = Number(q & 0xffffffffn);
  let taken = 0;
  for (let w = 0; w + 1 < words.length && taken < tools.degree; w += 2) {
    const low = words[w] as number;
    const high = (words[w + 1] as number) & 0x0fffffff;
    if (high > qHigh || (high === qHigh && low >= qLow)) continue;
    out[2 * taken] = low;
    out[2 * taken + 1] = high;
    taken++;
  }
  words.fill(0);
  if (taken < tools.degree) throw new ParameterError("uniform sampling ran out of draws");
}

/** The uniform polynomial expanded from a 32-byte public seed by the AES-256-CTR PRG (crypto/prg.ts). */
export function uniformPolyFromSeed(tools: PolyTools, seed: Uint8Array): Poly {
  const out = tools.modulus.zeroPoly();
  uniformFromWords(tools, expandMask(seed, 2 * (tools.degree + SPARE_DRAWS)), out);
  return out;
}

/** A uniform polynomial from an Rng (a CSPRNG for secrets such as Shamir coefficients). */
export function uniformPoly(tools: PolyTools, rng: Rng): Poly {
  const words = new Uint32Array(2 * (tools.degree + SPARE_DRAWS));
  rng.fill(new Uint8Array(words.buffer));
  const out = tools.modulus.zeroPoly();
  uniformFromWords(tools, words, out);
  return out;
}

/**
 * Gaussian noise of standard deviation `stddev` rounded to integers, in NTT form. With `bound`, draws
 * beyond it are redrawn (SEAL's clipped normal for fresh noise); Box–Muller never exceeds 8.6σ anyway.
 */
export function gaussianNoisePoly(tools: PolyTools, rng: Rng, stddev: number, bound = Infinity): Poly {
  const values = sampleGaussian(rng, tools.degree, stddev);
  for (let i = 0; i < values.length; i++) {
    let v = values[i] as number;
    while (Math.abs(v) > bound) v = sampleGaussian(rng, 1, stddev)[0] as number;
    values[i] = Math.round(v);
  }
  const out = tools.modulus.zeroPoly();
  setSignedCoefficients(out, values, tools.modulus.value);
  values.fill(0);
  tools.ntt.forward(out);
  return out;
}

/** Fresh RLWE noise as SEAL draws it: σ = 3.2, clipped at 19.2. */
export function freshNoisePoly(tools: PolyTools, rng: Rng): Poly {
  return gaussianNoisePoly(tools, rng, FRESH_NOISE_STDDEV, FRESH_NOISE_BOUND);
}
