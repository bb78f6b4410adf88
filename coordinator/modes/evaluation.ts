// Evaluation tries: each site scores the global adapter on its own validation set and reports sums of counts
// (strategies/eval-report.ts), summed under the round's protection; the coordinator keeps the totals only.
import { FederationError } from "../../proto/errors.ts";
import type { PollResponse } from "../../proto/messages.ts";
import {
  decodeEvalTotals,
  encodeEvalReport,
  EVAL_VECTOR_LENGTH,
  type EvalReport,
} from "../../strategies/eval-report.ts";
import type { SiteId } from "../round/stages.ts";
import { NO_STEPS, refuseStageMessage, type ModeTry, type TryResult } from "./mode.ts";

/** The result of an evaluation try from the sum of the sites' count vectors. */
export function evaluationResult(sum: ArrayLike<number>): TryResult {
  return { model: undefined, metrics: decodeEvalTotals(sum) };
}

/** Mode none: the reports arrive in the clear (TLS only) and are summed as they arrive. */
class PlainEvaluationTry implements ModeTry {
  readonly kind = "evaluation";
  secaggFor(): null {
    return null;
  }
  readonly he = null;
  readonly upload = undefined;
  private readonly sum = new Float64Array(EVAL_VECTOR_LENGTH);

  acceptUpload(): void {
    throw new FederationError("failed_precondition", "no training round is collecting updates");
  }

  acceptStageMessage(): void {
    refuseStageMessage();
  }

  acceptMetrics(_site: SiteId, report: EvalReport): void {
    const counts = encodeEvalReport(report);
    for (let i = 0; i < counts.length; i++) this.sum[i] = (this.sum[i] ?? 0) + (counts[i] ?? 0);
  }

  closeStage(): ReadonlyMap<SiteId, PollResponse> {
    return NO_STEPS;
  }

  finish(): TryResult {
    return evaluationResult(this.sum);
  }

  dispose(): void {}
}

export function openPlainEvaluationTry(): ModeTry {
  return new PlainEvaluationTry();
}
