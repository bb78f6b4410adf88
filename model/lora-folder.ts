// A live (TensorFlow.js) LoRA adapter saved to and loaded from a PEFT folder; the file format itself is model/peft.ts.
import type { LlamaModel } from "./llama.ts";
import { createLoraAdapter, type LoraAdapter } from "./lora.ts";
import { checkLoraTensors } from "./lora-layout.ts";
import { readPeftAdapter, writePeftAdapter, type PeftAdapterInfo } from "./peft.ts";

/** Saves a live adapter as a PEFT folder. */
export async function saveAdapter(dir: string, adapter: LoraAdapter, info: PeftAdapterInfo): Promise<void> {
  await writePeftAdapter(dir, adapter.namedTensors(), adapter.config, info);
}

/** Loads a PEFT adapter folder onto `model`, checking every tensor's shape against the model. */
export async function loadAdapter(dir: string, model: LlamaModel): Promise<LoraAdapter> {
  const adapter = await readPeftAdapter(dir);
  checkLoraTensors(model.config, adapter.lora, adapter.tensors);
  const live = createLoraAdapter(model, adapter.lora);
  live.assignTensors(adapter.tensors);
  return live;
}
