// Dates in free text: found in the many ways notes write them, and shifted by a whole number of days keeping their format.
import type { PhiSpan } from "./spans.ts";

const MONTHS = [
  "january",
  "february",
  "march",
  "april",
  "may",
  "june",
  "july",
  "august",
  "september",
  "october",
  "november",
  "december",
] as const;

// Full names, three-letter forms and "Sept"; "May" written in lower case is the verb, so month names need a capital or all caps.
const MONTH_NAME =
  "(?<mn>(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?|JAN(?:UARY)?|FEB(?:RUARY)?|MAR(?:CH)?|APR(?:IL)?|MAY|JUNE?|JULY?|AUG(?:UST)?|SEPT?(?:EMBER)?|OCT(?:OBER)?|NOV(?:EMBER)?|DEC(?:EMBER)?)\\.?)";
const DAY = "(?<d>(?:0?[1-9]|[12]\\d|3[01])(?:st|nd|rd|th)?)";
const WEEKDAY_NAME = "(?<wd>(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)(?:day|sday|nesday|rsday|urday|s|r|rs)?)\\.?,? ";
const WEEKDAY = `(?:${WEEKDAY_NAME})?`;
const YEAR4 = "(?<y>(?:1[89]|20)\\d\\d)";
const YEAR = "(?<y>(?:1[89]|20)\\d\\d|'?\\d\\d)";

/** One way of writing a date; groups: y (year), m (month number), mn (month name), d (day), p/q (ambiguous day and month). */
interface DateFormat {
  readonly pattern: RegExp;
}

// Ordered from most to least specific; overlapping matches are resolved by length later.
const FORMATS: readonly DateFormat[] = [
  // 2023-04-05, 2023/4/5, 2023.04.05
  {
    pattern: new RegExp(
      `\\b${YEAR4}(?<s>[-/.])(?<m>0?[1-9]|1[0-2])\\k<s>(?<d>0?[1-9]|[12]\\d|3[01])\\b`,
      "g",
    ),
  },
  // 20230405
  { pattern: new RegExp(`\\b${YEAR4}(?<m>0[1-9]|1[0-2])(?<d>0[1-9]|[12]\\d|3[01])\\b`, "g") },
  // 04/05/2023, 5.4.23, 04-05-2023: US or European order, decided per match
  {
    pattern: new RegExp(
      `(?<![\\d/.-])(?<p>\\d{1,2})(?<s>[-/.])(?<q>\\d{1,2})\\k<s>${YEAR}(?![\\d/-]|\\.\\d)`,
      "g",
    ),
  },
  // April 5, 2023 · Apr. 5th 2023 · APR-05-2023, with the weekday (it would contradict the shifted date)
  { pattern: new RegExp(`\\b${WEEKDAY}${MONTH_NAME}[ -]?${DAY},?[ -]${YEAR4}\\b`, "g") },
  // 5 April 2023 · 5th of April, 2023 · 05-Apr-2023 · 05APR2023 · 5-Apr-23
  { pattern: new RegExp(`\\b${DAY}(?: of |[ -]?)${MONTH_NAME},?[ -]?${YEAR}\\b`, "g") },
  // April 2023 · Apr '23 (a date element without the day)
  { pattern: new RegExp(`\\b${MONTH_NAME},? (?<y>(?:1[89]|20)\\d\\d|'\\d\\d)\\b`, "g") },
  // April 5th · Apr 5 (no year)
  { pattern: new RegExp(`\\b${MONTH_NAME} ${DAY}\\b(?![:.]\\d)`, "g") },
  // 5th of April · 5 April (no year)
  { pattern: new RegExp(`\\b${DAY}(?: of | )${MONTH_NAME}(?![a-z])`, "g") },
  // Friday 9/12 · Tue, 4/5: the weekday makes it a date and belongs to it
  {
    pattern: new RegExp(`(?<![\\p{L}])${WEEKDAY_NAME}(?<p>\\d{1,2})(?<s>\\/)(?<q>\\d{1,2})(?![\\d/])`, "gu"),
  },
  // 4/5 after a word that introduces a date (otherwise a ratio, a murmur grade or a score)
  {
    pattern:
      /(?<=\b(?:on|since|from|until|till|to|dated|DOS|DOB|seen|admitted|discharged|visit|f\/u|follow-up|due|by|recheck|review|repeat|appointment|appt|next)[: ]+)(?<p>\d{1,2})(?<s>\/)(?<q>\d{1,2})(?![\d/])/gi,
  },
];

/** A date as found: its span and how to write it again. */
interface FoundDate {
  readonly start: number;
  readonly end: number;
  readonly year: number | undefined;
  readonly month: number;
  readonly day: number | undefined;
  /** Group positions inside the match, to rewrite each in place. */
  readonly parts: {
    readonly role: "y" | "m" | "mn" | "d" | "wd";
    readonly start: number;
    readonly end: number;
  }[];
}

function monthOfName(name: string): number {
  const key = name.toLowerCase().replace(/\.$/, "").slice(0, 3);
  return MONTHS.findIndex((m) => m.startsWith(key)) + 1;
}

/** Two-digit years pivot at 30: '29 is 2029, '31 is 1931. */
function fullYear(text: string): number {
  const digits = text.replace("'", "");
  const n = Number(digits);
  return digits.length === 4 ? n : n <= 30 ? 2000 + n : 1900 + n;
}

function daysIn(year: number | undefined, month: number): number {
  return new Date(Date.UTC(year ?? 2000, month, 0)).getUTCDate();
}

function parseMatch(m: RegExpExecArray | RegExpMatchArray): FoundDate | undefined {
  const groups = m.groups ?? {};
  const idx = m.indices?.groups ?? {};
  const start = m.index ?? 0;
  const at = (name: string): { start: number; end: number } | undefined => {
    const pos = idx[name];
    return pos === undefined ? undefined : { start: pos[0] - start, end: pos[1] - start };
  };
  const parts: FoundDate["parts"] = [];
  const add = (role: FoundDate["parts"][number]["role"], group: string): void => {
    const pos = at(group);
    if (pos !== undefined) parts.push({ role, ...pos });
  };
  let month: number;
  let day: number | undefined;
  if (groups["p"] !== undefined && groups["q"] !== undefined) {
    const p = Number(groups["p"]);
    const q = Number(groups["q"]);
    // US order (month first) unless impossible, or the separator is a dot (European style).
    const dayFirst = p > 12 || (q <= 12 && groups["s"] === ".");
    [day, month] = dayFirst ? [p, q] : [q, p];
    add(dayFirst ? "d" : "m", "p");
    add(dayFirst ? "m" : "d", "q");
  } else {
    month = groups["mn"] !== undefined ? monthOfName(groups["mn"]) : Number(groups["m"]);
    day = groups["d"] === undefined ? undefined : parseInt(groups["d"], 10);
    add("mn", "mn");
    add("m", "m");
    add("d", "d");
  }
  const year = groups["y"] === undefined ? undefined : fullYear(groups["y"]);
  add("y", "y");
  add("wd", "wd");
  if (!(month >= 1 && month <= 12)) return undefined;
  if (day !== undefined && !(day >= 1 && day <= daysIn(year, month))) return undefined;
  return { start, end: start + m[0].length, year, month, day, parts };
}

/** Every date in `text` (longest match wins where formats overlap). */
function findDates(text: string): FoundDate[] {
  const found: FoundDate[] = [];
  for (const { pattern } of FORMATS) {
    const re = new RegExp(pattern.source, pattern.flags + "d");
    for (const m of text.matchAll(re)) {
      const date = parseMatch(m);
      if (date !== undefined) found.push(date);
    }
  }
  const kept: FoundDate[] = [];
  for (const d of found.sort((a, b) => b.end - b.start - (a.end - a.start) || a.start - b.start)) {
    if (kept.every((k) => d.end <= k.start || d.start >= k.end)) kept.push(d);
  }
  return kept.sort((a, b) => a.start - b.start);
}

export function detectDates(text: string): PhiSpan[] {
  return findDates(text).map((d) => ({ kind: "date", start: d.start, end: d.end }));
}

function monthName(month: number, like: string): string {
  const full = MONTHS[month - 1] ?? "january";
  const bare = like.replace(/\.$/, "");
  const dot = like.endsWith(".") ? "." : "";
  let name =
    bare.length <= 4 && bare.toLowerCase() !== full ? full.slice(0, bare.length === 4 ? 4 : 3) : full;
  if (bare.length === 4 && name !== "sept") name = full.slice(0, 3);
  if (bare === bare.toUpperCase()) return name.toUpperCase() + dot;
  return name[0]?.toUpperCase() + name.slice(1) + dot;
}

const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/** The weekday of the shifted date, written like the original ("Mon" or "Monday"). */
function weekdayName(day: number, like: string): string {
  const full = WEEKDAYS[day] ?? "Monday";
  return like.length <= 4 ? full.slice(0, 3) : full;
}

function ordinal(n: number): string {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return "th";
  return ["th", "st", "nd", "rd"][n % 10] ?? "th";
}

function number(n: number, like: string): string {
  const digits = like.match(/^\d+/)?.[0] ?? "";
  const padded = digits.length === 2 && digits.startsWith("0") ? String(n).padStart(2, "0") : String(n);
  return /\D$/.test(like) ? `${padded}${ordinal(n)}` : padded;
}

function yearText(year: number, like: string): string {
  if (/^\d{4}$/.test(like)) return String(year);
  const yy = String(year % 100).padStart(2, "0");
  return like.startsWith("'") ? `'${yy}` : yy;
}

/** Writes a date found in `text` again, moved by `offsetDays`, keeping every part's form. */
function shiftOne(text: string, date: FoundDate, offsetDays: number): string {
  const original = text.slice(date.start, date.end);
  // A missing day shifts the middle of the month; a missing year a leap year, so 29 February exists.
  const base = Date.UTC(date.year ?? 2000, date.month - 1, date.day ?? 15);
  const moved = new Date(base + offsetDays * 86_400_000);
  const values = { y: moved.getUTCFullYear(), m: moved.getUTCMonth() + 1, d: moved.getUTCDate() };
  let out = original;
  for (const part of [...date.parts].sort((a, b) => b.start - a.start)) {
    const like = original.slice(part.start, part.end);
    const replacement =
      part.role === "wd"
        ? weekdayName(moved.getUTCDay(), like)
        : part.role === "y"
          ? yearText(values.y, like)
          : part.role === "mn"
            ? monthName(values.m, like)
            : number(part.role === "m" ? values.m : values.d, like);
    out = out.slice(0, part.start) + replacement + out.slice(part.end);
  }
  return out;
}

/**
 * Returns a function that rewrites a date span of `text` (as found by {@link detectDates}) moved by
 * `offsetDays`; undefined for a span that is not one of the dates found.
 */
export function dateShifter(text: string): (span: PhiSpan, offsetDays: number) => string | undefined {
  const byStart = new Map(findDates(text).map((d) => [d.start, d]));
  return (span, offsetDays) => {
    const date = byStart.get(span.start);
    return date === undefined || date.end !== span.end ? undefined : shiftOne(text, date, offsetDays);
  };
}
