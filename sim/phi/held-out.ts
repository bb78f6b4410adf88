// The held-out part of the labelled PHI corpus: its own sentence templates and identifier formats, written before the detector was run on any corpus, and never used to tune it.
import type { Rng } from "../../crypto/rng.ts";
import { seededRng } from "../../crypto/rng.ts";
import type { RngSeed } from "../../crypto/rng.ts";
import { chance, intBetween, pick } from "../clinical/sampling.ts";
import type { NoteStyle } from "../clinical/vignette.ts";
import { NoteBuilder } from "./builder.ts";
import type { LabelledNote } from "./builder.ts";
import { MONTHS, randomDate } from "./identifiers.ts";
import type { CalendarDate } from "./identifiers.ts";
import { addBody, clinicalBody } from "./notes.ts";
import { cityName, fillDigits, personName, stateName } from "./sources.ts";

const LONG = MONTHS;
const SHORT = MONTHS.map((m) => m.slice(0, 3));
const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

const p2 = (n: number): string => String(n).padStart(2, "0");
const th = (n: number): string =>
  `${n}${n % 100 >= 11 && n % 100 <= 13 ? "th" : (["th", "st", "nd", "rd"][n % 10] ?? "th")}`;

// Formats not in the development part's list.
const HELD_OUT_DATES: readonly ((d: CalendarDate) => string)[] = [
  (d) => `${SHORT[d.month - 1] === "Sep" ? "Sept" : SHORT[d.month - 1]}. ${d.day}, ${d.year}`,
  (d) => `${d.day}-${SHORT[d.month - 1]}-${p2(d.year % 100)}`,
  (d) => `${d.year}/${p2(d.month)}/${p2(d.day)}`,
  (d) => `${d.day}.${d.month}.${p2(d.year % 100)}`,
  (d) => `${th(d.day)} of ${LONG[d.month - 1]}`,
  (d) => `${SHORT[d.month - 1]} ${d.year}`,
  (d) => `${p2(d.month)}-${p2(d.day)}-${d.year}`,
  (d) =>
    `${WEEKDAYS[new Date(Date.UTC(d.year, d.month - 1, d.day)).getUTCDay()]}, ${LONG[d.month - 1]} ${d.day}, ${d.year}`,
  (d) => `${LONG[d.month - 1]?.toUpperCase()} ${d.day} ${d.year}`,
  (d) => `${d.day}/${d.month}/${d.year}`,
];

const HELD_OUT_PHONES = [
  "(0##) #### ####",
  "+1 (!##) !##-####",
  "!## !## ####",
  "080# ### ####",
  "+49 (0)30 #######",
  "+33 # ## ## ## ##",
  "1.!##.!##.####",
  "+91-9####-#####",
  "+61 4## ### ###",
  "07### ######",
];

const letters = (rng: Rng, n: number): string =>
  Array.from({ length: n }, () => String.fromCharCode(65 + intBetween(rng, 0, 25))).join("");

function heldOutId(rng: Rng): readonly [string, string] {
  const d = (f: string): string => fillDigits(rng, f);
  return pick(rng, [
    (): readonly [string, string] => ["Hospital No: ", `${letters(rng, 1)}${d("#######")}`],
    (): readonly [string, string] => ["Unit number ", d("#######")],
    (): readonly [string, string] => ["Insurance # ", `${letters(rng, 2)}-${d("####")}-${d("####")}`],
    (): readonly [string, string] => ["Chart #: ", d("00######")],
    (): readonly [string, string] => ["DEA number ", `${letters(rng, 2)}${d("#######")}`],
    (): readonly [string, string] => ["Specimen ID ", `S${d("##")}-${d("######")}`],
    (): readonly [string, string] => ["Case no. ", `${d("20##")}-${d("#######")}`],
    (): readonly [string, string] => ["Accession number ", `RAD${d("#######")}`],
    (): readonly [string, string] => ["Subscriber ID ", `${letters(rng, 3)}${d("########")}`],
    (): readonly [string, string] => ["Implant serial ", `${d("####")}${letters(rng, 2)}${d("####")}`],
  ])();
}

function heldOutStreet(rng: Rng): string {
  const { family } = personName(rng);
  const word = family.split(/\s/)[0] ?? "Kent";
  return pick(rng, [
    () => `Flat ${intBetween(rng, 1, 20)}, ${intBetween(rng, 1, 200)} ${word} Street`,
    () => `${intBetween(rng, 100, 9999)} ${word} Terrace`,
    () => `${intBetween(rng, 100, 2999)} ${word} Avenue NW`,
    () => `${intBetween(rng, 1, 99)} ${word} Close`,
    () => `${intBetween(rng, 10, 999)} North ${word} Boulevard, Suite ${intBetween(rng, 100, 900)}`,
  ])();
}

function heldOutZip(rng: Rng): { before: string; zip: string } {
  return pick(rng, [
    () => ({ before: `, ${stateName(rng)} `, zip: fillDigits(rng, "!####") }),
    () => ({
      before: ", ON ",
      zip: `M${fillDigits(rng, "#")}${letters(rng, 1).replace(/[DFIOQU]/, "A")} ${fillDigits(rng, "#")}${letters(rng, 1).replace(/[DFIOQU]/, "B")}${fillDigits(rng, "#")}`,
    }),
    () => ({
      before: ", postcode ",
      zip: `EH${fillDigits(rng, "#")} ${fillDigits(rng, "#")}${letters(rng, 2).replace(/[CIKMOV]/g, "A")}`,
    }),
    () => ({ before: " ZIP ", zip: `${fillDigits(rng, "!####")}-${fillDigits(rng, "####")}` }),
  ])();
}

function name(rng: Rng): string {
  const { given, family } = personName(rng, 0.05);
  return `${given} ${family}`;
}

function heldOutSentence(b: NoteBuilder, rng: Rng): void {
  switch (intBetween(rng, 0, 11)) {
    case 0:
      b.template(["Seen with her daughter, ", ["name", name(rng)], ". "]);
      break;
    case 1:
      b.template(["Attending physician: ", ["name", name(rng)], ". "]);
      break;
    case 2:
      b.template(["Handed over to Sr. ", ["name", name(rng)], " at 19:00. "]);
      break;
    case 3:
      b.template(["cc: ", ["name", name(rng)], "; ", ["name", name(rng)], ". "]);
      break;
    case 4: {
      const zip = heldOutZip(rng);
      b.template([
        "Home address ",
        ["street", heldOutStreet(rng)],
        ", ",
        ["city", cityName(rng)],
        zip.before,
        ["zip", zip.zip],
        ". ",
      ]);
      break;
    }
    case 5:
      b.template([
        "Please call back on ",
        ["phone", fillDigits(rng, pick(rng, HELD_OUT_PHONES))],
        " after the ",
        ["date", pick(rng, HELD_OUT_DATES)(randomDate(rng))],
        ". ",
      ]);
      break;
    case 6: {
      const [label, value] = heldOutId(rng);
      b.template([label, ["id", value], ". "]);
      break;
    }
    case 7: {
      const { given, family } = personName(rng);
      const ascii = (s: string): string =>
        s
          .normalize("NFD")
          .replace(/[^A-Za-z]/g, "")
          .toLowerCase() || "x";
      b.template([
        "Replies to ",
        ["email", `${ascii(given)}_${ascii(family)}${intBetween(rng, 1, 999)}@${ascii(family)}-family.co.uk`],
        " only. ",
      ]);
      break;
    }
    case 8:
      b.template([
        "Video visit link ",
        [
          "url",
          `https://telehealth.${letters(rng, 5).toLowerCase()}clinic.org/join?id=${fillDigits(rng, "#####")}`,
        ],
        " (client ",
        [
          "ip",
          pick(rng, [
            `10.${intBetween(rng, 0, 255)}.${intBetween(rng, 0, 255)}.${intBetween(rng, 1, 254)}`,
            `fe80:0:0:0:${intBetween(rng, 4096, 65535).toString(16)}:b3ff:fe1e:${intBetween(rng, 4096, 65535).toString(16)}`,
          ]),
        ],
        "). ",
      ]);
      break;
    case 9:
      b.template(["Social security ", ["ssn", fillDigits(rng, "!##-##-####")], " on file. "]);
      break;
    case 10:
      b.template([
        "Moved from ",
        ["city", cityName(rng)],
        " in ",
        ["date", pick(rng, HELD_OUT_DATES)(randomDate(rng))],
        ". ",
      ]);
      break;
    default:
      b.template([
        "Mrs ",
        ["name", personName(rng).family],
        ", aged ",
        ["age", String(intBetween(rng, 90, 103))],
        ", lives alone. ",
      ]);
  }
}

/** One held-out note: its own header and sign-off layouts around a clinical body. */
function heldOutNote(rng: Rng): LabelledNote {
  const b = new NoteBuilder();
  const style = pick(rng, ["narrative", "soap", "triage"] as const satisfies readonly NoteStyle[]);
  const [label, value] = heldOutId(rng);
  b.template([
    "RE: ",
    ["name", name(rng)],
    " — ",
    label,
    ["id", value],
    "\nDate of service: ",
    ["date", pick(rng, HELD_OUT_DATES)(randomDate(rng))],
    "\n",
  ]);
  addBody(b, `${clinicalBody(rng, style)}\n`);
  for (let i = intBetween(rng, 2, 4); i > 0; i--) heldOutSentence(b, rng);
  if (chance(rng, 0.7)) b.template(["\nThanks,\n", ["name", name(rng)]]);
  return b.build();
}

/** `count` held-out notes, deterministic in `seed`. */
export function heldOutCorpus(seed: RngSeed, count: number): LabelledNote[] {
  const rng = seededRng(`phi-corpus/held-out/${String(seed)}`);
  return Array.from({ length: count }, () => heldOutNote(rng));
}
