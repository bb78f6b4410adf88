// A site's ledger report on Poll is checked at the wire like everything else a site sends: a malformed one is
// refused there and never reaches the coordinator's store.
import { describe, expect, it } from "vitest";
import { pollRequestSchema } from "../../proto/messages.ts";

const report = { epsilonSpent: 3.2, epsilonBudget: 8, delta: 1e-5 };

describe("PollRequest.ledger", () => {
  it("takes a ledger report or none", () => {
    expect(pollRequestSchema.parse({ waitMs: 10, ledger: report }).ledger).toEqual(report);
    expect(pollRequestSchema.parse({ waitMs: 10, ledger: null }).ledger).toBeNull();
  });

  it.each([
    ["a negative ε", { ...report, epsilonSpent: -1 }],
    ["a non-finite ε", { ...report, epsilonSpent: Number.NaN }],
    ["an infinite cap", { ...report, epsilonBudget: Number.POSITIVE_INFINITY }],
    ["δ above 1", { ...report, delta: 2 }],
  ])("refuses %s", (_, ledger) => {
    expect(pollRequestSchema.safeParse({ waitMs: 10, ledger }).success).toBe(false);
  });
});
