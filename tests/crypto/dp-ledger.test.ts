// The privacy ledger: charges compose, an overspending charge is refused with a typed error and no state change, and the ledger round-trips.
import { describe, expect, it } from "vitest";
import { computeEpsilon } from "../../crypto/dp/accountant.ts";
import {
  chargePrivacy,
  createPrivacyLedger,
  LedgerParseError,
  parseLedger,
  PrivacyBudgetExceededError,
  serializeLedger,
  spentEpsilon,
} from "../../crypto/dp/ledger.ts";
import { CryptoError, ParameterError } from "../../crypto/errors.ts";

const round = (label: string) => ({ label, samplingRate: 0.01, noiseMultiplier: 1.1, steps: 500 });

describe("privacy ledger", () => {
  it("charges rounds until the next one would exceed the budget, then refuses it and stays unchanged", () => {
    let ledger = createPrivacyLedger({ epsilon: 1.5, delta: 1e-5 });
    let charged = 0;
    for (;;) {
      try {
        ledger = chargePrivacy(ledger, round(`round-${charged}`));
        charged++;
      } catch (error) {
        expect(error).toBeInstanceOf(PrivacyBudgetExceededError);
        expect(error).toBeInstanceOf(CryptoError);
        const refusal = error as PrivacyBudgetExceededError;
        expect(refusal.code).toBe("privacy-budget-exceeded");
        expect(refusal.wouldSpendEpsilon).toBeGreaterThan(1.5);
        expect(refusal.spentEpsilon).toBeLessThanOrEqual(1.5);
        break;
      }
      expect(charged).toBeLessThan(100);
    }
    expect(charged).toBeGreaterThan(0);
    expect(ledger.entries).toHaveLength(charged);
    const expected = computeEpsilon({
      blocks: [{ samplingRate: 0.01, noiseMultiplier: 1.1, steps: 500 * charged }],
      delta: 1e-5,
    }).epsilon;
    expect(spentEpsilon(ledger).epsilon).toBeCloseTo(expected, 10);
  });

  it("accounts heterogeneous charges", () => {
    const a = { label: "a", samplingRate: 0.02, noiseMultiplier: 0.9, steps: 100 };
    const b = { label: "b", samplingRate: 0.005, noiseMultiplier: 2.0, steps: 1000 };
    const ledger = chargePrivacy(chargePrivacy(createPrivacyLedger({ epsilon: 10, delta: 1e-6 }), a), b);
    expect(spentEpsilon(ledger).epsilon).toBeCloseTo(
      computeEpsilon({ blocks: [a, b], delta: 1e-6 }).epsilon,
      12,
    );
  });

  it("serializes and parses back to the same spend", () => {
    const ledger = chargePrivacy(
      chargePrivacy(createPrivacyLedger({ epsilon: 8, delta: 1e-5 }), round("r1")),
      round("r2"),
    );
    const restored = parseLedger(serializeLedger(ledger));
    expect(restored.entries).toEqual(ledger.entries);
    expect(restored.budget).toEqual(ledger.budget);
    expect(spentEpsilon(restored).epsilon).toBe(spentEpsilon(ledger).epsilon);
  });

  it("refuses malformed, tampered or over-budget serialized ledgers", () => {
    const ledger = chargePrivacy(createPrivacyLedger({ epsilon: 3, delta: 1e-5 }), round("r1"));
    const text = serializeLedger(ledger);
    expect(() => parseLedger("{")).toThrow(LedgerParseError);
    expect(() => parseLedger(text.replace('"steps":500', '"steps":"500"'))).toThrow(LedgerParseError);
    expect(() => parseLedger(text.replace('"epsilon":3', '"epsilon":0.01'))).toThrow(LedgerParseError);
    expect(() => parseLedger(text.replace('"samplingRate":0.01', '"samplingRate":2'))).toThrow(
      LedgerParseError,
    );
  });

  it("refuses an invalid budget", () => {
    expect(() => createPrivacyLedger({ epsilon: 0, delta: 1e-5 })).toThrow(ParameterError);
    expect(() => createPrivacyLedger({ epsilon: 1, delta: 1 })).toThrow(ParameterError);
  });
});
