// The PEFT exporter: a flat global adapter vector as an HF PEFT folder (adapter_model.safetensors +
// adapter_config.json + a README.md model card). The coordinator's checkpoints and both `fedtune export`
// paths write through it.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { LlamaConfig } from "./config.ts";
import { BUILTIN_MODEL, resolveModelDir } from "./model-dir.ts";
import {
  flattenLoraTensors,
  initialLoraTensors,
  loraTensorsFromFlat,
  writePeftAdapter,
  type LoraConfig,
} from "./peft.ts";

export const MODEL_CARD_FILE = "README.md";

/** How the federation made its adapters, for the model card (the run's settings, not one round's). */
export interface AdapterProvenance {
  /** Hex SHA-256 of the base model's weights (model-dir.ts hashBaseModel). */
  readonly baseModelSha256: string;
  /** The privacy mode: none, secagg or he. */
  readonly privacyMode: string;
  /** Differential privacy settings; null when the run had none; undefined when the exporter does not know. */
  readonly dp:
    | {
        readonly level: string;
        readonly clipNorm: number;
        readonly noiseMultiplier: number;
        readonly delta: number;
        readonly epsilonBudget: number;
      }
    | null
    | undefined;
}

/** What turns a flat vector into a PEFT folder: the base model's shapes and the LoRA settings. */
export interface AdapterSpec {
  readonly model: LlamaConfig;
  readonly lora: LoraConfig;
  /** Written into adapter_config.json so that `peft` can find the base model. */
  readonly baseModelNameOrPath: string | null;
  /** What the model card says about the run; without it the card says only what the spec holds. */
  readonly provenance?: AdapterProvenance;
}

/**
 * The global adapter before round 1, as every site derives it: PEFT's initialisation (seeded A,
 * zero B), flattened to the trainable parameters (B only in ffa mode).
 */
export function initialGlobalVector(spec: AdapterSpec): Float32Array {
  return flattenLoraTensors(spec.model, spec.lora, initialLoraTensors(spec.model, spec.lora));
}

function describeDp(dp: AdapterProvenance["dp"]): string {
  if (dp === undefined) return "not recorded by this export (see the federation's config)";
  if (dp === null) return "none: no ε bound on what the adapter reveals about a record or a site";
  const unit = dp.level === "record" ? "record (DP-SGD at each site)" : "site (client-level DP)";
  return (
    `${unit}; clip norm ${dp.clipNorm}, noise multiplier ${dp.noiseMultiplier}, δ = ${dp.delta}; ` +
    `each site stops at ε = ${dp.epsilonBudget} (its privacy ledger holds the ε it spent)`
  );
}

/** A short README.md for an exported adapter folder: what it is, how to load it, how it was made. */
export function modelCard(spec: AdapterSpec, rounds: number): string {
  const source = spec.baseModelNameOrPath;
  const baseFolder = source === null ? null : resolveModelDir(source);
  const base =
    source === null
      ? "not recorded"
      : source === BUILTIN_MODEL
        ? `fedtune's built-in model, an HF model folder shipped with fedtune at \`${baseFolder}\``
        : `the HF model folder \`${baseFolder}\``;
  const { lora, provenance } = spec;
  const rows = [
    ["base model", base],
    [
      "base model weights SHA-256",
      provenance === undefined ? "not recorded" : `\`${provenance.baseModelSha256}\``,
    ],
    ["training rounds aggregated", String(rounds)],
    ["privacy mode", provenance?.privacyMode ?? "not recorded"],
    ["differential privacy", describeDp(provenance?.dp)],
    [
      "LoRA",
      `r ${lora.r}, alpha ${lora.alpha}, ${lora.mode === "ffa" ? "FFA-LoRA (A frozen)" : "A and B trained"}, modules ${lora.targetModules.join(", ")}`,
    ],
  ];
  return [
    "# Federated LoRA adapter (fedtune)",
    "",
    `A LoRA adapter trained by a fedtune federation: the global adapter after ${rounds} training round${rounds === 1 ? "" : "s"}.`,
    "",
    "| | |",
    "| --- | --- |",
    ...rows.map(([key, value]) => `| ${key} | ${value} |`),
    "",
    "Load it with PEFT:",
    "",
    "```python",
    "from transformers import AutoModelForCausalLM",
    "from peft import PeftModel",
    "",
    `base = AutoModelForCausalLM.from_pretrained(${JSON.stringify(baseFolder ?? "<base model folder>")})`,
    'model = PeftModel.from_pretrained(base, "<this folder>")',
    "```",
    "",
  ].join("\n");
}

/** Writes the flat global vector (PEFT key order) of `rounds` training rounds as a PEFT folder in `dir`. */
export async function writeGlobalAdapter(
  dir: string,
  spec: AdapterSpec,
  vector: Float32Array,
  rounds: number,
): Promise<void> {
  await writePeftAdapter(dir, loraTensorsFromFlat(spec.model, spec.lora, vector), spec.lora, {
    baseModelNameOrPath: spec.baseModelNameOrPath,
  });
  await writeFile(join(dir, MODEL_CARD_FILE), modelCard(spec, rounds));
}
