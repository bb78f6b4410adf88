// The scrub pipeline: detect every identifier, resolve overlaps, replace each by its surrogate (dates shifted per patient), check what survives.
import { dateShifter, detectDates } from "./dates.ts";
import { detectNames } from "./names.ts";
import { HIGH_RISK, detectStructured } from "./patterns.ts";
import { emptyCounts, resolveOverlaps, type KindCounts, type PhiSpan } from "./spans.ts";
import { SurrogateMaker } from "./surrogates.ts";

/** Every identifier in `text`, disjoint and in order. Dates win ties with phone shapes, names with towns ("Lee, MD"). */
export function detectPhi(text: string): PhiSpan[] {
  return resolveOverlaps([...detectDates(text), ...detectNames(text), ...detectStructured(text)]);
}

/** A high-risk shape left in scrubbed text outside any surrogate: its name and offset, never its text. */
export interface Survivor {
  readonly shape: string;
  readonly offset: number;
}

export interface ScrubResult {
  readonly text: string;
  /** Identifiers replaced, by kind. */
  readonly counts: KindCounts;
  /** High-risk shapes still in the output (`required` refuses the row when there is any). */
  readonly survivors: readonly Survivor[];
}

/** Scrubs text with one site's secret; see docs/deidentification.md for the surrogate scheme. */
export class Scrubber {
  private readonly surrogates: SurrogateMaker;

  constructor(secret: Uint8Array) {
    if (secret.length < 16)
      throw new RangeError(`de-identification secret must be ≥ 16 bytes, got ${secret.length}`);
    this.surrogates = new SurrogateMaker(secret);
  }

  /**
   * Replaces every identifier. Dates move by the offset of `patientKey` (a patient id the row
   * carries); without one, the note's first labelled record number stands for the patient, then
   * its first name, so that notes of one patient keep their intervals.
   */
  scrub(text: string, patientKey?: string): ScrubResult {
    const spans = detectPhi(text);
    const counts = emptyCounts();
    const key = patientKey ?? patientKeyOf(text, spans);
    const offset = this.surrogates.dateOffsetDays(key);
    const shift = dateShifter(text);
    const kept: { start: number; end: number }[] = [];
    let out = "";
    let at = 0;
    for (const span of spans) {
      const original = text.slice(span.start, span.end);
      const replacement =
        span.kind === "date"
          ? (shift(span, offset) ?? original)
          : this.surrogates.replace(span.kind, original);
      out += text.slice(at, span.start);
      kept.push({ start: out.length, end: out.length + replacement.length });
      out += replacement;
      at = span.end;
      counts[span.kind]++;
    }
    out += text.slice(at);
    return { text: out, counts, survivors: survivorsIn(out, kept) };
  }
}

function patientKeyOf(text: string, spans: readonly PhiSpan[]): string {
  const id = spans.find((s) => s.kind === "id") ?? spans.find((s) => s.kind === "name");
  return id === undefined ? "" : `${id.kind}:${text.slice(id.start, id.end).toLowerCase()}`;
}

function survivorsIn(text: string, surrogates: readonly { start: number; end: number }[]): Survivor[] {
  const out: Survivor[] = [];
  for (const { name, pattern } of HIGH_RISK) {
    for (const m of text.matchAll(pattern)) {
      const end = m.index + m[0].length;
      if (!surrogates.some((s) => m.index < s.end && end > s.start))
        out.push({ shape: name, offset: m.index });
    }
  }
  return out;
}
