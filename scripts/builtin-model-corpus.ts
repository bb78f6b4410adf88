// The built-in model's training corpus: synthetic clinical text, clue sentences and instruction rows, packed into examples.
import { seededRng } from "../crypto/rng.ts";
import type { Rng } from "../crypto/rng.ts";
import { instructionPrompt, multipleChoicePrompt, tokenizeRow } from "../client/data/prompt-format.ts";
import type { TokenizedExample } from "../client/data/prompt-format.ts";
import type { DatasetRow } from "../client/data/rows.ts";
import type { Tokenizer } from "../model/tokenizer.ts";
import { ABBREVIATIONS, LABS } from "../sim/clinical/catalogue.ts";
import type { LabName } from "../sim/clinical/catalogue.ts";
import { CONDITIONS } from "../sim/clinical/conditions.ts";
import type { Condition } from "../sim/clinical/conditions.ts";
import { generatePretrainingCorpus } from "../sim/clinical/corpus.ts";
import { intBetween, pick, sample, shuffled, uniform } from "../sim/clinical/sampling.ts";
import { generateVignette, renderNote } from "../sim/clinical/vignette.ts";

function titleCase(text: string): string {
  return text.length === 0 ? text : text[0]!.toUpperCase() + text.slice(1);
}

function listText(items: readonly string[]): string {
  return items.length <= 1 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)!}`;
}

/**
 * Rows in the fine-tuning formats (client/data/prompt-format.ts) on everything except the task the
 * simulation evaluates: no row maps a patient's note to its diagnosis. They teach the prompt layout and
 * EOS after a response, so a LoRA adapter only has to learn the new mapping.
 */
function instructionRow(rng: Rng): DatasetRow {
  const c: Condition = pick(rng, CONDITIONS);
  switch (intBetween(rng, 0, 6)) {
    case 0:
      return {
        kind: "instruction",
        instruction: `List the typical symptoms of ${c.name}.`,
        output: `${titleCase(listText(sample(rng, c.symptoms, Math.min(3, c.symptoms.length))))}.`,
      };
    case 1:
      return {
        kind: "instruction",
        instruction: `What is the usual treatment for ${c.name}?`,
        output: `${titleCase(listText(sample(rng, c.treatments, Math.min(2, c.treatments.length))))}.`,
      };
    case 2:
      return {
        kind: "instruction",
        instruction: `Which test helps to confirm ${c.name}?`,
        output: `${titleCase(pick(rng, c.investigations))}.`,
      };
    case 3: {
      const [phrase, abbr] = pick(rng, ABBREVIATIONS);
      return { kind: "instruction", instruction: "Expand the abbreviation.", input: abbr, output: phrase };
    }
    case 4: {
      const lab = LABS[pick(rng, Object.keys(LABS) as LabName[])];
      const unit = lab.unit === "" ? "" : ` ${lab.unit}`;
      return {
        kind: "instruction",
        instruction: `What is the normal range of ${lab.name}?`,
        output: `${lab.normal[0].toFixed(lab.decimals)} to ${lab.normal[1].toFixed(lab.decimals)}${unit}.`,
      };
    }
    case 5: {
      // The same patient in a full note and in terse triage shorthand: reading notes, not naming them.
      const vignette = generateVignette(rng, c);
      const stream = seededRng(`${rng.nextUint32()}`);
      return {
        kind: "instruction",
        instruction: "Rewrite the note as a one-line triage summary.",
        input: renderNote(stream, vignette, "narrative", { abbreviationRate: uniform(rng, 0, 0.3) }),
        output: renderNote(stream, vignette, "triage", { abbreviationRate: 0.9 }),
      };
    }
    default: {
      const others = CONDITIONS.filter((o) => o.category !== c.category);
      const distractors = sample(rng, others, 3).map((o) => pick(rng, o.treatments));
      const answer = pick(rng, c.treatments);
      const options = shuffled(rng, [answer, ...distractors]);
      return {
        kind: "mcq",
        question: `Which of these is a treatment for ${c.name}?`,
        labels: ["A", "B", "C", "D"],
        options,
        answerIndex: options.indexOf(answer),
      };
    }
  }
}

/** "raised"/"low" when a condition's range for a lab lies wholly outside the normal range. */
function labDirection(c: Condition, name: LabName): string | undefined {
  const range = c.labs[name];
  if (range === undefined) return undefined;
  const [lo, hi] = LABS[name].normal;
  if (range[0] > hi) return "raised";
  if (range[1] < lo) return "low";
  return undefined;
}

/**
 * A textbook sentence that gives clues first and the condition last. A causal language model only learns
 * to predict a name from what precedes it (Berglund et al. 2023, "the reversal curse"), and the corpus's
 * entries mostly name the condition first; these sentences teach the other direction as general knowledge,
 * in prose, never as a patient note with its diagnosis.
 */
function clueSentence(rng: Rng): string {
  const c: Condition = pick(rng, CONDITIONS);
  const symptoms = sample(rng, c.symptoms, Math.min(c.symptoms.length, intBetween(rng, 2, 3)));
  const labClues = (Object.keys(c.labs) as LabName[]).flatMap((name) => {
    const direction = labDirection(c, name);
    return direction === undefined ? [] : [`a ${direction} ${LABS[name].name}`];
  });
  switch (intBetween(rng, 0, 4)) {
    case 0:
      return `${titleCase(listText(symptoms))} suggest ${c.name}.`;
    case 1:
      return `A patient with ${listText(symptoms)} and ${pick(rng, c.exam)} may have ${c.name}.`;
    case 2:
      return `${titleCase(pick(rng, c.investigations))}: this points to ${c.name}.`;
    case 3:
      return labClues.length > 0
        ? `${titleCase(listText(symptoms))} with ${pick(rng, labClues)} is typical of ${c.name}.`
        : `${titleCase(listText(symptoms))} in a patient with ${pick(rng, c.history)} is typical of ${c.name}.`;
    default:
      return `Consider ${c.name} when a patient reports ${listText(symptoms)}.`;
  }
}

/** The texts the tokenizer is trained on: each piece that tokenizeRow encodes separately. */
export function rowTexts(row: DatasetRow): string[] {
  switch (row.kind) {
    case "text":
      return [row.text];
    case "instruction":
      return [instructionPrompt(row), row.output];
    case "mcq":
      return [multipleChoicePrompt(row), row.options[row.answerIndex]!];
    case "chat":
    case "input_ids":
      return [];
  }
}

/** Concatenates the rows' tokens (BOS … EOS each) and cuts them into `seqLen`-token training examples. */
export function packRows(
  rows: readonly DatasetRow[],
  tokenizer: Tokenizer,
  seqLen: number,
): TokenizedExample[] {
  const stream: number[] = [];
  for (const row of rows) stream.push(...tokenizeRow(row, tokenizer, Number.MAX_SAFE_INTEGER).ids);
  const examples: TokenizedExample[] = [];
  // Chunks overlap by one token so that every token of the stream is predicted exactly once.
  for (let start = 0; start + seqLen + 1 <= stream.length; start += seqLen) {
    const ids = stream.slice(start, start + seqLen + 1);
    examples.push({ ids, lossMask: ids.map((_, i) => (i === 0 ? 0 : 1)) });
  }
  return examples;
}

/** The corpus of one seed: pretraining text, clue sentences and instruction rows, shuffled together. */
export function corpusRows(
  seed: string,
  chars: number,
  instructionCount: number,
  clueCount: number,
): DatasetRow[] {
  const rng = seededRng(`fedtune/builtin/${seed}/instructions`);
  const clueRng = seededRng(`fedtune/builtin/${seed}/clues`);
  const texts = [
    ...generatePretrainingCorpus(`fedtune/builtin/${seed}/corpus`, chars),
    ...Array.from({ length: clueCount }, () => clueSentence(clueRng)),
  ];
  const instructions = Array.from({ length: instructionCount }, () => instructionRow(rng));
  return shuffled(seededRng(`fedtune/builtin/${seed}/order`), [
    ...texts.map((text): DatasetRow => ({ kind: "text", text })),
    ...instructions,
  ]);
}
