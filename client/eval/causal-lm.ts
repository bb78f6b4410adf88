// A base model and, optionally, the LoRA adapter its forward pass adds: what evaluation and generation run.
import type { Logger } from "pino";
import type { LlamaModel, LoraHook } from "../../model/llama.ts";
import { loadBaseModel } from "../../model/load.ts";
import type { LoraAdapter } from "../../model/lora.ts";
import { loadAdapter } from "../../model/lora-folder.ts";
import type { Tokenizer } from "../../model/tokenizer.ts";

export interface CausalLm {
  readonly model: LlamaModel;
  readonly adapter?: LoraHook;
}

export interface LoadedCausalLm {
  readonly model: LlamaModel;
  readonly adapter?: LoraAdapter;
  readonly tokenizer: Tokenizer;
  /** sha256 of the base weights. */
  readonly hash: string;
  dispose(): void;
}

/** Loads a base model ("builtin" or an HF folder) and, when given, a PEFT adapter folder onto it. */
export async function loadCausalLm(
  source: string,
  adapterDir: string | undefined,
  logger: Logger,
): Promise<LoadedCausalLm> {
  const { model, tokenizer, hash } = await loadBaseModel(source, logger);
  let adapter: LoraAdapter | undefined;
  try {
    if (adapterDir !== undefined) {
      adapter = await loadAdapter(adapterDir, model);
      logger.info({ adapter: adapterDir, r: adapter.config.r, mode: adapter.config.mode }, "adapter loaded");
    }
  } catch (error) {
    model.dispose();
    throw error;
  }
  return {
    model,
    ...(adapter ? { adapter } : {}),
    tokenizer,
    hash,
    dispose: () => {
      adapter?.dispose();
      model.dispose();
    },
  };
}
