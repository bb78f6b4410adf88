// Name, place and phone-format sources for the synthetic PHI corpus: faker's locale tables, read directly and sampled with the project's Rng.
import { allLocales } from "@faker-js/faker";
import type { LocaleDefinition } from "@faker-js/faker";
import type { Rng } from "../../crypto/rng.ts";
import { pick } from "../clinical/sampling.ts";

/**
 * Locales whose names the corpus draws, for names of many origins. Faker's tables are a different
 * source from the detector's list (cspell's people-names), so the benchmark does not reward the
 * detector for knowing the generator's names. Latin-script locales only, plus three others whose
 * names appear in their own script (the detector's script rule meets them).
 */
const LATIN_LOCALES = [
  "en_US",
  "en_GB",
  "en_IN",
  "en_NG",
  "en_GH",
  "yo_NG",
  "zu_ZA",
  "af_ZA",
  "de",
  "fr",
  "es",
  "es_MX",
  "it",
  "pl",
  "nl",
  "sv",
  "tr",
  "vi",
  "pt_BR",
  "cs_CZ",
  "hr",
  "hu",
  "ro",
  "fi",
  "id_ID",
] as const;
const OTHER_SCRIPT_LOCALES = ["zh_CN", "ru", "ar"] as const;

function locale(name: string): LocaleDefinition | undefined {
  return (allLocales as Record<string, LocaleDefinition | undefined>)[name];
}

/** Every list in a faker name table ({generic, female, male} or a plain list), flattened. */
function flatten(table: unknown): string[] {
  if (Array.isArray(table)) return table.filter((x): x is string => typeof x === "string");
  if (table !== null && typeof table === "object") return Object.values(table).flatMap(flatten);
  return [];
}

interface NamePool {
  readonly given: readonly string[];
  readonly family: readonly string[];
}

let pools: { latin: NamePool[]; other: NamePool[] } | undefined;

function namePools(): { latin: NamePool[]; other: NamePool[] } {
  const build = (names: readonly string[]): NamePool[] =>
    names
      .map((n) => locale(n)?.person)
      .filter((p) => p !== undefined)
      .map((p) => ({ given: flatten(p.first_name), family: flatten(p.last_name) }))
      .filter((p) => p.given.length > 0 && p.family.length > 0);
  pools ??= { latin: build(LATIN_LOCALES), other: build(OTHER_SCRIPT_LOCALES) };
  return pools;
}

/** A given name and a family name from one locale; `otherScriptRate` of them in a non-Latin script. */
export function personName(rng: Rng, otherScriptRate = 0): { given: string; family: string } {
  const { latin, other } = namePools();
  const pool = rng.nextFloat64() < otherScriptRate ? pick(rng, other) : pick(rng, latin);
  return { given: pick(rng, pool.given), family: pick(rng, pool.family) };
}

const en = (): LocaleDefinition["location"] => locale("en_US")?.location ?? locale("en")?.location;

export function cityName(rng: Rng): string {
  return pick(rng, flatten(en()?.city_name ?? ["Springfield"]));
}

export function stateAbbr(rng: Rng): string {
  return pick(rng, flatten(en()?.state_abbr ?? ["IL"]));
}

export function stateName(rng: Rng): string {
  return pick(rng, flatten(en()?.state ?? ["Illinois"]));
}

export function streetSuffix(rng: Rng): string {
  return pick(rng, flatten(en()?.street_suffix ?? ["Street"]));
}

export function freeEmailDomain(rng: Rng): string {
  return pick(rng, flatten(locale("en")?.internet?.free_email ?? ["example.com"]));
}

/** A phone format of some locale: "#" any digit, "!" 2–9 (faker's notation). */
export function phoneFormat(rng: Rng): string {
  const names = [
    "en_US",
    "en_GB",
    "de",
    "fr",
    "en_IN",
    "en_NG",
    "en_AU",
    "nl",
    "es",
    "it",
    "pt_BR",
    "sv",
    "pl",
    "en_ZA",
  ];
  const formats = flatten(locale(pick(rng, names))?.phone_number?.format);
  return formats.length === 0 ? "(!##) !##-####" : pick(rng, formats);
}

/** Fills "#" with digits and "!" with 2–9. */
export function fillDigits(rng: Rng, format: string): string {
  return format.replace(/[#!]/g, (ch) =>
    String(ch === "!" ? 2 + Math.floor(rng.nextFloat64() * 8) : Math.floor(rng.nextFloat64() * 10)),
  );
}
