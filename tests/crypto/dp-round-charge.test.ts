// ε charged so that it holds against the coordinator (issue 18 §3): participated rounds at q = 1, the site's own q for DP-SGD, tightened budgets.
import { describe, expect, it } from "vitest";
import {
  chargePrivacy,
  createPrivacyLedger,
  parseLedger,
  PrivacyBudgetExceededError,
  serializeLedger,
  spentEpsilon,
  tightenBudget,
} from "../../crypto/dp/ledger.ts";
import type { PrivacyLedger } from "../../crypto/dp/ledger.ts";
import {
  recordLevelRoundCharge,
  siteAcceptsPrivacy,
  siteLevelRoundCharge,
} from "../../crypto/dp/round-charge.ts";
import { ParameterError } from "../../crypto/errors.ts";

// Issue 18 §3's table, from this project's accountant at δ = 1e-5: a site picked with rate q out of
// `rounds` rounds takes part in rounds·q of them. The old ledger charged those at q; against the
// coordinator, who picks the participants, only q = 1 holds.
const TABLE = [
  { z: 0.8, rounds: 12, q: 0.5, subsampled: 12.52, againstCoordinator: 18.27 },
  { z: 1.0, rounds: 20, q: 0.25, subsampled: 5.27, againstCoordinator: 12.3 },
  { z: 1.5, rounds: 50, q: 0.1, subsampled: 1.28, againstCoordinator: 7.53 },
] as const;

function chargeRounds(participated: number, entryOf: (round: number) => Parameters<typeof chargePrivacy>[1]) {
  let ledger = createPrivacyLedger({ epsilon: 1000, delta: 1e-5 });
  for (let r = 0; r < participated; r++) ledger = chargePrivacy(ledger, entryOf(r));
  return spentEpsilon(ledger).epsilon;
}

describe("client-level DP charges against the coordinator", () => {
  it.each(TABLE)(
    "z = $z, $rounds rounds at q = $q: the ledger holds ε = $againstCoordinator, not $subsampled",
    ({ z, rounds, q, subsampled, againstCoordinator }) => {
      const participated = Math.round(rounds * q);
      const charged = chargeRounds(participated, (r) => siteLevelRoundCharge(`round ${r}`, z));
      expect(charged).toBeCloseTo(againstCoordinator, 2);
      const oldCharge = chargeRounds(participated, (r) => ({
        label: `round ${r}`,
        samplingRate: q,
        noiseMultiplier: z,
        steps: 1,
      }));
      expect(oldCharge).toBeCloseTo(subsampled, 2);
    },
  );

  it("a site with its own ε cap declines rounds without DP", () => {
    expect(siteAcceptsPrivacy(4, 0)).toBe(false);
    expect(siteAcceptsPrivacy(4, 1.1)).toBe(true);
    expect(siteAcceptsPrivacy(undefined, 0)).toBe(true);
  });
});

describe("record-level DP charges", () => {
  it("charges the steps the trainer runs at the site's own q = batch / examples, bounded by 1", () => {
    const entry = recordLevelRoundCharge({
      label: "round 3",
      noiseMultiplier: 1.1,
      batchSize: 8,
      trainExamples: 200,
      steps: 25,
    });
    expect(entry).toEqual({ label: "round 3", samplingRate: 0.04, noiseMultiplier: 1.1, steps: 25 });
    expect(
      recordLevelRoundCharge({ label: "r", noiseMultiplier: 1, batchSize: 64, trainExamples: 10, steps: 1 })
        .samplingRate,
    ).toBe(1);
    for (const bad of [{ steps: 0 }, { steps: 1.5 }, { trainExamples: 0 }, { batchSize: 0 }]) {
      expect(() =>
        recordLevelRoundCharge({
          label: "r",
          noiseMultiplier: 1,
          batchSize: 8,
          trainExamples: 100,
          steps: 10,
          ...bad,
        }),
      ).toThrow(ParameterError);
    }
  });
});

describe("budgets that only tighten", () => {
  const spend = (ledger: PrivacyLedger) => chargePrivacy(ledger, siteLevelRoundCharge("round", 1));

  it("holds a restarted site to a lowered cap: cap ε = 2 refuses a round the stored cap of 20 would take", () => {
    const stored = serializeLedger(spend(createPrivacyLedger({ epsilon: 20, delta: 1e-5 })));
    const restarted = tightenBudget(parseLedger(stored), { epsilon: 2, delta: 1e-5 });
    expect(restarted.budget).toEqual({ epsilon: 2, delta: 1e-5 });
    expect(() => spend(restarted)).toThrow(PrivacyBudgetExceededError);
  });

  it("keeps the tighter of stored and requested ε and δ, and persists it with the next charge", () => {
    const ledger = createPrivacyLedger({ epsilon: 30, delta: 1e-5 });
    const tightened = tightenBudget(tightenBudget(ledger, { epsilon: 40, delta: 1e-7 }), {
      epsilon: 25,
      delta: 1e-3,
    });
    expect(tightened.budget).toEqual({ epsilon: 25, delta: 1e-7 });
    expect(parseLedger(serializeLedger(spend(tightened))).budget).toEqual({ epsilon: 25, delta: 1e-7 });
    expect(tightenBudget(ledger, { epsilon: 30, delta: 1e-5 })).toBe(ledger);
    expect(() => tightenBudget(ledger, { epsilon: 0, delta: 1e-5 })).toThrow(ParameterError);
  });
});
