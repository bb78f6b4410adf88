// Notes carrying PHI in the simulation's styles (narrative, SOAP, triage, discharge summary), with every identifier's span: the development part of the labelled corpus.
import type { Rng } from "../../crypto/rng.ts";
import { seededRng } from "../../crypto/rng.ts";
import type { RngSeed } from "../../crypto/rng.ts";
import { CONDITIONS } from "../clinical/conditions.ts";
import { chance, intBetween, pick, uniform } from "../clinical/sampling.ts";
import { generateVignette, renderNote } from "../clinical/vignette.ts";
import type { NoteStyle } from "../clinical/vignette.ts";
import { NoteBuilder } from "./builder.ts";
import type { LabelledNote } from "./builder.ts";
import {
  address,
  ageOver89,
  dateText,
  emailText,
  ipText,
  labelledId,
  phoneText,
  randomDate,
  ssnText,
  urlText,
} from "./identifiers.ts";
import { personName } from "./sources.ts";

export type PhiNoteStyle = NoteStyle | "discharge";
export const PHI_NOTE_STYLES: readonly PhiNoteStyle[] = ["narrative", "soap", "triage", "discharge"];

const TITLES = ["Dr.", "Dr", "Mr.", "Mrs.", "Ms.", "Prof."];
const RELATIONS = ["wife", "husband", "daughter", "son", "mother", "partner", "neighbour", "carer"];
const CREDENTIALS = ["MD", "RN", "NP", "MBBS", "PA-C"];

/** A clinical body in `style` from the simulation's vignettes (no identifiers in it). */
export function clinicalBody(rng: Rng, style: NoteStyle): string {
  return renderNote(rng, generateVignette(rng, pick(rng, CONDITIONS)), style, {
    abbreviationRate: uniform(rng, 0, 0.8),
  });
}

/**
 * Adds a clinical body, labelling the ages over 89 that the vignette renderer wrote into it
 * (sim/clinical/vignette.ts ageText: "92-year-old" or, in triage notes, "92F.").
 */
export function addBody(b: NoteBuilder, body: string): void {
  let at = 0;
  for (const m of body.matchAll(/\b(?:9\d|1[01]\d)(?=-year-old|[MF]\. )/g)) {
    b.plain(body.slice(at, m.index)).phi("age", m[0]);
    at = m.index + m[0].length;
  }
  b.plain(body.slice(at));
}

function fullName(rng: Rng): string {
  const { given, family } = personName(rng, 0.05);
  return `${given} ${family}`;
}

/** The header: patient name, a record number, a date of birth or an age, in one of several layouts. */
function header(b: NoteBuilder, rng: Rng): void {
  const { given, family } = personName(rng, 0.05);
  const id = labelledId(rng);
  switch (intBetween(rng, 0, 3)) {
    case 0:
      b.template([
        "Patient: ",
        ["name", `${given} ${family}`],
        `  ${id.label}`,
        ["id", id.value],
        "  DOB: ",
        ["date", dateText(rng, randomDate(rng, 1930, 2020))],
        "\n",
      ]);
      break;
    case 1:
      b.template([
        "Name: ",
        ["name", `${family.toUpperCase()}, ${given}`],
        `\t${id.label}`,
        ["id", id.value],
        "\n",
      ]);
      break;
    case 2:
      b.template([
        "Pt ",
        ["name", `${given} ${family}`],
        ", ",
        ["age", ageOver89(rng)],
        "-year-old, ",
        id.label,
        ["id", id.value],
        "\n",
      ]);
      break;
    default:
      b.template([id.label, ["id", id.value], " | Visit date: ", ["date", dateText(rng)], "\n"]);
  }
}

/** One or two sentences that carry identifiers, drawn from every kind. */
function sentence(b: NoteBuilder, rng: Rng): void {
  const choice = intBetween(rng, 0, 9);
  switch (choice) {
    case 0:
      b.template([
        "Seen on ",
        ["date", dateText(rng)],
        " by ",
        pick(rng, TITLES),
        " ",
        ["name", fullName(rng)],
        ". ",
      ]);
      break;
    case 1: {
      const a = address(rng);
      b.template([
        "Lives at ",
        ["street", a.street],
        ", ",
        ["city", a.city],
        `, ${a.state} `,
        ["zip", a.zip],
        ". ",
      ]);
      break;
    }
    case 2:
      b.template([
        "Contact: ",
        pick(rng, RELATIONS),
        " ",
        ["name", personName(rng).given],
        " on ",
        ["phone", phoneText(rng)],
        ". ",
      ]);
      break;
    case 3: {
      const { given, family } = personName(rng);
      b.template(["E-mail ", ["email", emailText(rng, given, family)], ". "]);
      break;
    }
    case 4:
      b.template([
        "Results on the portal: ",
        ["url", urlText(rng)],
        ". Logged in from ",
        ["ip", ipText(rng)],
        ". ",
      ]);
      break;
    case 5:
      b.template(["SSN ", ["ssn", ssnText(rng)], ". "]);
      break;
    case 6: {
      const id = labelledId(rng);
      b.template([id.label, ["id", id.value], ". "]);
      break;
    }
    case 7:
      b.template([
        "Discussed with ",
        ["name", fullName(rng)],
        " (pharmacy), tel ",
        ["phone", phoneText(rng)],
        ". ",
      ]);
      break;
    case 8:
      b.template([
        "Referred by ",
        pick(rng, TITLES),
        " ",
        ["name", personName(rng).family],
        " on ",
        ["date", dateText(rng)],
        ". ",
      ]);
      break;
    default:
      b.template(["Next review ", ["date", dateText(rng)], ". "]);
  }
}

function signature(b: NoteBuilder, rng: Rng): void {
  switch (intBetween(rng, 0, 2)) {
    case 0:
      b.template(["\n— ", ["name", fullName(rng)], `, ${pick(rng, CREDENTIALS)}`]);
      break;
    case 1:
      b.template(["\nElectronically signed by ", ["name", fullName(rng)], " on ", ["date", dateText(rng)]]);
      break;
    default:
      b.template(["\nDictated by: Dr. ", ["name", fullName(rng)]]);
  }
}

/** One labelled note in `style`: header, clinical body, identifier sentences, signature. */
export function phiNote(rng: Rng, style: PhiNoteStyle): LabelledNote {
  const b = new NoteBuilder();
  if (style === "discharge") {
    b.template([
      "DISCHARGE SUMMARY\nAdmitted: ",
      ["date", dateText(rng)],
      "\nDischarged: ",
      ["date", dateText(rng)],
      "\n",
    ]);
    header(b, rng);
    b.plain("Hospital course: ");
    addBody(b, `${clinicalBody(rng, "narrative")}\n`);
  } else {
    header(b, rng);
    addBody(b, `${clinicalBody(rng, style)}\n`);
  }
  for (let i = intBetween(rng, 2, 4); i > 0; i--) sentence(b, rng);
  if (chance(rng, 0.8)) signature(b, rng);
  return b.build();
}

/**
 * Identifiers to put around an existing note (the simulation's hospitals): a header before it, and
 * sentences and a signature after it, each labelled.
 */
export function phiAround(rng: Rng): { readonly before: LabelledNote; readonly after: LabelledNote } {
  const before = new NoteBuilder();
  header(before, rng);
  const after = new NoteBuilder().plain("\n");
  for (let i = intBetween(rng, 1, 3); i > 0; i--) sentence(after, rng);
  signature(after, rng);
  return { before: before.build(), after: after.build() };
}

/** `count` labelled notes of the development part, deterministic in `seed`. */
export function developmentCorpus(seed: RngSeed, count: number): LabelledNote[] {
  const rng = seededRng(`phi-corpus/development/${String(seed)}`);
  return Array.from({ length: count }, () => phiNote(rng, pick(rng, PHI_NOTE_STYLES)));
}
