// Recall and precision of a detector on labelled notes, by identifier kind.
import { PHI_KINDS, type PhiKind, type PhiSpan } from "../../client/deid/spans.ts";
import type { LabelledNote } from "./builder.ts";

export interface KindScore {
  readonly kind: PhiKind | "all";
  /** Labelled identifiers, and those whose every letter and digit the detector covered. */
  readonly labelled: number;
  readonly caught: number;
  /** Spans the detector reported, and those that overlap a labelled identifier. */
  readonly found: number;
  readonly correct: number;
  readonly recall: number;
  readonly precision: number;
}

export interface Miss {
  readonly kind: PhiKind;
  readonly text: string;
  readonly context: string;
}

/**
 * Scores `detect` on `notes`. An identifier counts as caught when every letter and digit of it lies
 * inside reported spans (of any kind: each is replaced all the same); a reported span is correct
 * when it overlaps a labelled identifier.
 */
export function scoreDetector(
  notes: readonly LabelledNote[],
  detect: (text: string) => readonly PhiSpan[],
): { scores: KindScore[]; misses: Miss[]; falseAlarms: Miss[] } {
  const tally = new Map<
    PhiKind | "all",
    { labelled: number; caught: number; found: number; correct: number }
  >();
  // Every count goes to its kind and to the total.
  const bump = (kind: PhiKind, field: "labelled" | "caught" | "found" | "correct"): void => {
    for (const key of [kind, "all"] as const) {
      const t = tally.get(key) ?? { labelled: 0, caught: 0, found: 0, correct: 0 };
      t[field]++;
      tally.set(key, t);
    }
  };
  const misses: Miss[] = [];
  const falseAlarms: Miss[] = [];
  // A span with 30 characters either side, for reading misses and false alarms.
  const shown = (text: string, s: PhiSpan): Miss => ({
    kind: s.kind,
    text: text.slice(s.start, s.end),
    context: text.slice(Math.max(0, s.start - 30), Math.min(text.length, s.end + 30)).replace(/\n/g, "⏎"),
  });
  for (const note of notes) {
    const found = detect(note.text);
    const covered = new Uint8Array(note.text.length);
    for (const s of found) covered.fill(1, s.start, s.end);
    for (const gold of note.spans) {
      bump(gold.kind, "labelled");
      let all = true;
      for (let i = gold.start; i < gold.end; i++)
        if (/[\p{L}\p{N}]/u.test(note.text[i] ?? "") && covered[i] === 0) all = false;
      if (all) bump(gold.kind, "caught");
      else misses.push(shown(note.text, gold));
    }
    for (const s of found) {
      bump(s.kind, "found");
      if (note.spans.some((g) => s.start < g.end && s.end > g.start)) bump(s.kind, "correct");
      else falseAlarms.push(shown(note.text, s));
    }
  }
  const scores = [...PHI_KINDS, "all" as const].map((kind): KindScore => {
    const t = tally.get(kind) ?? { labelled: 0, caught: 0, found: 0, correct: 0 };
    return {
      kind,
      ...t,
      recall: t.labelled === 0 ? Number.NaN : t.caught / t.labelled,
      precision: t.found === 0 ? Number.NaN : t.correct / t.found,
    };
  });
  return { scores, misses, falseAlarms };
}
