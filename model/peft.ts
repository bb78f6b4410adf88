// HF PEFT adapter folders (adapter_model.safetensors + adapter_config.json): read/write of plain tensors, no
// TensorFlow.js, so the coordinator can use it; live adapters are saved and loaded by model/lora-folder.ts.
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { LORA_TARGET_MODULES, isLoraTargetModule } from "./architecture.ts";
import { LoraError, orderedTargets, parseLoraConfig, type LoraConfig } from "./lora-layout.ts";
import { BUILTIN_MODEL, BUILTIN_MODEL_DIR } from "./model-dir.ts";
import { fileExists, parseSafetensors, serializeSafetensors, type TensorMap } from "./safetensors.ts";

export {
  LoraError,
  flattenLoraTensors,
  initialLoraTensors,
  loraFlatLength,
  loraParameterLayout,
  loraTensorsFromFlat,
  type LoraConfig,
  type LoraParameter,
} from "./lora-layout.ts";

export const ADAPTER_WEIGHTS_FILE = "adapter_model.safetensors";
export const ADAPTER_CONFIG_FILE = "adapter_config.json";

export interface PeftAdapterInfo {
  readonly baseModelNameOrPath: string | null;
}

export interface PeftAdapter extends PeftAdapterInfo {
  readonly lora: LoraConfig;
  /** Tensors under PEFT's saved key names (without the ".default" adapter name). */
  readonly tensors: TensorMap;
}

// Where fedtune keeps what PEFT's config has no field for; PEFT ignores safetensors metadata.
const METADATA_MODE = "fedtune.lora_mode";
const METADATA_SEED = "fedtune.seed";

/**
 * adapter_config.json as PEFT's LoraConfig.save_pretrained writes it. Only keys that every PEFT release
 * since 0.10 accepts are written, so older installations load the file too.
 */
function peftConfigJson(lora: LoraConfig, info: PeftAdapterInfo): Record<string, unknown> {
  return {
    alpha_pattern: {},
    auto_mapping: null,
    // PEFT's from_pretrained needs a folder or a hub name: "builtin" becomes the built-in model's HF folder.
    base_model_name_or_path:
      info.baseModelNameOrPath === BUILTIN_MODEL ? BUILTIN_MODEL_DIR : info.baseModelNameOrPath,
    bias: "none",
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    layer_replication: null,
    layers_pattern: null,
    layers_to_transform: null,
    loftq_config: {},
    lora_alpha: lora.alpha,
    lora_dropout: lora.dropout,
    megatron_config: null,
    megatron_core: "megatron.core",
    modules_to_save: null,
    peft_type: "LORA",
    r: lora.r,
    rank_pattern: {},
    revision: null,
    target_modules: [...orderedTargets(lora)],
    task_type: "CAUSAL_LM",
    use_dora: false,
    use_rslora: lora.useRslora ?? false,
  };
}

const emptyOrMissing = z
  .record(z.string(), z.unknown())
  .refine((record) => Object.keys(record).length === 0, {
    message: "per-module ranks and alphas are not supported",
  })
  .nullish();

// The subset of PEFT's LoraConfig that fedtune can run; anything else is refused with its field name.
const PeftConfigSchema = z
  .object({
    peft_type: z.literal("LORA"),
    task_type: z.string().nullish(),
    r: z.number().int().positive(),
    lora_alpha: z.number().positive(),
    lora_dropout: z.number().min(0).lt(1).default(0),
    target_modules: z.union([z.array(z.string()), z.string()]).nullish(),
    base_model_name_or_path: z.string().nullish(),
    bias: z.literal("none", { message: 'only bias "none" is supported' }).default("none"),
    fan_in_fan_out: z
      .literal(false, { message: "fan_in_fan_out (Conv1D layers) is not supported" })
      .default(false),
    use_rslora: z.boolean().default(false),
    use_dora: z.literal(false, { message: "DoRA is not supported" }).default(false),
    modules_to_save: z.array(z.string()).length(0, { message: "modules_to_save is not supported" }).nullish(),
    rank_pattern: emptyOrMissing,
    alpha_pattern: emptyOrMissing,
    layers_to_transform: z.null().optional(),
  })
  .loose();

/** Writes to a temporary name first, so a crash never leaves a half-written file under the real name. */
async function writeAtomically(path: string, data: Uint8Array | string): Promise<void> {
  const temporary = `${path}.tmp-${process.pid}`;
  await writeFile(temporary, data);
  await rename(temporary, path);
}

/**
 * Writes a PEFT adapter folder from plain tensors (PEFT keys and shapes, e.g. from loraTensorsFromFlat).
 * Shapes are checked against `lora` (A [r, in], B [out, r], both present for every module).
 */
export async function writePeftAdapter(
  dir: string,
  tensors: TensorMap,
  lora: LoraConfig,
  info: PeftAdapterInfo,
): Promise<void> {
  for (const [key, tensor] of tensors) {
    const match =
      /^base_model\.model\.model\.layers\.\d+\.(?:self_attn|mlp)\.(\w+)\.lora_([AB])\.weight$/.exec(key);
    if (match === null) throw new LoraError(`"${key}" is not a PEFT LoRA key`);
    const rankAxis = match[2] === "A" ? 0 : 1;
    if (tensor.shape.length !== 2 || tensor.shape[rankAxis] !== lora.r) {
      throw new LoraError(
        `${key} has shape [${tensor.shape.join(", ")}], expected rank ${lora.r} on axis ${rankAxis}`,
      );
    }
    if (!orderedTargets(lora).some((module) => module === match[1])) {
      throw new LoraError(`${key} adapts a module outside target_modules`);
    }
  }
  await mkdir(dir, { recursive: true });
  const metadata = { format: "pt", [METADATA_MODE]: lora.mode, [METADATA_SEED]: String(lora.seed) };
  await writeAtomically(join(dir, ADAPTER_WEIGHTS_FILE), serializeSafetensors(tensors, { metadata }));
  await writeAtomically(
    join(dir, ADAPTER_CONFIG_FILE),
    JSON.stringify(peftConfigJson(lora, info), null, 2) + "\n",
  );
}

/**
 * Reads a PEFT LoRA adapter folder, written by fedtune or by Python `peft`. Keys may carry the adapter
 * name (`…lora_A.default.weight`); the target modules come from the tensors present, which must cover
 * every layer from 0 up. Pickled `adapter_model.bin` files are refused.
 */
export async function readPeftAdapter(dir: string): Promise<PeftAdapter> {
  const configPath = join(dir, ADAPTER_CONFIG_FILE);
  const weightsPath = join(dir, ADAPTER_WEIGHTS_FILE);
  if (!(await fileExists(configPath)))
    throw new LoraError(`${configPath} not found (not a PEFT adapter folder)`);
  if (!(await fileExists(weightsPath))) {
    if (await fileExists(join(dir, "adapter_model.bin"))) {
      throw new LoraError(
        `${dir}: adapter_model.bin (PyTorch pickle) is not supported; save it with safe_serialization=True`,
      );
    }
    throw new LoraError(`${weightsPath} not found`);
  }
  let rawConfig: unknown;
  try {
    rawConfig = JSON.parse(await readFile(configPath, "utf8"));
  } catch (error) {
    throw new LoraError(
      `${configPath}: not valid JSON (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  const parsed = PeftConfigSchema.safeParse(rawConfig);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new LoraError(`${configPath}: ${issues.join("; ")}`);
  }
  const peft = parsed.data;
  const file = parseSafetensors(new Uint8Array(await readFile(weightsPath)), weightsPath);

  const tensors: TensorMap = new Map();
  const modulesByLayer = new Map<number, Set<string>>();
  for (const [rawKey, tensor] of file.tensors) {
    const key = rawKey.replace(/\.lora_([AB])\.default\.weight$/, ".lora_$1.weight");
    const match =
      /^base_model\.model\.model\.layers\.(\d+)\.(?:self_attn|mlp)\.(\w+)\.lora_[AB]\.weight$/.exec(key);
    if (match === null)
      throw new LoraError(`${weightsPath}: tensor "${rawKey}" is not a LoRA weight fedtune can load`);
    const [, layerText = "", module = ""] = match;
    if (!isLoraTargetModule(module)) {
      throw new LoraError(
        `${weightsPath}: "${rawKey}" adapts ${module}, not one of ${LORA_TARGET_MODULES.join(", ")}`,
      );
    }
    const layer = Number(layerText);
    const modules = modulesByLayer.get(layer) ?? new Set<string>();
    modules.add(module);
    modulesByLayer.set(layer, modules);
    tensors.set(key, tensor);
  }
  const firstLayer = modulesByLayer.get(0);
  if (firstLayer === undefined) throw new LoraError(`${weightsPath}: no LoRA weights for layer 0`);
  for (const [layer, modules] of modulesByLayer) {
    const same = modules.size === firstLayer.size && [...modules].every((m) => firstLayer.has(m));
    if (!same)
      throw new LoraError(`${weightsPath}: layer ${layer} adapts other modules than layer 0 (unsupported)`);
  }
  const mode = file.metadata[METADATA_MODE] === "ffa" ? "ffa" : "standard";
  const seedText = file.metadata[METADATA_SEED];
  const lora = parseLoraConfig({
    r: peft.r,
    alpha: peft.lora_alpha,
    dropout: peft.lora_dropout,
    targetModules: LORA_TARGET_MODULES.filter((m) => firstLayer.has(m)),
    mode,
    seed: seedText !== undefined && /^\d+$/.test(seedText) ? Number(seedText) : 0,
    ...(peft.use_rslora ? { useRslora: true } : {}),
  });
  return { lora, tensors, baseModelNameOrPath: peft.base_model_name_or_path ?? null };
}
