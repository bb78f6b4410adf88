// Shamir sharing over GF(2^255 − 19): every t-subset reconstructs, fewer than t is refused and reveals nothing useful.
import { describe, expect, it } from "vitest";
import { ParameterError } from "../../crypto/errors.ts";
import { seededRng } from "../../crypto/rng.ts";
import { combineShares, isFieldElement, randomFieldElement, splitSecret } from "../../crypto/shamir.ts";
import type { ShamirShare } from "../../crypto/shamir.ts";

function subsets<T>(items: readonly T[], size: number): T[][] {
  if (size === 0) return [[]];
  if (items.length < size) return [];
  const [head, ...rest] = items as [T, ...T[]];
  return [...subsets(rest, size - 1).map((s) => [head, ...s]), ...subsets(rest, size)];
}

describe("Shamir secret sharing", () => {
  it.each([
    [1, 1],
    [2, 3],
    [3, 5],
    [4, 7],
  ])("threshold %i of %i: every t-subset (in any order) reconstructs", (t, n) => {
    const rng = seededRng(`shamir-${t}-${n}`);
    const secret = randomFieldElement(rng);
    const xs = Array.from({ length: n }, (_, i) => 3 * i + 1); // non-consecutive x-coordinates
    const shares = splitSecret(secret, t, xs, rng);
    for (const subset of subsets(shares, t)) {
      expect(combineShares(subset, t)).toEqual(secret);
      expect(combineShares([...subset].reverse(), t)).toEqual(secret);
    }
  });

  it("t − 1 shares are refused, and a forced interpolation of them gives a wrong secret", () => {
    const rng = seededRng("below");
    const secret = randomFieldElement(rng);
    const shares = splitSecret(secret, 3, [1, 2, 3, 4], rng);
    expect(() => combineShares(shares.slice(0, 2), 3)).toThrow(ParameterError);
    expect(combineShares(shares.slice(0, 2), 2)).not.toEqual(secret);
  });

  it("shares are uniform-looking field elements and the largest secret p − 1 round-trips", () => {
    const rng = seededRng("edge");
    const pMinus1 = new Uint8Array(32).fill(0xff);
    pMinus1[0] = 0xec;
    pMinus1[31] = 0x7f;
    expect(isFieldElement(pMinus1)).toBe(true);
    const pBytes = pMinus1.slice();
    pBytes[0] = 0xed;
    expect(isFieldElement(pBytes)).toBe(false);
    const shares = splitSecret(pMinus1, 2, [5, 9, 11], rng);
    for (const s of shares) expect(isFieldElement(s.y)).toBe(true);
    expect(combineShares([shares[2] as ShamirShare, shares[0] as ShamirShare], 2)).toEqual(pMinus1);
  });

  it("refuses bad parameters: secret ≥ p, threshold above the share count, zero or repeated x", () => {
    const rng = seededRng("bad");
    const secret = randomFieldElement(rng);
    expect(() => splitSecret(new Uint8Array(32).fill(0xff), 2, [1, 2], rng)).toThrow(ParameterError);
    expect(() => splitSecret(secret, 3, [1, 2], rng)).toThrow(ParameterError);
    expect(() => splitSecret(secret, 0, [1, 2], rng)).toThrow(ParameterError);
    expect(() => splitSecret(secret, 2, [0, 1], rng)).toThrow(ParameterError);
    expect(() => splitSecret(secret, 2, [1, 1], rng)).toThrow(ParameterError);
    const shares = splitSecret(secret, 2, [1, 2], rng);
    expect(() => combineShares([shares[0] as ShamirShare, shares[0] as ShamirShare], 2)).toThrow(
      ParameterError,
    );
  });
});
