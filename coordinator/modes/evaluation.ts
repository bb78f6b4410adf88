// Evaluation tries: each site scores the global adapter on its own validation set and reports its counts.
import { FederationError } from "../../proto/errors.ts";
import type { HeSettings, PollResponse } from "../../proto/messages.ts";
import type { SiteId } from "../round/stages.ts";
import { refuseStageMessage } from "./plain.ts";
import { NO_STEPS, type EvalReport, type ModeTry, type TryResult } from "./mode.ts";

/** Example-weighted mean of each metric over the sites that reported it. */
function weightedMeanMetrics(reports: readonly EvalReport[]): Record<string, number> {
  const sums = new Map<string, { total: number; weight: number }>();
  for (const report of reports) {
    const weight = Math.max(1, report.numExamples);
    for (const [name, value] of Object.entries(report.metrics)) {
      const entry = sums.get(name) ?? { total: 0, weight: 0 };
      entry.total += weight * value;
      entry.weight += weight;
      sums.set(name, entry);
    }
  }
  const out: Record<string, number> = {};
  for (const [name, { total, weight }] of sums) out[name] = total / weight;
  const examples = reports.reduce((sum, report) => sum + report.numExamples, 0);
  if (reports.length > 0) out["examples"] = examples;
  return out;
}

class EvaluationTry implements ModeTry {
  readonly kind = "evaluation";
  readonly secagg = null;
  readonly upload = undefined;
  private readonly reports = new Map<SiteId, EvalReport>();

  constructor(readonly he: HeSettings | null) {}

  acceptUpload(): void {
    throw new FederationError("failed_precondition", "no training round is collecting updates");
  }

  acceptStageMessage(): void {
    refuseStageMessage();
  }

  acceptMetrics(site: SiteId, report: EvalReport): void {
    this.reports.set(site, report);
  }

  closeStage(): ReadonlyMap<SiteId, PollResponse> {
    return NO_STEPS;
  }

  finish(): TryResult {
    return { model: undefined, metrics: weightedMeanMetrics([...this.reports.values()]) };
  }

  dispose(): void {}
}

/** An evaluation try; `he` tells he-mode sites how to rebuild the global adapter they score. */
export function openEvaluationTry(he: HeSettings | null): ModeTry {
  return new EvaluationTry(he);
}
