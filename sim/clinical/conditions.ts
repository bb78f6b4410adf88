// The conditions of fedtune's synthetic hospitals (who gets each and how it presents), loaded from the hand-written
// table in conditions.json and checked once when the module loads.
import { z } from "zod";
import { ADULT_VITALS, LABS, type LabName, type Range, type VitalName } from "./catalogue.ts";
import table from "./conditions.json" with { type: "json" };

/** The specialties a condition belongs to; a hospital profile weights them. */
const CATEGORIES = [
  "cardiac",
  "respiratory",
  "infectious",
  "tropical",
  "paediatric",
  "oncology",
  "gastro",
  "endocrine",
  "neuro",
  "renal",
  "obstetric",
  "haematology",
  "musculoskeletal",
] as const;
export type Category = (typeof CATEGORIES)[number];

/** How long patients have had symptoms when they present. */
const ONSETS = ["hours", "days", "weeks", "months"] as const;
export type Onset = (typeof ONSETS)[number];

export interface Condition {
  /** Stable identifier (kebab-case). */
  readonly id: string;
  /** The diagnosis as a note's assessment names it; the label the model learns to produce. */
  readonly name: string;
  readonly category: Category;
  /** Typical age at presentation, in years. */
  readonly age: Range;
  /** Probability that a patient is male (0 for conditions of pregnancy). */
  readonly maleFraction: number;
  readonly onset: Onset;
  /** Presenting complaints; the first two appear in every vignette, the rest often. */
  readonly symptoms: readonly string[];
  /** Vital signs that depart from normal, as ranges. */
  readonly vitals: Readonly<Partial<Record<VitalName, Range>>>;
  /** Laboratory values that depart from normal, as ranges. */
  readonly labs: Readonly<Partial<Record<LabName, Range>>>;
  /** Imaging, ECG and bedside tests with their characteristic result. */
  readonly investigations: readonly string[];
  /** Risk factors and past history. */
  readonly history: readonly string[];
  readonly exam: readonly string[];
  readonly treatments: readonly string[];
  /** One or two textbook sentences, used by the pretraining corpus. */
  readonly description: string;
}

const range = z
  .tuple([z.number(), z.number()])
  .refine(([lo, hi]) => lo <= hi, { message: "a range's low end must not exceed its high end" });
const vitalName = z.enum(Object.keys(ADULT_VITALS) as [VitalName, ...VitalName[]]);
const labName = z.enum(Object.keys(LABS) as [LabName, ...LabName[]]);
const text = z.string().min(1);

const conditionSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, "ids are kebab-case"),
  name: text,
  category: z.enum(CATEGORIES),
  age: range,
  maleFraction: z.number().min(0).max(1),
  onset: z.enum(ONSETS),
  symptoms: z.array(text).min(2, "the first two symptoms appear in every vignette"),
  vitals: z.partialRecord(vitalName, range),
  labs: z.partialRecord(labName, range),
  investigations: z.array(text),
  history: z.array(text),
  exam: z.array(text),
  treatments: z.array(text),
  description: text,
});

/** Parses the conditions table: every field checked, ids and diagnosis names unique. */
export function parseConditions(input: unknown): Condition[] {
  const conditions: Condition[] = z
    .array(conditionSchema)
    .min(1)
    .superRefine((rows, ctx) => {
      for (const key of ["id", "name"] as const) {
        const seen = new Set<string>();
        for (const row of rows) {
          if (seen.has(row[key]))
            ctx.addIssue({ code: "custom", message: `duplicate condition ${key} "${row[key]}"` });
          seen.add(row[key]);
        }
      }
    })
    .parse(input);
  return conditions;
}

export const CONDITIONS: readonly Condition[] = parseConditions(table);

/** The conditions by id, for O(1) lookups. */
export const CONDITIONS_BY_ID: ReadonlyMap<string, Condition> = new Map(CONDITIONS.map((c) => [c.id, c]));

/** The diagnosis labels, in table order; index i is CONDITIONS[i]. */
export const LABELS: readonly string[] = CONDITIONS.map((c) => c.name);
