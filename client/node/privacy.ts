// The site's privacy: its ledger charged before training, the update clipped, its share of DP noise added.
import { clipL2 } from "../../crypto/dp/clip.ts";
import { privatizeUpdate } from "../../crypto/dp/distributed-noise.ts";
import {
  chargePrivacy,
  PrivacyBudgetExceededError,
  spentEpsilon,
  type LedgerEntry,
} from "../../crypto/dp/ledger.ts";
import {
  recordLevelRoundCharge,
  siteAcceptsPrivacy,
  siteLevelRoundCharge,
} from "../../crypto/dp/round-charge.ts";
import { FederationError } from "../../proto/errors.ts";
import type { TrainTask } from "../../proto/messages.ts";
import type { SiteSession } from "./session.ts";
import type { LedgerFile } from "./site-state.ts";
import { localStepsOf, type LocalUpdate } from "./trainer.ts";

/**
 * Charges the privacy ledger before training; returns why the site declines instead (the charge would
 * pass the budget, or the round asks for no DP while the site has its own ε cap), or null. The charge holds against
 * the coordinator (crypto/dp/round-charge.ts): a client-level round at q = 1, DP-SGD at the site's own
 * q for the steps its trainer runs.
 */
export function chargeLedger(session: SiteSession, ledgerFile: LedgerFile, task: TrainTask): string | null {
  const { privacy } = task;
  const siteCap = session.options.epsilonBudget;
  const noiseMultiplier = privacy.dpLevel === "none" ? 0 : privacy.noiseMultiplier;
  if (!siteAcceptsPrivacy(siteCap, noiseMultiplier)) {
    session.logger.warn({ round: task.ref.round }, "declining the round: no DP under this site's ε cap");
    return "the round asks for no DP and this site has its own ε cap";
  }
  if (noiseMultiplier === 0) return null;
  const trainer = session.trainer();
  const federationBudget = privacy.epsilonBudget > 0 ? privacy.epsilonBudget : Number.POSITIVE_INFINITY;
  const epsilon = Math.min(siteCap ?? Number.POSITIVE_INFINITY, federationBudget);
  if (!Number.isFinite(epsilon))
    throw new FederationError("failed_precondition", "DP round without an ε budget");
  const ledger = ledgerFile.ledger({ epsilon, delta: privacy.delta });
  const label = `round ${task.ref.round}`;
  const entry: LedgerEntry =
    privacy.dpLevel === "site"
      ? siteLevelRoundCharge(label, noiseMultiplier)
      : recordLevelRoundCharge({
          label,
          noiseMultiplier,
          batchSize: task.training.batchSize,
          trainExamples: Math.max(1, trainer.trainExamples),
          steps: localStepsOf(task.training, trainer.trainExamples),
        });
  try {
    const charged = chargePrivacy(ledger, entry);
    ledgerFile.save(charged);
    session.emit({ type: "privacy", epsilon: spentEpsilon(charged).epsilon, budget: charged.budget.epsilon });
    return null;
  } catch (error) {
    if (!(error instanceof PrivacyBudgetExceededError)) throw error;
    session.logger.warn(
      { round: task.ref.round, detail: error.message },
      "declining the round: privacy budget",
    );
    return "taking part would exceed this site's privacy budget";
  }
}

/** A local update after clipping and noise, ready for the privacy mode to protect. */
export interface PrivatizedUpdate {
  readonly delta: Float32Array;
  /** n_k, or 0 when every site weighs 1 (client-level DP). */
  readonly numExamples: number;
  readonly trainLoss: number;
}

/**
 * Clips Δ and adds this site's DP noise share (client-level DP: Kairouz et al. 2021, see
 * crypto/dp/distributed-noise.ts). Under DP every site weighs 1, so the sum's sensitivity stays C.
 */
export function privatize(session: SiteSession, task: TrainTask, update: LocalUpdate): PrivatizedUpdate {
  const { privacy } = task;
  const { trainLoss } = update;
  if (privacy.dpLevel === "site" && privacy.noiseMultiplier > 0) {
    const delta = privatizeUpdate(
      update.delta,
      {
        noiseMultiplier: privacy.noiseMultiplier,
        clipNorm: privacy.clipNorm,
        minSurvivors: privacy.minSurvivors,
      },
      session.rng,
    );
    return { delta, numExamples: 0, trainLoss };
  }
  const delta = privacy.clipNorm > 0 ? clipL2(update.delta, privacy.clipNorm).clipped : update.delta;
  return { delta, numExamples: update.numExamples, trainLoss };
}
