// Identifier values in many formats, for the synthetic PHI corpus's development part (the held-out part has its own formats).
import type { Rng } from "../../crypto/rng.ts";
import { intBetween, pick } from "../clinical/sampling.ts";
import {
  cityName,
  fillDigits,
  freeEmailDomain,
  personName,
  phoneFormat,
  stateAbbr,
  streetSuffix,
} from "./sources.ts";

export const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

export interface CalendarDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

export function randomDate(rng: Rng, fromYear = 1935, toYear = 2025): CalendarDate {
  const year = intBetween(rng, fromYear, toYear);
  const month = intBetween(rng, 1, 12);
  return { year, month, day: intBetween(rng, 1, new Date(Date.UTC(year, month, 0)).getUTCDate()) };
}

const pad = (n: number): string => String(n).padStart(2, "0");
const ordinal = (n: number): string =>
  `${n}${n % 10 === 1 && n !== 11 ? "st" : n % 10 === 2 && n !== 12 ? "nd" : n % 10 === 3 && n !== 13 ? "rd" : "th"}`;
const monthName = (d: CalendarDate): string => MONTHS[d.month - 1] ?? "January";

/** Thirteen ways a date is written. */
export const DATE_FORMATS: readonly ((d: CalendarDate) => string)[] = [
  (d) => `${pad(d.month)}/${pad(d.day)}/${d.year}`,
  (d) => `${d.month}/${d.day}/${pad(d.year % 100)}`,
  (d) => `${d.year}-${pad(d.month)}-${pad(d.day)}`,
  (d) => `${pad(d.day)}.${pad(d.month)}.${d.year}`,
  (d) => `${monthName(d)} ${d.day}, ${d.year}`,
  (d) => `${d.day} ${monthName(d)} ${d.year}`,
  (d) => `${monthName(d).slice(0, 3)} ${d.day}, ${d.year}`,
  (d) => `${pad(d.day)}-${monthName(d).slice(0, 3)}-${d.year}`,
  (d) => `${pad(d.day)}${monthName(d).slice(0, 3).toUpperCase()}${d.year}`,
  (d) => `${ordinal(d.day)} of ${monthName(d)} ${d.year}`,
  (d) => `${monthName(d)} ${d.year}`,
  (d) => `${monthName(d).slice(0, 3)} ${ordinal(d.day)}`,
  (d) => `${d.year}${pad(d.month)}${pad(d.day)}`,
];

export function dateText(rng: Rng, date: CalendarDate = randomDate(rng)): string {
  return pick(rng, DATE_FORMATS)(date);
}

export function phoneText(rng: Rng): string {
  return fillDigits(rng, phoneFormat(rng));
}

const digits = (rng: Rng, n: number): string => fillDigits(rng, "#".repeat(n));
const letters = (rng: Rng, n: number): string =>
  Array.from({ length: n }, () => String.fromCharCode(65 + intBetween(rng, 0, 25))).join("");

export function ssnText(rng: Rng): string {
  const [a, b, c] = [fillDigits(rng, "!##"), digits(rng, 2), digits(rng, 4)];
  return pick(rng, [`${a}-${b}-${c}`, `${a} ${b} ${c}`]);
}

/** A record, plan, account, licence, vehicle or device number with the label that introduces it. */
export function labelledId(rng: Rng): { label: string; value: string } {
  const options: (() => { label: string; value: string })[] = [
    () => ({ label: "MRN: ", value: digits(rng, intBetween(rng, 7, 9)) }),
    () => ({ label: "MRN ", value: `${letters(rng, 2)}${digits(rng, 7)}` }),
    () => ({ label: "MR# ", value: digits(rng, 8) }),
    () => ({ label: "Medical record number ", value: digits(rng, 10) }),
    () => ({ label: "Acct #", value: digits(rng, 10) }),
    () => ({ label: "Account no. ", value: `${digits(rng, 4)}-${digits(rng, 4)}-${digits(rng, 2)}` }),
    () => ({ label: "Member ID: ", value: `${letters(rng, 3)}${digits(rng, 9)}` }),
    () => ({ label: "Health plan ID ", value: `HP-${digits(rng, 6)}` }),
    () => ({ label: "Policy number ", value: `${letters(rng, 1)}${digits(rng, 8)}` }),
    () => ({ label: "Driver's licence ", value: `${letters(rng, 1)}${digits(rng, 7)}` }),
    () => ({
      label: "VIN ",
      value: `1${letters(rng, 2).replace(/[IOQ]/g, "H")}${letters(rng, 2).replace(/[IOQ]/g, "K")}${digits(rng, 5)}${letters(rng, 1).replace(/[IOQ]/g, "A")}${digits(rng, 6)}`,
    }),
    () => ({ label: "pacemaker serial number ", value: `${letters(rng, 3)}${digits(rng, 6)}` }),
    () => ({ label: "Device S/N ", value: `SN-${digits(rng, 5)}-${digits(rng, 2)}${letters(rng, 1)}` }),
    () => ({ label: "Encounter ID ", value: digits(rng, 9) }),
    () => ({ label: "NHS number ", value: `${digits(rng, 3)} ${digits(rng, 3)} ${digits(rng, 4)}` }),
  ];
  return pick(rng, options)();
}

export function emailText(rng: Rng, given: string, family: string): string {
  const ascii = (s: string): string =>
    s
      .normalize("NFD")
      .replace(/[^A-Za-z]/g, "")
      .toLowerCase() || "pat";
  const local = pick(rng, [
    `${ascii(given)}.${ascii(family)}`,
    `${ascii(given).slice(0, 1)}${ascii(family)}${intBetween(rng, 1, 99)}`,
    `${ascii(family)}_${ascii(given)}`,
  ]);
  return `${local}@${freeEmailDomain(rng)}`;
}

export function urlText(rng: Rng): string {
  const host = pick(rng, ["mychart", "portal", "patients", "records"]);
  return pick(rng, [
    `https://${host}.${letters(rng, 6).toLowerCase()}health.org/patient/${digits(rng, 6)}`,
    `http://www.${letters(rng, 7).toLowerCase()}.com/u/${letters(rng, 5).toLowerCase()}`,
    `www.${letters(rng, 5).toLowerCase()}clinic.net`,
  ]);
}

export function ipText(rng: Rng): string {
  if (rng.nextFloat64() < 0.8)
    return [
      intBetween(rng, 1, 223),
      intBetween(rng, 0, 255),
      intBetween(rng, 0, 255),
      intBetween(rng, 1, 254),
    ].join(".");
  const group = (): string => intBetween(rng, 0, 65535).toString(16);
  return `2001:db8:${group()}:${group()}::${group()}`;
}

/** A street line, a town, a state and a ZIP code, labelled separately. */
export function address(rng: Rng): { street: string; city: string; state: string; zip: string } {
  const { family } = personName(rng);
  const unit = rng.nextFloat64() < 0.3 ? `, Apt ${intBetween(rng, 1, 40)}${letters(rng, 1)}` : "";
  const zip =
    rng.nextFloat64() < 0.8 ? fillDigits(rng, "!####") : `${fillDigits(rng, "!####")}-${digits(rng, 4)}`;
  return {
    street: `${intBetween(rng, 1, 9999)} ${family.replace(/\s.*/, "")} ${streetSuffix(rng)}${unit}`,
    city: cityName(rng),
    state: stateAbbr(rng),
    zip,
  };
}

export function ageOver89(rng: Rng): string {
  return String(intBetween(rng, 90, 104));
}
