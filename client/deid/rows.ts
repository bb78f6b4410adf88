// De-identification of data rows as they are loaded: every text field scrubbed, counts by kind kept at the site, `required` refusing rows where a high-risk shape survives.
import type { DatasetRow } from "../data/rows.ts";
import { Scrubber, type ScrubResult } from "./scrub.ts";
import { addCounts, emptyCounts, type KindCounts } from "./spans.ts";

export const DEID_MODES = ["off", "on", "required"] as const;
export type DeidMode = (typeof DEID_MODES)[number];

/** What a loader does with each row: the scrubbed row, or a reason to refuse it. */
export type RowScrub = (
  row: DatasetRow,
  raw: Readonly<Record<string, unknown>>,
) => DatasetRow | { refused: string };

/** Keys a row may carry that name its patient, so that all of one patient's dates move together. */
const PATIENT_KEYS = ["patient_id", "patientId", "patient", "mrn", "subject_id"] as const;

export interface RowScrubber {
  readonly scrubRow: RowScrub;
  /** Identifiers replaced so far, by kind: for the site's log only. */
  readonly counts: KindCounts;
}

/**
 * Builds the row hook for `mode` ("on" or "required"). Token-id rows carry no text and pass as
 * they are. In `required` mode a row in which an SSN- or MRN-shaped string survives is refused;
 * the reason names the shape, never the text.
 */
export function rowScrubber(secret: Uint8Array, mode: Exclude<DeidMode, "off">): RowScrubber {
  const scrubber = new Scrubber(secret);
  const counts = emptyCounts();
  const scrubRow: RowScrub = (row, raw) => {
    const key = PATIENT_KEYS.map((k) => raw[k]).find((v) => typeof v === "string" || typeof v === "number");
    const patient = key === undefined ? undefined : `row:${String(key)}`;
    const results: ScrubResult[] = [];
    const clean = (text: string): string => {
      const result = scrubber.scrub(text, patient);
      results.push(result);
      return result.text;
    };
    const scrubbed = scrubFields(row, clean);
    const survivor = results.flatMap((r) => r.survivors)[0];
    if (mode === "required" && survivor !== undefined) {
      return { refused: `de-identification required: a ${survivor.shape} string survives scrubbing` };
    }
    for (const r of results) addCounts(counts, r.counts);
    return scrubbed;
  };
  return { scrubRow, counts };
}

/**
 * The same for arbitrary JSON rows (`fedtune deid`): every string scrubbed, object keys kept; a
 * patient key field is itself replaced like a record number.
 */
export function jsonScrubber(
  secret: Uint8Array,
  mode: Exclude<DeidMode, "off">,
): { scrubJson(value: unknown): { value: unknown } | { refused: string }; readonly counts: KindCounts } {
  const { scrubRow, counts } = rowScrubber(secret, mode);
  return {
    counts,
    scrubJson(value) {
      const texts: string[] = [];
      collectStrings(value, texts);
      // One text row holding every string, so that one patient key and one refusal rule cover the row.
      const raw =
        value !== null && typeof value === "object" && !Array.isArray(value)
          ? (value as Record<string, unknown>)
          : {};
      const joined = texts.join(SEPARATOR);
      const result = scrubRow({ kind: "text", text: joined }, raw);
      if ("refused" in result) return result;
      const parts = (result.kind === "text" ? result.text : joined).split(SEPARATOR);
      let next = 0;
      return { value: replaceStrings(value, () => parts[next++] ?? "") };
    },
  };
}

// A separator no detector spans (record separator, U+241E) between a row's strings.
const SEPARATOR = "\n\u241e\n";

function collectStrings(value: unknown, into: string[]): void {
  if (typeof value === "string") into.push(value);
  else if (Array.isArray(value)) for (const v of value) collectStrings(v, into);
  else if (value !== null && typeof value === "object")
    for (const v of Object.values(value)) collectStrings(v, into);
}

function replaceStrings(value: unknown, next: () => string): unknown {
  if (typeof value === "string") return next();
  if (Array.isArray(value)) return value.map((v) => replaceStrings(v, next));
  if (value !== null && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceStrings(v, next)]));
  return value;
}

function scrubFields(row: DatasetRow, clean: (text: string) => string): DatasetRow {
  switch (row.kind) {
    case "instruction":
      return {
        ...row,
        instruction: clean(row.instruction),
        output: clean(row.output),
        ...(row.input === undefined ? {} : { input: clean(row.input) }),
      };
    case "chat":
      return { ...row, messages: row.messages.map((m) => ({ ...m, content: clean(m.content) })) };
    case "mcq":
      return { ...row, question: clean(row.question), options: row.options.map(clean) };
    case "text":
      return { ...row, text: clean(row.text) };
    case "input_ids":
      return row;
  }
}
