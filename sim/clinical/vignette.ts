// Patient vignettes drawn from the conditions table, and their rendering as clinical notes in several house styles.
import type { Rng } from "../../crypto/rng.ts";
import { ABBREVIATIONS, ADULT_VITALS, CHILD_VITALS, LABS } from "./catalogue.ts";
import type { LabName, Range, VitalName } from "./catalogue.ts";
import type { Condition, Onset } from "./conditions.ts";
import { chance, intBetween, pick, sample, shuffled, uniform } from "./sampling.ts";

export type Sex = "male" | "female";

/** How a hospital writes its notes. */
export type NoteStyle = "narrative" | "soap" | "triage";

export const NOTE_STYLES: readonly NoteStyle[] = ["narrative", "soap", "triage"];

export interface LabResult {
  readonly lab: LabName;
  readonly value: number;
}

/** One synthetic patient: everything a note may say, and the true diagnosis. */
export interface Vignette {
  readonly conditionId: string;
  /** In years; fractional below 2 (infants are described in months). */
  readonly ageYears: number;
  readonly sex: Sex;
  readonly duration: string;
  readonly symptoms: readonly string[];
  readonly history: readonly string[];
  readonly exam: readonly string[];
  /** The observations the note records (not every note records every vital sign). */
  readonly vitals: Readonly<Partial<Record<VitalName, number>>>;
  readonly labs: readonly LabResult[];
  readonly investigations: readonly string[];
}

const LAB_NAMES = Object.keys(LABS) as LabName[];
const VITAL_NAMES: readonly VitalName[] = ["hr", "sbp", "dbp", "rr", "temp", "spo2"];
const CHILD_MAX_AGE_YEARS = 12;

/** How much symptom duration varies per onset class: [unit, low, high]. */
const DURATIONS: Readonly<Record<Onset, readonly (readonly [string, number, number])[]>> = {
  hours: [
    ["hour", 1, 12],
    ["hour", 2, 6],
  ],
  days: [["day", 1, 6]],
  weeks: [["week", 1, 5]],
  months: [["month", 2, 8]],
};

function roundTo(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

function sampleRange(rng: Rng, range: Range, decimals: number): number {
  return roundTo(uniform(rng, range[0], range[1]), decimals);
}

/** Draws one patient with `condition`; every choice comes from `rng`, so equal streams give equal patients. */
export function generateVignette(rng: Rng, condition: Condition): Vignette {
  const [minAge, maxAge] = condition.age;
  const ageYears = minAge < 2 ? roundTo(uniform(rng, minAge, maxAge), 2) : intBetween(rng, minAge, maxAge);
  const sex: Sex = chance(rng, condition.maleFraction) ? "male" : "female";
  const [unit, lo, hi] = pick(rng, DURATIONS[condition.onset]);
  const n = intBetween(rng, lo, hi);
  const duration = `${n} ${unit}${n === 1 ? "" : "s"}`;

  const [first, second, ...rest] = condition.symptoms;
  const extra = rest.filter(() => chance(rng, 0.4)).slice(0, 1);
  const symptoms = [first, second, ...extra].filter((s): s is string => s !== undefined);

  // Notes record the vital signs that matter (the condition's abnormal ones) and one routine
  // observation; a full set of digits would double a note's length for no signal.
  const normal = ageYears < CHILD_MAX_AGE_YEARS ? CHILD_VITALS : ADULT_VITALS;
  const recorded = new Set<VitalName>(Object.keys(condition.vitals) as VitalName[]);
  recorded.add(pick(rng, VITAL_NAMES));
  if (recorded.has("sbp") || recorded.has("dbp")) {
    recorded.add("sbp");
    recorded.add("dbp");
  }
  const vitals: Partial<Record<VitalName, number>> = {};
  for (const v of VITAL_NAMES) {
    if (recorded.has(v)) vitals[v] = sampleRange(rng, condition.vitals[v] ?? normal[v], v === "temp" ? 1 : 0);
  }
  if (vitals.sbp !== undefined && vitals.dbp !== undefined && vitals.dbp >= vitals.sbp - 20) {
    vitals.dbp = vitals.sbp - 25;
  }

  const abnormal = (Object.keys(condition.labs) as LabName[]).filter(() => chance(rng, 0.8)).slice(0, 3);
  const fillers = sample(
    rng,
    LAB_NAMES.filter(
      (l) => condition.labs[l] === undefined && l !== "blasts" && l !== "csfWbc" && l !== "hcg",
    ),
    intBetween(rng, 0, 1),
  );
  const labs = shuffled(rng, [...abnormal, ...fillers]).map((lab) => ({
    lab,
    value: sampleRange(rng, condition.labs[lab] ?? LABS[lab].normal, LABS[lab].decimals),
  }));

  return {
    conditionId: condition.id,
    ageYears,
    sex,
    duration,
    symptoms,
    history: chance(rng, 0.6) ? [pick(rng, condition.history)] : [],
    exam: [pick(rng, condition.exam)],
    vitals,
    labs,
    investigations: chance(rng, 0.5) ? [pick(rng, condition.investigations)] : [],
  };
}

/** Options for {@link renderNote}: the share of known phrases written as abbreviations (0–1). */
export interface RenderOptions {
  readonly abbreviationRate: number;
}

function joinList(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1] ?? ""}`;
}

function ageText(ageYears: number, compact: boolean): string {
  if (ageYears < 2) {
    const months = Math.max(1, Math.round(ageYears * 12));
    return compact ? `${months}mo` : `${months}-month-old`;
  }
  return compact ? `${Math.floor(ageYears)}` : `${Math.floor(ageYears)}-year-old`;
}

function personNoun(v: Vignette): string {
  if (v.ageYears < 16) return v.sex === "male" ? "boy" : "girl";
  return v.sex === "male" ? "man" : "woman";
}

/** The result with a flag when it lies outside the normal range: "(high)"/"(low)", or "H"/"L" when terse. */
function labText(result: LabResult, terse: boolean): string {
  const test = LABS[result.lab];
  const [lo, hi] = test.normal;
  const value = result.value.toFixed(test.decimals);
  const flag =
    result.value > hi ? (terse ? " H" : " (high)") : result.value < lo ? (terse ? " L" : " (low)") : "";
  if (terse) return `${test.abbr} ${value}${flag}`;
  return `${test.name} ${value}${test.unit === "" ? "" : ` ${test.unit}`}${flag}`;
}

/**
 * Replaces known phrases by their abbreviation, each phrase independently with probability
 * `rate`, matching whole words so that "with" never touches "without".
 */
export function abbreviate(rng: Rng, text: string, rate: number): string {
  let out = text;
  for (const [phrase, abbr] of ABBREVIATIONS) {
    if (!chance(rng, rate)) continue;
    const escaped = phrase.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    out = out.replace(new RegExp(`\\b${escaped}\\b`, "gi"), abbr);
  }
  return out;
}

/** The recorded vital signs, in a fixed order: "long" names them in words, "short" as HR/BP, "tight" without spaces. */
function vitalsText(v: Vignette, form: "long" | "short" | "tight"): string[] {
  const t = v.vitals;
  const names = {
    long: {
      hr: "heart rate ",
      bp: "blood pressure ",
      rr: "respiratory rate ",
      temp: "temperature ",
      spo2: "oxygen saturation ",
    },
    short: { hr: "HR ", bp: "BP ", rr: "RR ", temp: "T ", spo2: "SpO2 " },
    tight: { hr: "HR", bp: "BP", rr: "RR", temp: "T", spo2: "SpO2 " },
  }[form];
  const out: string[] = [];
  if (t.hr !== undefined) out.push(`${names.hr}${t.hr}`);
  if (t.sbp !== undefined && t.dbp !== undefined) out.push(`${names.bp}${t.sbp}/${t.dbp}`);
  if (t.rr !== undefined) out.push(`${names.rr}${t.rr}`);
  if (t.temp !== undefined) out.push(`${names.temp}${t.temp.toFixed(1)}${form === "long" ? " C" : ""}`);
  if (t.spo2 !== undefined) out.push(`${names.spo2}${t.spo2}%`);
  return out;
}

function narrative(v: Vignette): string {
  const pronoun = v.sex === "male" ? "He" : "She";
  const verb = v.ageYears < 12 ? "is brought in with" : "presents with";
  const age = ageText(v.ageYears, false);
  // "an 8-year-old", "an 11-month-old", "an 18-year-old": the article follows the spoken number.
  const article = /^(8\d?|11|18)\b/.test(age) ? "An" : "A";
  const parts = [`${article} ${age} ${personNoun(v)} ${verb} ${joinList(v.symptoms)} for ${v.duration}.`];
  if (v.history.length > 0) parts.push(`${pronoun} has a history of ${joinList(v.history)}.`);
  parts.push(`On examination: ${joinList(v.exam)}.`);
  const vitals = vitalsText(v, "long").join(", ");
  parts.push(`${vitals[0]?.toUpperCase() ?? ""}${vitals.slice(1)}.`);
  if (v.labs.length > 0) parts.push(`Bloods: ${v.labs.map((l) => labText(l, false)).join(", ")}.`);
  for (const inv of v.investigations) parts.push(`${inv[0]?.toUpperCase() ?? ""}${inv.slice(1)}.`);
  return parts.join(" ");
}

function soap(v: Vignette): string {
  const lines = [
    `S: ${ageText(v.ageYears, false)} ${personNoun(v)}, complains of ${v.symptoms.join(", ")} for ${v.duration}.` +
      (v.history.length > 0 ? ` PMH: ${v.history.join(", ")}.` : ""),
    `O: ${vitalsText(v, "short").join(", ")}. ${v.exam.join(", ")}.` +
      (v.labs.length > 0 ? ` Labs: ${v.labs.map((l) => labText(l, true)).join(", ")}.` : "") +
      v.investigations.map((i) => ` ${i}.`).join(""),
  ];
  return lines.join("\n");
}

function triage(v: Vignette): string {
  const sex = v.sex === "male" ? "M" : "F";
  const unit = v.duration.split(" ");
  const parts = [
    `${ageText(v.ageYears, true)}${sex}. ${v.symptoms.join(", ")} x${unit[0] ?? ""}${(unit[1] ?? "").slice(0, 1)}.`,
    v.history.length > 0 ? `PMH ${v.history.join(", ")}.` : "",
    `${vitalsText(v, "tight").join(" ")}.`,
    `${v.exam.join(", ")}.`,
    v.labs.map((l) => labText(l, true)).join(", ") + (v.labs.length > 0 ? "." : ""),
    ...v.investigations.map((i) => `${i}.`),
  ];
  return parts.filter((p) => p !== "").join(" ");
}

/** Writes the vignette as a note in `style`, then abbreviates as the hospital does. */
export function renderNote(rng: Rng, v: Vignette, style: NoteStyle, options: RenderOptions): string {
  let text: string;
  switch (style) {
    case "narrative":
      text = narrative(v);
      break;
    case "soap":
      text = soap(v);
      break;
    case "triage":
      text = triage(v);
      break;
  }
  return abbreviate(rng, text, options.abbreviationRate);
}
