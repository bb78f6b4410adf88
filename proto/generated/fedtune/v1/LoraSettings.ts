// Original file: proto/fedtune.proto


/**
 * LoRA settings (model/lora.ts LoraConfig).
 */
export interface LoraSettings {
  /**
   * Rank r.
   */
  'r'?: (number);
  /**
   * Scaling numerator α.
   */
  'alpha'?: (number | string);
  /**
   * Dropout on the LoRA input while training.
   */
  'dropout'?: (number | string);
  /**
   * HF module names the adapter wraps (q_proj, v_proj, …).
   */
  'targetModules'?: (string)[];
  /**
   * "ffa" (A frozen, only B trained) or "standard".
   */
  'mode'?: (string);
  /**
   * Seed of A's initialisation, shared by every site.
   */
  'seed'?: (number);
}

/**
 * LoRA settings (model/lora.ts LoraConfig).
 */
export interface LoraSettings__Output {
  /**
   * Rank r.
   */
  'r': (number);
  /**
   * Scaling numerator α.
   */
  'alpha': (number);
  /**
   * Dropout on the LoRA input while training.
   */
  'dropout': (number);
  /**
   * HF module names the adapter wraps (q_proj, v_proj, …).
   */
  'targetModules': (string)[];
  /**
   * "ffa" (A frozen, only B trained) or "standard".
   */
  'mode': (string);
  /**
   * Seed of A's initialisation, shared by every site.
   */
  'seed': (number);
}
