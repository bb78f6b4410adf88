// Broad synthetic clinical text for pretraining the built-in model: textbook entries, notes, glossaries, reference ranges.
import { seededRng } from "../../crypto/rng.ts";
import type { Rng, RngSeed } from "../../crypto/rng.ts";
import { ABBREVIATIONS, LABS } from "./catalogue.ts";
import type { LabName } from "./catalogue.ts";
import { CONDITIONS } from "./conditions.ts";
import type { Condition } from "./conditions.ts";
import { chance, intBetween, pick, sample, uniform, weightedIndex } from "./sampling.ts";
import { NOTE_STYLES, generateVignette, renderNote } from "./vignette.ts";

function sentenceList(items: readonly string[]): string {
  return items.length <= 1
    ? items.join("")
    : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1] ?? ""}`;
}

function ageBand(c: Condition): string {
  const [lo, hi] = c.age;
  if (hi <= 2) return "infants";
  if (hi <= 12) return "young children";
  if (lo >= 65) return "older adults";
  return `people aged about ${Math.floor(lo)} to ${hi}`;
}

function sexSkew(c: Condition): string {
  if (c.maleFraction === 0) return "It affects pregnant women.";
  if (c.maleFraction >= 0.65) return "It is commoner in men.";
  if (c.maleFraction <= 0.35) return "It is commoner in women.";
  return "Men and women are affected about equally.";
}

/** A textbook entry in one of three layouts. */
function textbookEntry(rng: Rng, c: Condition): string {
  const title = c.name[0]?.toUpperCase() + c.name.slice(1);
  switch (intBetween(rng, 0, 2)) {
    case 0:
      return [
        `${title}.`,
        c.description,
        `It is seen mostly in ${ageBand(c)}. ${sexSkew(c)}`,
        `Symptoms: ${sentenceList(sample(rng, c.symptoms, 3))}.`,
        `Signs: ${sentenceList(c.exam)}.`,
        `Tests: ${sentenceList(c.investigations)}.`,
        `Treatment: ${sentenceList(c.treatments)}.`,
      ].join("\n");
    case 1:
      return `${c.description} Risk factors include ${sentenceList(c.history)}. Examination may find ${sentenceList(sample(rng, c.exam, 2))}. Management: ${sentenceList(sample(rng, c.treatments, 2))}.`;
    default:
      return `Key points on ${c.name}: ${sexSkew(c)} Patients often report ${sentenceList(sample(rng, c.symptoms, 2))}. ${c.investigations[0] ?? ""}.`;
  }
}

/** A clinical note in any house style, sometimes followed by the plan; it never names the diagnosis. */
function noteDocument(rng: Rng): string {
  const c = pick(rng, CONDITIONS);
  const note = renderNote(rng, generateVignette(rng, c), pick(rng, NOTE_STYLES), {
    abbreviationRate: uniform(rng, 0, 1),
  });
  return chance(rng, 0.5) ? `${note}\nPlan: ${sample(rng, c.treatments, 2).join(", ")}.` : note;
}

function glossaryDocument(rng: Rng): string {
  const entries = sample(rng, ABBREVIATIONS, intBetween(rng, 5, 12));
  const form = intBetween(rng, 0, 1);
  const lines = entries.map(([phrase, abbr]) =>
    form === 0 ? `${abbr}: ${phrase}` : `${abbr} means ${phrase}.`,
  );
  return `Common abbreviations\n${lines.join("\n")}`;
}

function labReferenceDocument(rng: Rng): string {
  const names = sample(rng, Object.keys(LABS) as LabName[], intBetween(rng, 4, 8));
  const lines = names.map((n) => {
    const t = LABS[n];
    const unit = t.unit === "" ? "" : ` ${t.unit}`;
    return `${t.name} (${t.abbr}): ${t.normal[0].toFixed(t.decimals)} to ${t.normal[1].toFixed(t.decimals)}${unit}`;
  });
  return `Reference ranges\n${lines.join("\n")}`;
}

function treatmentDocument(rng: Rng): string {
  const c = pick(rng, CONDITIONS);
  const t = sample(rng, c.treatments, Math.min(3, c.treatments.length));
  return `For ${c.name}, the usual treatment is ${sentenceList(t)}.`;
}

function handoverDocument(rng: Rng): string {
  const beds = intBetween(rng, 2, 4);
  const lines: string[] = [];
  for (let i = 0; i < beds; i++) {
    const c = pick(rng, CONDITIONS);
    lines.push(
      `Bed ${intBetween(rng, 1, 30)}: ${renderNote(rng, generateVignette(rng, c), "triage", { abbreviationRate: 0.8 })}`,
    );
  }
  return `Ward handover\n${lines.join("\n")}`;
}

const DOCUMENT_KINDS: readonly { readonly weight: number; readonly make: (rng: Rng) => string }[] = [
  { weight: 45, make: noteDocument },
  { weight: 25, make: (rng) => textbookEntry(rng, pick(rng, CONDITIONS)) },
  { weight: 10, make: treatmentDocument },
  { weight: 8, make: glossaryDocument },
  { weight: 7, make: labReferenceDocument },
  { weight: 5, make: handoverDocument },
];

/**
 * Documents of broad clinical text totalling at least `approxChars` characters, deterministic
 * in `seed`. It teaches the vocabulary and the note styles; it pairs no note with its diagnosis,
 * so the vignette → diagnosis task is left for fine-tuning.
 */
export function generatePretrainingCorpus(seed: RngSeed, approxChars: number): string[] {
  const rng = seededRng(typeof seed === "number" ? `pretraining-corpus/${seed}` : seed);
  const weights = DOCUMENT_KINDS.map((k) => k.weight);
  const docs: string[] = [];
  let total = 0;
  while (total < approxChars) {
    const kind = DOCUMENT_KINDS[weightedIndex(rng, weights)];
    if (kind === undefined) break;
    const doc = kind.make(rng);
    docs.push(doc);
    total += doc.length;
  }
  return docs;
}
