// Training rows for the engine's JSONL loader: Alpaca-style instruction rows and multiple-choice rows.
import type { Rng } from "../../crypto/rng.ts";
import { CONDITIONS, CONDITIONS_BY_ID } from "./conditions.ts";
import { chance, sample, shuffled } from "./sampling.ts";

/** Alpaca-style instruction row (client/data's `instruction` kind). */
export interface InstructionRow {
  readonly instruction: string;
  readonly input: string;
  readonly output: string;
}

/** Multiple-choice row (client/data's `mcq` kind): `answer` is the 0-based index into `options`. */
export interface McqRow {
  readonly question: string;
  readonly options: readonly string[];
  readonly answer: number;
}

export const DIAGNOSIS_INSTRUCTION = "Give the most likely diagnosis.";
export const MCQ_OPTION_COUNT = 4;

export function toInstructionRow(note: string, diagnosis: string): InstructionRow {
  return { instruction: DIAGNOSIS_INSTRUCTION, input: note, output: diagnosis };
}

/**
 * A four-option question. With probability `sameCategoryRate` the distractors come from the true
 * condition's category (the hard case: chest pain versus chest pain), otherwise from anywhere.
 */
export function toMcqRow(
  rng: Rng,
  note: string,
  conditionId: string,
  diagnosis: string,
  sameCategoryRate = 0.5,
): McqRow {
  const condition = CONDITIONS_BY_ID.get(conditionId);
  if (condition === undefined) throw new RangeError(`unknown condition "${conditionId}"`);
  const others = CONDITIONS.filter((c) => c.name !== diagnosis);
  const sameCategory = others.filter((c) => c.category === condition.category);
  const pool =
    chance(rng, sameCategoryRate) && sameCategory.length >= MCQ_OPTION_COUNT - 1 ? sameCategory : others;
  const distractors = sample(rng, pool, MCQ_OPTION_COUNT - 1).map((c) => c.name);
  const options = shuffled(rng, [diagnosis, ...distractors]);
  return { question: `${note}\n${DIAGNOSIS_INSTRUCTION}`, options, answer: options.indexOf(diagnosis) };
}
