// A site's privacy ledger: pure state that composes each charged step block and refuses one that would overspend its (ε, δ) budget.
import { z } from "zod";
import {
  composeRdp,
  DEFAULT_RDP_ORDERS,
  emptyRdp,
  epsilonOf,
  type GaussianSteps,
  type RdpState,
} from "./accountant.ts";
import type { EpsilonAtOrder, RdpConversion } from "./conversion.ts";
import { CryptoError, ParameterError } from "../errors.ts";

export interface PrivacyBudget {
  readonly epsilon: number;
  readonly delta: number;
}

/** One charged block, e.g. one round's local DP-SGD steps, or one round of client-level DP-FedAvg. */
export interface LedgerEntry extends GaussianSteps {
  /** What the charge was for (round number, run id, …), for the site's own audit. */
  readonly label: string;
}

export interface PrivacyLedger {
  readonly budget: PrivacyBudget;
  readonly conversion: RdpConversion;
  readonly entries: readonly LedgerEntry[];
  /** Derived from `entries`; never serialized, recomputed on parse so it cannot drift. */
  readonly state: RdpState;
}

/** A charge refused because it would take ε past the budget; the ledger is unchanged. */
export class PrivacyBudgetExceededError extends CryptoError {
  constructor(
    readonly budget: PrivacyBudget,
    readonly spentEpsilon: number,
    readonly wouldSpendEpsilon: number,
  ) {
    super(
      "privacy-budget-exceeded",
      `privacy budget exceeded: ε would reach ${wouldSpendEpsilon.toFixed(4)} > ${budget.epsilon} at δ = ${budget.delta} ` +
        `(already spent ${spentEpsilon.toFixed(4)})`,
    );
  }
}

/** A serialized ledger that is not valid JSON or not a ledger. */
export class LedgerParseError extends CryptoError {
  constructor(message: string) {
    super("malformed", message);
  }
}

function checkBudget(budget: PrivacyBudget): void {
  if (!(budget.epsilon > 0) || !Number.isFinite(budget.epsilon))
    throw new ParameterError(`budget ε must be finite and > 0, got ${budget.epsilon}`);
  if (!(budget.delta > 0 && budget.delta < 1))
    throw new ParameterError(`budget δ must be in (0, 1), got ${budget.delta}`);
}

export function createPrivacyLedger(
  budget: PrivacyBudget,
  options: { readonly orders?: readonly number[]; readonly conversion?: RdpConversion } = {},
): PrivacyLedger {
  checkBudget(budget);
  return {
    budget: { epsilon: budget.epsilon, delta: budget.delta },
    conversion: options.conversion ?? "balle2020",
    entries: [],
    state: emptyRdp(options.orders ?? DEFAULT_RDP_ORDERS),
  };
}

/** ε spent so far at the budget's δ. */
export function spentEpsilon(ledger: PrivacyLedger): EpsilonAtOrder {
  return epsilonOf(ledger.state, ledger.budget.delta, ledger.conversion);
}

/** The ledger after `entry`, and the ε it would have spent — without judging the budget. */
function previewCharge(
  ledger: PrivacyLedger,
  entry: LedgerEntry,
): { readonly ledger: PrivacyLedger; readonly spent: EpsilonAtOrder } {
  const state = composeRdp(ledger.state, entry);
  const next: PrivacyLedger = { ...ledger, entries: [...ledger.entries, { ...entry }], state };
  return { ledger: next, spent: spentEpsilon(next) };
}

/**
 * The ledger under the tighter of its stored budget and `requested` (the smaller ε and the smaller δ).
 * A site that lowers its cap or δ after a restart is held to the lower one from the next charge on,
 * and the saved ledger keeps it: a budget is never loosened by a later, laxer request (issue 18 §3).
 */
export function tightenBudget(ledger: PrivacyLedger, requested: PrivacyBudget): PrivacyLedger {
  checkBudget(requested);
  const epsilon = Math.min(ledger.budget.epsilon, requested.epsilon);
  const delta = Math.min(ledger.budget.delta, requested.delta);
  if (epsilon === ledger.budget.epsilon && delta === ledger.budget.delta) return ledger;
  return { ...ledger, budget: { epsilon, delta } };
}

/**
 * Charges a block of steps before it runs. Throws {@link PrivacyBudgetExceededError} if ε would exceed the
 * budget; the input ledger is never modified, so a refused charge changes nothing.
 */
export function chargePrivacy(ledger: PrivacyLedger, entry: LedgerEntry): PrivacyLedger {
  const { ledger: next, spent } = previewCharge(ledger, entry);
  if (spent.epsilon > ledger.budget.epsilon) {
    throw new PrivacyBudgetExceededError(ledger.budget, spentEpsilon(ledger).epsilon, spent.epsilon);
  }
  return next;
}

const ledgerFileSchema = z.strictObject({
  format: z.literal("fedtune-privacy-ledger/v1"),
  budget: z.strictObject({ epsilon: z.number(), delta: z.number() }),
  conversion: z.enum(["balle2020", "mironov2017"]),
  orders: z.array(z.number()).min(1),
  entries: z.array(
    z.strictObject({
      label: z.string(),
      samplingRate: z.number(),
      noiseMultiplier: z.number(),
      steps: z.number(),
    }),
  ),
});

/** JSON text of the ledger: budget, orders and entries; the RDP totals are recomputed on parse. */
export function serializeLedger(ledger: PrivacyLedger): string {
  return JSON.stringify({
    format: "fedtune-privacy-ledger/v1",
    budget: ledger.budget,
    conversion: ledger.conversion,
    orders: ledger.state.orders,
    entries: ledger.entries,
  });
}

/** Parses and re-derives a ledger; a ledger already over its budget is refused rather than trusted. */
export function parseLedger(text: string): PrivacyLedger {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new LedgerParseError(`privacy ledger is not JSON: ${(error as Error).message}`);
  }
  const parsed = ledgerFileSchema.safeParse(raw);
  if (!parsed.success) throw new LedgerParseError(`privacy ledger is malformed: ${parsed.error.message}`);
  const file = parsed.data;
  try {
    let ledger = createPrivacyLedger(file.budget, { orders: file.orders, conversion: file.conversion });
    for (const entry of file.entries) ledger = chargePrivacy(ledger, entry);
    return ledger;
  } catch (error) {
    if (error instanceof ParameterError || error instanceof PrivacyBudgetExceededError)
      throw new LedgerParseError(`privacy ledger is inconsistent: ${error.message}`);
    throw error;
  }
}
