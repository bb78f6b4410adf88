// The site's ledger file across a restart: a lowered ε cap or δ binds the next charge and is saved with it (issue 18 §3).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { LedgerFile } from "../../client/node/site-state.ts";
import { chargePrivacy, PrivacyBudgetExceededError } from "../../crypto/dp/ledger.ts";
import { siteLevelRoundCharge } from "../../crypto/dp/round-charge.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("LedgerFile", () => {
  it("refuses, after a restart with cap ε = 2, a round the first cap of 20 would have accepted", () => {
    const dir = mkdtempSync(join(tmpdir(), "fedtune-ledger-"));
    dirs.push(dir);
    const first = LedgerFile.open(dir);
    const round = (r: number) => siteLevelRoundCharge(`round ${r}`, 1);
    first.save(chargePrivacy(first.ledger({ epsilon: 20, delta: 1e-5 }), round(1)));

    const restarted = LedgerFile.open(dir);
    const ledger = restarted.ledger({ epsilon: 2, delta: 1e-5 });
    expect(ledger.budget.epsilon).toBe(2);
    expect(() => chargePrivacy(ledger, round(2))).toThrow(PrivacyBudgetExceededError);
    // A laxer cap later does not loosen what the site once asked for.
    expect(LedgerFile.open(dir).ledger({ epsilon: 50, delta: 1e-5 }).budget.epsilon).toBe(20);
    expect(JSON.parse(readFileSync(join(dir, "privacy-ledger.json"), "utf8"))).toMatchObject({
      budget: { epsilon: 20 },
    });
  });

  it("saves the tightened budget with the next charge", () => {
    const dir = mkdtempSync(join(tmpdir(), "fedtune-ledger-"));
    dirs.push(dir);
    const first = LedgerFile.open(dir);
    first.save(chargePrivacy(first.ledger({ epsilon: 20, delta: 1e-5 }), siteLevelRoundCharge("round 1", 2)));
    const restarted = LedgerFile.open(dir);
    restarted.save(
      chargePrivacy(restarted.ledger({ epsilon: 10, delta: 1e-6 }), siteLevelRoundCharge("round 2", 2)),
    );
    expect(LedgerFile.open(dir).ledger({ epsilon: 50, delta: 1e-3 }).budget).toEqual({
      epsilon: 10,
      delta: 1e-6,
    });
  });
});
