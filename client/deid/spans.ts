// What the de-identifier finds: identifier kinds (HIPAA Safe Harbor, 45 CFR 164.514(b)(2)) and character spans.

/**
 * The kinds of identifier the detectors report. Safe Harbor's eighteen categories, grouped the way
 * their surrogates differ: `id` covers medical record, health-plan, account, certificate/licence,
 * vehicle, device and serial numbers and any other identifying number or code.
 */
export const PHI_KINDS = [
  "name",
  "date",
  "age",
  "phone",
  "email",
  "ssn",
  "id",
  "url",
  "ip",
  "zip",
  "street",
  "city",
] as const;
export type PhiKind = (typeof PHI_KINDS)[number];

/** A found (or labelled) identifier: text.slice(start, end) is the identifier. */
export interface PhiSpan {
  readonly kind: PhiKind;
  readonly start: number;
  readonly end: number;
}

/** Count of spans by kind, every kind present (zero when none). */
export type KindCounts = Record<PhiKind, number>;

export function emptyCounts(): KindCounts {
  return Object.fromEntries(PHI_KINDS.map((kind) => [kind, 0])) as KindCounts;
}

export function addCounts(into: KindCounts, more: Readonly<KindCounts>): void {
  for (const kind of PHI_KINDS) into[kind] += more[kind];
}

/**
 * Chooses among overlapping spans: the longest wins, earlier on a tie, so that "Dr. Ann Lee" is one
 * name rather than two and a date inside a longer record number stays part of the number.
 * The result is sorted by start and pairwise disjoint.
 */
export function resolveOverlaps(spans: readonly PhiSpan[]): PhiSpan[] {
  const byPriority = [...spans]
    .filter((s) => s.end > s.start)
    .sort((a, b) => b.end - b.start - (a.end - a.start) || a.start - b.start);
  const kept: PhiSpan[] = [];
  for (const span of byPriority) {
    if (kept.every((k) => span.end <= k.start || span.start >= k.end)) kept.push(span);
  }
  return kept.sort((a, b) => a.start - b.start);
}

/** Spans for every match of a global regex; `group` selects a capture group (its offset is found by indices). */
export function matchSpans(text: string, pattern: RegExp, kind: PhiKind, group = 0): PhiSpan[] {
  const out: PhiSpan[] = [];
  const re = new RegExp(pattern.source, pattern.flags.includes("d") ? pattern.flags : pattern.flags + "d");
  for (const m of text.matchAll(re)) {
    const at = m.indices?.[group];
    if (at !== undefined) out.push({ kind, start: at[0], end: at[1] });
  }
  return out;
}
