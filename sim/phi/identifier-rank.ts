// The canary-style probe of `fedtune sim --phi`: where the global adapter ranks a planted record number's true last digits among every candidate, in the training note's own context.
import { instructionPrompt, multipleChoicePrompt } from "../../client/data/prompt-format.ts";
import { seededRng } from "../../crypto/rng.ts";
import type { RngSeed } from "../../crypto/rng.ts";
import type { LoadedModel } from "../../model/load.ts";
import { loadAdapter } from "../../model/lora-folder.ts";
import { DIAGNOSIS_INSTRUCTION } from "../clinical/rows.ts";
import type { TrainFormat } from "../datasets.ts";
import { rankSecret } from "../leakage/secret-rank.ts";
import type { SecretFormat, SecretRanking } from "../leakage/secret-rank.ts";
import { PROBE_DIGITS } from "./hospital-notes.ts";
import type { IdentifierProbe } from "./hospital-notes.ts";

const PROBE_FORMAT: SecretFormat = { alphabet: "0123456789", length: PROBE_DIGITS };
/** Sequences per forward pass (a header line in its prompt: short). */
const CANDIDATE_BATCH = 128;

export interface IdentifierRank {
  readonly siteId: string;
  readonly ranking: SecretRanking;
}

/** The training prompt's text before the note, in `format` (the note opens the input or question). */
function promptLead(format: TrainFormat): string {
  const marker = "\u0000";
  const prompt =
    format === "mcq"
      ? multipleChoicePrompt({ question: marker, labels: [], options: [] })
      : instructionPrompt({ instruction: DIAGNOSIS_INSTRUCTION, input: marker });
  return prompt.slice(0, prompt.indexOf(marker));
}

/**
 * Ranks each probe's true digits among all 1 000 by log-likelihood under the global adapter, the
 * header written as the site's training prompt held it before scrubbing. The sites trained on
 * surrogates, so the expected rank is chance's (uniform on 1…1 000, exposure near 0 bits); a rank
 * near 1 would say the adapter learnt a real record number.
 */
export async function rankPlantedIdentifiers(
  base: LoadedModel,
  adapterDir: string,
  probes: readonly IdentifierProbe[],
  options: { readonly format: TrainFormat; readonly seqLen: number; readonly seed: RngSeed },
): Promise<IdentifierRank[]> {
  const adapter = await loadAdapter(adapterDir, base.model);
  try {
    const lm = { model: base.model, adapter };
    const lead = promptLead(options.format);
    const rng = seededRng(`${String(options.seed)}/phi-probe-candidates`);
    const rankOptions = {
      maxEnumerated: 10_000,
      sampled: 2_000,
      batchSize: CANDIDATE_BATCH,
      seqLen: options.seqLen,
    };
    return probes.map((probe) => ({
      siteId: probe.siteId,
      ranking: rankSecret(
        lm,
        base.tokenizer,
        { ...probe, prefix: `${lead}${probe.prefix}` },
        PROBE_FORMAT,
        rankOptions,
        rng,
      ),
    }));
  } finally {
    adapter.dispose();
  }
}
