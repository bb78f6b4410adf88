// The noise in a SecAgg+ sum of privatized updates is the noise the ledger charges for (issue 18 §4).
import { describe, expect, it } from "vitest";
import { createFixedPointCodec } from "../../crypto/codec.ts";
import { protectedEntryRange, privatizeUpdate } from "../../crypto/dp/distributed-noise.ts";
import type { DistributedNoiseConfig } from "../../crypto/dp/distributed-noise.ts";
import { seededRng } from "../../crypto/rng.ts";
import { runInProcessRound, simulatedIdentities } from "../../crypto/secagg/in-process.ts";
import { siteIds } from "../helpers/site-ids.ts";

const SITES = siteIds("site-a", "site-b");
const LENGTH = 20_000;
// z = 2, C = 1, shares for two survivors: the sum must carry N(0, z²C²) per entry, std 2.
const NOISE: DistributedNoiseConfig = { noiseMultiplier: 2, clipNorm: 1, minSurvivors: 2 };

/** Standard deviation of the decoded SecAgg+ sum of two sites' noise shares (zero updates), encoded with `clipRange`. */
function secaggSumStddev(clipRange: number): number {
  const rng = seededRng(`secagg-dp-noise-${clipRange}`);
  const codec = createFixedPointCodec({ clipRange, maxSummands: SITES.length });
  const { identitySeeds, identityKeys } = simulatedIdentities(SITES, rng);
  const sessionId = new Uint8Array(32);
  rng.fill(sessionId);
  const inputs = new Map(
    SITES.map((site) => [site, codec.encode(privatizeUpdate(new Float32Array(LENGTH), NOISE, rng), { rng })]),
  );
  const { sum, survivors } = runInProcessRound({
    config: {
      roundId: 1,
      sessionId,
      roster: SITES,
      threshold: 2,
      degree: 1,
      vectorLength: LENGTH,
      identityKeys,
    },
    identitySeeds,
    inputOf: (site) => inputs.get(site) as Uint32Array,
    rng,
  });
  const decoded = codec.decodeSum(sum, survivors.length);
  let squares = 0;
  for (const x of decoded) squares += x * x;
  return Math.sqrt(squares / LENGTH);
}

describe("client-level DP through SecAgg+", () => {
  it("a codec sized for the noise keeps the sum's std at z·C = 2", () => {
    const clipRange = protectedEntryRange(NOISE.clipNorm, NOISE);
    expect(clipRange).toBeCloseTo(1 + 10 * Math.SQRT2, 10);
    // 20 000 entries estimate the std within about 0.5%.
    expect(Math.abs(secaggSumStddev(clipRange) - 2)).toBeLessThan(0.04);
  });

  it("a codec sized for the update alone (range max(C, 1)) clips the noise: std 1.13, not 2", () => {
    expect(secaggSumStddev(1)).toBeCloseTo(1.13, 1);
  });
});
