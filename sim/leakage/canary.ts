// Canaries (Carlini et al., "The Secret Sharer", USENIX Security 2019): clinical sentences carrying a
// random record number, planted in one site's training rows 1, 4 or 16 times, plus controls never planted.
import { appendFile } from "node:fs/promises";
import type { CausalLm } from "../../client/eval/causal-lm.ts";
import { seededRng, uniformBelow } from "../../crypto/rng.ts";
import type { Rng, RngSeed } from "../../crypto/rng.ts";
import { sample } from "../clinical/sampling.ts";
import type { EvalTokenizer } from "../evaluate.ts";
import { candidateAt, candidateCount, rankSecret } from "./secret-rank.ts";
import type { RankOptions, SecretFormat, SecretInContext, SecretRanking } from "./secret-rank.ts";

/** The last 3 digits of a made-up record number: 1 000 candidates, few enough to rank exactly on a CPU. */
export const CANARY_FORMAT: SecretFormat = { alphabet: "0123456789", length: 3 };

/** How often each planted canary appears in the site's training rows (the paper's repetition axis). */
export const CANARY_REPETITIONS = [1, 4, 16] as const;

/** Controls: canaries of the same form that are never planted; their exposure is chance's spread. */
export const CANARY_CONTROLS = 4;

// Made-up patients: one per canary, so that each canary's context is its own.
const PATIENTS = [
  "Ada Morrow",
  "Bram Keller",
  "Cleo Hart",
  "Dov Lindqvist",
  "Esme Okafor",
  "Finn Alvarez",
  "Greta Nakamura",
  "Hugo Petrescu",
  "Ines Duarte",
  "Jonas Whitcombe",
];

export interface Canary extends SecretInContext {
  readonly patient: string;
  /** Times planted; 0 for a control. */
  readonly repetitions: number;
}

export interface CanaryExposure {
  readonly patient: string;
  readonly repetitions: number;
  readonly ranking: SecretRanking;
}

function canaryFor(rng: Rng, patient: string, repetitions: number): Canary {
  return {
    patient,
    prefix: `Discharge letter for ${patient}. Medical record number 70`,
    secret: candidateAt(CANARY_FORMAT, uniformBelow(rng, candidateCount(CANARY_FORMAT))),
    suffix: ".",
    repetitions,
  };
}

/** The planted canaries (one per repetition count) and the controls, from their own seeded stream. */
export function makeCanaries(seed: RngSeed): Canary[] {
  const rng = seededRng(`${String(seed)}/canaries`);
  const repetitions = [...CANARY_REPETITIONS, ...new Array<number>(CANARY_CONTROLS).fill(0)];
  const patients = sample(rng, PATIENTS, repetitions.length);
  return repetitions.map((r, i) => canaryFor(rng, patients[i] ?? `patient ${i}`, r));
}

export function canaryText(canary: SecretInContext): string {
  return `${canary.prefix}${canary.secret}${canary.suffix}`;
}

/** Appends each planted canary, as a `text` row, `repetitions` times to every given training file. */
export async function plantCanaries(files: readonly string[], canaries: readonly Canary[]): Promise<void> {
  const rows = canaries.flatMap((c) =>
    new Array<string>(c.repetitions).fill(JSON.stringify({ text: canaryText(c) }) + "\n"),
  );
  for (const file of files) await appendFile(file, rows.join(""));
}

/** Each canary's (and control's) exposure under `lm`. */
export function measureCanaries(
  lm: CausalLm,
  tokenizer: EvalTokenizer,
  canaries: readonly Canary[],
  options: RankOptions,
  seed: RngSeed,
): CanaryExposure[] {
  const rng = seededRng(`${String(seed)}/canary-candidates`);
  return canaries.map((c) => ({
    patient: c.patient,
    repetitions: c.repetitions,
    ranking: rankSecret(lm, tokenizer, c, CANARY_FORMAT, options, rng),
  }));
}
