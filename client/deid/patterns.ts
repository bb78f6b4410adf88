// Detectors for the structured identifiers: e-mail, URL, IP, SSN, phone and fax, record numbers, ZIP codes, streets, cities, ages over 89.
import { matchSpans, type PhiSpan } from "./spans.ts";

// RFC 5322's dot-atom local part, simplified; the domain needs a dot and a 2+ letter top-level label.
const EMAIL = /\b[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b/g;

const TLDS =
  "com|org|net|edu|gov|mil|int|info|io|health|care|uk|de|fr|es|it|nl|ca|au|in|ng|za|ch|se|no|dk|eu|us|co|me|app";
// A URL with a scheme or "www.", or a bare host with a known top-level domain followed by a path.
const URL = new RegExp(
  `\\b(?:(?:https?|ftp)://|www\\.)[^\\s<>"'()\\[\\]]+|\\b[a-z0-9-]+(?:\\.[a-z0-9-]+)*\\.(?:${TLDS})/[^\\s<>"'()\\[\\]]*`,
  "gi",
);

const OCTET = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const IPV4 = new RegExp(`(?<![\\d.])${OCTET}(?:\\.${OCTET}){3}(?![\\d]|\\.\\d)`, "g");
// RFC 4291 §2.2 text forms: eight groups, or fewer with "::"; a group of letters keeps times (10:30:00) out.
const IPV6 =
  /(?<![\w:])(?=[\w:]*[a-f])(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}(?![\w:])|(?<![\w:])(?:[0-9a-f]{1,4}:){1,6}:(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){0,5})?(?![\w:])|(?<![\w:])::(?:[0-9a-f]{1,4}:){0,5}[0-9a-f]{1,4}(?![\w:])/gi;

// Dashed or spaced 3-2-4 digits; bare nine digits only after "SSN" or "social security".
const SSN = /(?<![\w-])\d{3}([- ])\d{2}\1\d{4}(?![\w-])/g;
const SSN_CONTEXT = /\b(?:SSN|SS#|social security(?: number| no\.?)?)\s*[:#]?\s*(\d{9})\b/gi;

// Phone and fax: a digit string of 7–15 digits with the usual separators, taken when it has the
// shape of a phone number (+country code, (area), or 3-3-4) or follows a word that announces one.
const PHONE_CANDIDATE =
  /(?<![\w+./-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,5}\)[ .-]?)?\d{1,10}(?:[ .-]\d{1,10}){0,5}(?:\s?(?:x|ext\.?)\s?\d{1,5})?(?![\w/-]|\.\d)/g;
const PHONE_CONTEXT =
  /\b(?:tel|telephone|phone|ph|fax|mobile|mob|cell|cellphone|pager|bleep|call(?:ed)?|contact|number|no|on|at|#)\.?\s*[:#]?\s*$/i;

function phoneSpans(text: string): PhiSpan[] {
  const out: PhiSpan[] = [];
  for (const m of text.matchAll(PHONE_CANDIDATE)) {
    const raw = m[0];
    const digits = raw.replace(/\D/g, "").length;
    if (digits < 7 || digits > 15) continue;
    const start = m.index;
    const hasShape =
      raw.startsWith("+") ||
      /^\(\d+\)/.test(raw) ||
      /^\d{3}[ .-]\d{3}[ .-]\d{4}/.test(raw) ||
      /^0\d{1,5}[ .-]\d{3,8}/.test(raw);
    const before = text.slice(Math.max(0, start - 24), start);
    if (hasShape || PHONE_CONTEXT.test(before)) out.push({ kind: "phone", start, end: start + raw.length });
  }
  return out;
}

// Labels that introduce a record, plan, account, licence, vehicle, device or other identifying number.
const ID_LABEL =
  "MRN|MR#|MR\\s?No\\.?|Med(?:ical)?\\.?\\s?Rec(?:ord)?\\.?(?:\\s?(?:No\\.?|Number|#))?|(?:medical |hospital |patient |unit )?record(?: number| no\\.?| #)?|chart(?: number| no\\.?| #)?|hospital number|NHS(?: number| no\\.?)?|patient ID|pt ID|acct|account(?: number| no\\.?| #)?|member(?: ID| number| no\\.?)?|(?:health )?plan(?: ID| number| no\\.?)?|policy(?: number| no\\.?| #)?|insurance(?: ID| number| no\\.?)?|subscriber(?: ID)?|group(?: number| no\\.?)|beneficiary(?: number| ID)?|(?:driver'?s )?licen[cs]e(?: number| no\\.?| #)?|DL(?: #| no\\.?)?|DEA(?: number| #)?|NPI|certificate(?: number| no\\.?)?|VIN|plate(?: number)?|licen[cs]e plate|serial(?: number| no\\.?| #)?|S\\/N|SN|device(?: ID| serial)?|implant(?: ID| serial)?|lot(?: number| no\\.?)?|encounter(?: ID| number| no\\.?)?|visit(?: ID| number| no\\.?)|FIN|CSN|case(?: number| no\\.?| #)|accession(?: number| no\\.?| #)?|specimen(?: ID| number)?|passport(?: number| no\\.?)?|ID(?: number| no\\.?)?";
const ID_AFTER_LABEL = new RegExp(
  `\\b(?:${ID_LABEL})\\s*(?:is\\s*)?[:#=]?\\s*(?:#\\s*)?([A-Z0-9][A-Z0-9./-]*\\d[A-Z0-9./-]*[A-Z0-9]|\\d{3,})\\b`,
  "gi",
);
// A code of letters and digits with at least five digits (MRN00123456, HP-778812-B), or six digits or more alone.
const ID_SHAPE = /(?<![\w.-])(?:[A-Z]{1,5}[-]?)?\d(?:[-]?\d){4,}(?:[-]?[A-Z]{1,3}\d*)?(?![\w]|[.,]\d)/g;
// ISO 3779 vehicle identification number: 17 characters, no I, O or Q, letters and digits both present.
const VIN = /\b(?=[A-HJ-NPR-Z0-9]*\d)(?=[A-HJ-NPR-Z0-9]*[A-HJ-NPR-Z])[A-HJ-NPR-Z0-9]{17}\b/g;

function idShapeSpans(text: string): PhiSpan[] {
  // Five digits alone are usually a ZIP code or a count (found by their own rules); take six or more.
  return matchSpans(text, ID_SHAPE, "id").filter(
    (s) =>
      text.slice(s.start, s.end).replace(/\D/g, "").length >= 6 || /[A-Z]/.test(text.slice(s.start, s.end)),
  );
}

const STATES =
  "AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|PR";
const STATE_NAMES =
  "Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia|Hawaii|Idaho|Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|Michigan|Minnesota|Mississippi|Missouri|Montana|Nebraska|Nevada|New Hampshire|New Jersey|New Mexico|New York|North Carolina|North Dakota|Ohio|Oklahoma|Oregon|Pennsylvania|Rhode Island|South Carolina|South Dakota|Tennessee|Texas|Utah|Vermont|Virginia|Washington|West Virginia|Wisconsin|Wyoming";
// US ZIP (after a state, or labelled), UK postcode, Canadian postal code.
const ZIP_AFTER_STATE = new RegExp(`\\b(?:${STATES}|${STATE_NAMES}),?\\s+(\\d{5}(?:-\\d{4})?)\\b`, "g");
const ZIP_LABELLED =
  /\b(?:zip(?: code)?|postcode|postal code|post code|PLZ)\s*[:#]?\s*([A-Z0-9][A-Z0-9 -]{2,8}[A-Z0-9])\b/gi;
const UK_POSTCODE = /\b[A-Z]{1,2}\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2}\b/g;
const CA_POSTCODE = /\b[ABCEGHJ-NPRSTVXY]\d[A-Z] ?\d[A-Z]\d\b/g;
// Four or five digits before a capitalised town: European postcode order (10115 Berlin, 75008 Paris).
const EU_POSTCODE = /\b(\d{4,5}) (?=\p{Lu}\p{Ll}+)/gu;

const CAP_WORD = "\\p{Lu}[\\p{Ll}'’-]+\\.?";
const TOWN_WORD = "\\p{Lu}[\\p{Ll}'’-]+";
const STREET_TYPES =
  "Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Drive|Dr|Boulevard|Blvd|Court|Ct|Way|Place|Pl|Terrace|Terr|Circle|Cir|Highway|Hwy|Parkway|Pkwy|Square|Sq|Trail|Trl|Close|Crescent|Cres|Row|Grove|Gardens|Mews|Walk|Hill|Park|Alley|Loop|Pike|Plaza|Run|Path|Concourse|Esplanade|Quay|Wharf|Rise|View|Heights|Green|Vale|Broadway";
// House number, one to four capitalised words, a street type; then an optional unit.
const STREET = new RegExp(
  `\\b(?:(?:Flat|Apt|Apartment|Unit|Suite) \\w{1,5},? )?\\d{1,6}[A-Za-z]?,? (?:(?:N|S|E|W|NE|NW|SE|SW|North|South|East|West)\\.? )?(?:${CAP_WORD} ){0,3}${CAP_WORD} (?:${STREET_TYPES})\\b\\.?(?: (?:NW|NE|SW|SE|N|S|E|W)\\b)?(?:,? (?:Apt|Apartment|Suite|Ste|Unit|Flat|Fl|Floor|Rm|Room|#)\\.? ?#?[A-Za-z0-9-]+)?`,
  "gu",
);
// Continental order: Hauptstraße 12, Rue de la Paix 4 is rarer; the German compound suffixes cover most.
const STREET_SUFFIXED =
  /\b\p{Lu}\p{Ll}+(?:straße|strasse|str\.|weg|gasse|platz|allee|laan|straat|gracht|vej|gatan|vägen)\s\d{1,4}[a-z]?\b/gu;
const PO_BOX = /\bP\.? ?O\.? Box \d{1,6}\b/gi;

// A town: capitalised words before ", ST" or ", State"; or after "lives in", "resident of" and the like.
const CITY_BEFORE_STATE = new RegExp(
  `(?<![\\p{L}])((?:${TOWN_WORD} ){0,2}${TOWN_WORD}), (?:${STATES})\\b(?=,? \\d{5}|[.,;)]|\\s*$|\\s)`,
  "gmu",
);
// A town right before a UK or Canadian postcode: "Didsbury, M20 6RT", "Leeds LS8 2QF".
const CITY_BEFORE_POSTCODE = new RegExp(
  `(?<![\\p{L}])((?:${TOWN_WORD} ){0,2}${TOWN_WORD}),? (?=[A-Z]{1,2}\\d[A-Z\\d]? ?\\d[A-Z]{2}\\b|[A-Z]\\d[A-Z] ?\\d[A-Z]\\d\\b)`,
  "gu",
);
const CITY_AFTER_PHRASE = new RegExp(
  `\\b(?:lives in|living in|resides in|resided in|residing in|resident of|moved (?:here )?from|moved to|home in|relocated from|relocated to|visiting from|transferred from)\\s+((?:${TOWN_WORD}[ -]){0,2}${TOWN_WORD})`,
  "gu",
);

// Ages over 89 (Safe Harbor groups them as 90 or older): "92-year-old", "aged 95", "94 yo", "age: 101", "91F".
const AGE_OVER_89 =
  /\b(?:(?:aged?|age:)\s*)?(9\d|1[01]\d)(?=[- ]?(?:years?|yrs?|y\.?o\.?|yo|-year-old|year-old)\b|[MF]\b)|\b(?:aged?|age:)\s*(9\d|1[01]\d)\b/gi;

// An age over 89 written bare beside a name: "Grace Lee, 91, awaiting…", "Ann Lee (96) bedbound".
const AGE_BESIDE_NAME = /(?<=\p{Ll}(?:, | \())(9\d|1[01]\d)(?=[),])/gu;

/** Every structured identifier in `text`. Spans may overlap each other and names; the caller resolves overlaps. */
export function detectStructured(text: string): PhiSpan[] {
  return [
    ...matchSpans(text, EMAIL, "email"),
    ...matchSpans(text, URL, "url").map((s) => trimTrailing(text, s)),
    ...matchSpans(text, IPV4, "ip"),
    ...matchSpans(text, IPV6, "ip"),
    ...matchSpans(text, SSN, "ssn"),
    ...matchSpans(text, SSN_CONTEXT, "ssn", 1),
    ...phoneSpans(text),
    ...matchSpans(text, ID_AFTER_LABEL, "id", 1),
    ...idShapeSpans(text),
    ...matchSpans(text, VIN, "id"),
    ...matchSpans(text, ZIP_AFTER_STATE, "zip", 1),
    ...matchSpans(text, ZIP_LABELLED, "zip", 1),
    ...matchSpans(text, UK_POSTCODE, "zip"),
    ...matchSpans(text, CA_POSTCODE, "zip"),
    ...matchSpans(text, EU_POSTCODE, "zip", 1),
    ...matchSpans(text, STREET, "street"),
    ...matchSpans(text, STREET_SUFFIXED, "street"),
    ...matchSpans(text, PO_BOX, "street"),
    ...matchSpans(text, CITY_BEFORE_STATE, "city", 1),
    ...matchSpans(text, CITY_BEFORE_POSTCODE, "city", 1),
    ...matchSpans(text, CITY_AFTER_PHRASE, "city", 1),
    ...matchSpans(text, AGE_BESIDE_NAME, "age", 1),
    ...matchSpans(text, AGE_OVER_89, "age", 1),
    ...matchSpans(text, AGE_OVER_89, "age", 2),
  ];
}

/** A URL does not end in the sentence's punctuation. */
function trimTrailing(text: string, span: PhiSpan): PhiSpan {
  let end = span.end;
  while (end > span.start && /[.,;:!?]/.test(text[end - 1] ?? "")) end--;
  return { ...span, end };
}

/**
 * Shapes that must not survive scrubbing when de-identification is `required`: deliberately broader
 * than the detectors (any nine digits with any single separators, any run of seven or more digits
 * with an optional letter prefix), so that a format the detectors do not know is refused, not trained on.
 */
export const HIGH_RISK = [
  { name: "SSN-shaped", pattern: /(?<![\w])\d{3}[^\w\s]?\d{2}[^\w\s]?\d{4}(?![\w])/g },
  { name: "MRN-shaped", pattern: /(?<![\w])[A-Za-z]{0,4}[-#:]?\d{7,}(?![\w])/g },
] as const;
