// The evaluation report as sums of counts: built by a site, summed under the round's protection, decoded by the
// coordinator into the consortium's totals (ARCHITECTURE.md "One round, as data", step 5).
import { MAX_EXAMPLES } from "./weighted-update.ts";

/** One site's evaluation of the global adapter: example count and example-weighted mean metrics. */
export interface EvalReport {
  readonly numExamples: number;
  readonly metrics: Readonly<Record<string, number>>;
}

/** The metrics a report carries, in vector order; any other metric a trainer computes stays at the site. */
export const EVAL_METRICS = ["accuracy", "loss"] as const;

/** [w·accuracy, w_accuracy, w·loss, w_loss, w]: per metric its weighted sum and weight, then the examples. */
export const EVAL_VECTOR_LENGTH = 2 * EVAL_METRICS.length + 1;

/**
 * Bound on every entry, the fixed-point codec's clip range: w ≤ 1 and accuracy ≤ 1, and a mean token NLL
 * up to 64 (a mean probability of e^-64, past any model worth scoring) fits. The codec's step is then
 * 64·n/(2^31 − 1) per entry for n sites, i.e. n·1.2e-4 of one example's count (w·MAX_EXAMPLES units).
 */
export const EVAL_CLIP_RANGE = 64;

/**
 * A site's counts scaled by 1/maxExamples: w = min(n, maxExamples)/maxExamples, and per metric w·value
 * (correct answers, summed token losses) with its weight w, or zeros when the site did not compute it.
 * Values are clamped to [0, EVAL_CLIP_RANGE], the range every mode's sum accepts.
 */
export function encodeEvalReport(report: EvalReport, maxExamples = MAX_EXAMPLES): Float32Array {
  const weight = Math.min(Math.max(report.numExamples, 0), maxExamples) / maxExamples;
  const out = new Float32Array(EVAL_VECTOR_LENGTH);
  EVAL_METRICS.forEach((name, i) => {
    const value = report.metrics[name];
    if (value === undefined || !Number.isFinite(value)) return;
    out[2 * i] = weight * Math.min(Math.max(value, 0), EVAL_CLIP_RANGE);
    out[2 * i + 1] = weight;
  });
  out[EVAL_VECTOR_LENGTH - 1] = weight;
  return out;
}

/**
 * The consortium's totals from the sum of the sites' vectors: each metric as Σw·value / Σw (the
 * example-weighted mean over the sites that computed it) and `examples` = Σ min(n_k, maxExamples).
 * A metric whose summed weight is under half an example (fixed-point noise around zero) is absent.
 */
export function decodeEvalTotals(sum: ArrayLike<number>, maxExamples = MAX_EXAMPLES): Record<string, number> {
  const totals: Record<string, number> = {};
  EVAL_METRICS.forEach((name, i) => {
    const weight = sum[2 * i + 1] ?? 0;
    if (weight > 0.5 / maxExamples) totals[name] = (sum[2 * i] ?? 0) / weight;
  });
  totals["examples"] = Math.round((sum[EVAL_VECTOR_LENGTH - 1] ?? 0) * maxExamples);
  return totals;
}
