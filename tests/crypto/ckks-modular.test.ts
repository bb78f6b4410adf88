import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createCkksContext,
  loadSeal,
  type CkksContext,
  type SealComprMode,
} from "../../crypto/ckks/context.ts";
import {
  centredCoefficients,
  coefficientOf,
  createModulus,
  setCoefficient,
  setSignedCoefficients,
  type Poly,
} from "../../crypto/ckks/modular.ts";
import { createNttTables, minimalPrimitiveRoot } from "../../crypto/ckks/ntt.ts";
import { readSecretKey } from "../../crypto/ckks/seal-format.ts";
import { sealModulus, sealParmsId } from "../../crypto/ckks/threshold-params.ts";
import { createModularSum } from "../../crypto/ckks/wasm-sum.ts";
import { seededRng } from "../../crypto/rng.ts";

const Q = (1n << 60n) - 16383n; // SEAL's 60-bit prime for N = 4096 (CoeffModulus.Create(4096, [60]))
const N = 4096;

function randomPoly(seed: string, q: bigint, edge = false): Poly {
  const rng = seededRng(seed);
  const p = new Uint32Array(2 * N);
  for (let i = 0; i < N; i++) {
    const r = (BigInt(rng.nextUint32()) << 32n) | BigInt(rng.nextUint32());
    // Edge cases first: 0, 1, q − 1, q − 2, then uniform.
    const v = edge && i < 4 ? [0n, 1n, q - 1n, q - 2n][i]! : r % q;
    setCoefficient(p, i, v);
  }
  return p;
}

describe("arithmetic mod a 60-bit prime", () => {
  const modulus = createModulus(Q, N);
  const a = randomPoly("a", Q, true);
  const b = randomPoly("b", Q, true);

  it("products, sums and differences agree with BigInt on every coefficient", () => {
    const product = modulus.zeroPoly();
    const sum = modulus.zeroPoly();
    const difference = modulus.zeroPoly();
    modulus.mulPoly(product, a, b);
    modulus.addPoly(sum, a, b);
    modulus.subPoly(difference, a, b);
    for (let i = 0; i < N; i++) {
      const [x, y] = [coefficientOf(a, i), coefficientOf(b, i)];
      expect(coefficientOf(product, i)).toBe((x * y) % Q);
      expect(coefficientOf(sum, i)).toBe((x + y) % Q);
      expect(coefficientOf(difference, i)).toBe((((x - y) % Q) + Q) % Q);
    }
    // Edge squares: (q − 1)² ≡ 1.
    modulus.mulPoly(product, b, b);
    expect(coefficientOf(product, 2)).toBe(1n);
  });

  it("refuses polynomials of the wrong length", () => {
    expect(() => modulus.addPoly(modulus.zeroPoly(), a, new Uint32Array(8))).toThrow(/coefficients/);
    expect(() => modulus.addPoly(new Uint32Array(8), new Uint32Array(8), new Uint32Array(8))).toThrow(
      /whole number/,
    );
  });

  it("centres small signed values and back", () => {
    const p = modulus.zeroPoly();
    const values = [0, 1, -1, 2 ** 52, -(2 ** 52), 123456789];
    setSignedCoefficients(p, values, Q);
    expect(Array.from(centredCoefficients(p, Q).subarray(0, values.length))).toEqual(values);
  });
});

describe("negacyclic NTT", () => {
  const modulus = createModulus(Q, N);
  const ntt = createNttTables(modulus);

  it("the root is SEAL's: primitive 2N-th, and no smaller odd power of it is", () => {
    const psi = minimalPrimitiveRoot(Q, N);
    let power = 1n;
    for (let i = 0; i < N; i++) power = (power * psi) % Q;
    expect(power).toBe(Q - 1n); // ψ^N = −1
  });

  it("inverse undoes forward", () => {
    const p = randomPoly("ntt", Q);
    const copy = Uint32Array.from(p);
    ntt.forward(p);
    expect(p).not.toEqual(copy);
    ntt.inverse(p);
    expect(p).toEqual(copy);
  });

  it("turns negacyclic products into coefficient-wise ones: (X^k · b) mod X^N + 1 is b shifted, signs flipped on wrap", () => {
    const k = 5;
    const b = randomPoly("shift", Q);
    const monomial = modulus.zeroPoly();
    setCoefficient(monomial, k, 1n);
    const expected = modulus.zeroPoly();
    for (let i = 0; i < N; i++) {
      const v = coefficientOf(b, i);
      const j = i + k;
      if (j < N) setCoefficient(expected, j, v);
      else setCoefficient(expected, j - N, v === 0n ? 0n : Q - v);
    }
    const bNtt = Uint32Array.from(b);
    ntt.forward(bNtt);
    ntt.forward(monomial);
    const product = modulus.zeroPoly();
    modulus.mulPoly(product, bNtt, monomial);
    ntt.inverse(product);
    expect(product).toEqual(expected);
  });
});

describe("agreement with SEAL's own NTT form", () => {
  let ctx: CkksContext;
  beforeAll(async () => {
    ctx = createCkksContext(await loadSeal());
  });
  afterAll(() => ctx.dispose());

  it("SEAL's secret key (stored in NTT form) is ternary after our inverse NTT", () => {
    const modulus = sealModulus(ctx);
    expect(modulus.value).toBe(Q);
    const generator = ctx.seal.KeyGenerator(ctx.context);
    const secretKey = generator.secretKey();
    const bytes = secretKey.saveArray(ctx.seal.ComprModeType.none as SealComprMode);
    secretKey.delete();
    generator.delete();
    const s = readSecretKey(bytes, { degree: N, parmsId: sealParmsId(ctx) });
    createNttTables(modulus).inverse(s);
    const coefficients = centredCoefficients(s, Q);
    const counts = { "-1": 0, "0": 0, "1": 0 };
    for (const c of coefficients) {
      expect([-1, 0, 1]).toContain(c);
      counts[String(c) as keyof typeof counts]++;
    }
    // Uniform ternary: each value about N/3 times.
    for (const count of Object.values(counts)) expect(count).toBeGreaterThan(N / 4);
  });
});

describe("WebAssembly modular sum", () => {
  it("adds u64 words mod q like BigInt, edge values included, and spots an unreduced word", () => {
    const sum = createModularSum(N * 8, Q);
    const a = randomPoly("wasm-a", Q, true);
    const b = randomPoly("wasm-b", Q, true);
    for (const p of [a, b]) {
      sum.staging.set(new Uint8Array(p.buffer));
      expect(sum.stagedIsReduced()).toBe(true);
      sum.addStaged();
    }
    const result = new Uint32Array(Uint8Array.from(sum.sum).buffer);
    for (let i = 0; i < N; i++)
      expect(coefficientOf(result, i)).toBe((coefficientOf(a, i) + coefficientOf(b, i)) % Q);
    const unreduced = Uint32Array.from(a);
    setCoefficient(unreduced, N - 1, Q);
    sum.staging.set(new Uint8Array(unreduced.buffer));
    expect(sum.stagedIsReduced()).toBe(false);
  });
});
