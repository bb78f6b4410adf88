// The evaluation report as sums of counts: the sum of the sites' vectors decodes to the example-weighted totals.
import { describe, expect, it } from "vitest";
import { createFixedPointCodec } from "../../crypto/codec.ts";
import { seededRng } from "../../crypto/rng.ts";
import {
  decodeEvalTotals,
  encodeEvalReport,
  EVAL_CLIP_RANGE,
  EVAL_VECTOR_LENGTH,
  type EvalReport,
} from "../../strategies/eval-report.ts";
import { MAX_EXAMPLES } from "../../strategies/weighted-update.ts";

const REPORTS: readonly EvalReport[] = [
  { numExamples: 40, metrics: { accuracy: 0.75, loss: 0.5 } },
  { numExamples: 10, metrics: { accuracy: 0.2, loss: 3 } },
  // A site whose validation set has no multiple-choice rows: loss only.
  { numExamples: 30, metrics: { loss: 1.5 } },
];

function plainSum(vectors: readonly Float32Array[]): Float64Array {
  const sum = new Float64Array(EVAL_VECTOR_LENGTH);
  for (const vector of vectors) vector.forEach((value, i) => (sum[i] = (sum[i] ?? 0) + value));
  return sum;
}

describe("evaluation report", () => {
  it("decodes the sum into example-weighted means over the sites that computed each metric", () => {
    const totals = decodeEvalTotals(plainSum(REPORTS.map((report) => encodeEvalReport(report))));
    expect(totals["accuracy"]).toBeCloseTo((40 * 0.75 + 10 * 0.2) / 50, 6);
    expect(totals["loss"]).toBeCloseTo((40 * 0.5 + 10 * 3 + 30 * 1.5) / 80, 6);
    expect(totals["examples"]).toBe(80);
  });

  it("leaves out a metric no site computed, and keeps values in the codec's range", () => {
    const totals = decodeEvalTotals(encodeEvalReport({ numExamples: 5, metrics: { loss: 1e9 } }));
    expect(totals).toEqual({ loss: EVAL_CLIP_RANGE, examples: 5 });
    const capped = encodeEvalReport({ numExamples: 10 * MAX_EXAMPLES, metrics: { accuracy: 1 } });
    expect(Math.max(...capped)).toBe(1);
  });

  it("survives the fixed-point codec: totals within n codec steps over the summed weight", () => {
    const codec = createFixedPointCodec({ clipRange: EVAL_CLIP_RANGE, maxSummands: REPORTS.length });
    const rng = seededRng("eval-report");
    const sum = new Uint32Array(EVAL_VECTOR_LENGTH);
    for (const report of REPORTS) {
      const encoded = codec.encode(encodeEvalReport(report), { rng });
      encoded.forEach((value, i) => (sum[i] = ((sum[i] ?? 0) + value) >>> 0));
    }
    const protectedTotals = decodeEvalTotals(codec.decodeSum(sum, REPORTS.length));
    const plainTotals = decodeEvalTotals(plainSum(REPORTS.map((report) => encodeEvalReport(report))));
    // The accuracy weight is Σw over its two sites, 50/MAX_EXAMPLES.
    const bound = codec.maxAbsError(REPORTS.length, true) / (50 / MAX_EXAMPLES);
    expect(Math.abs((protectedTotals["accuracy"] ?? 0) - (plainTotals["accuracy"] ?? 0))).toBeLessThan(
      2 * bound,
    );
    expect(Math.abs((protectedTotals["loss"] ?? 0) - (plainTotals["loss"] ?? 0))).toBeLessThan(
      2 * EVAL_CLIP_RANGE * bound,
    );
    expect(protectedTotals["examples"]).toBe(80);
  });
});
