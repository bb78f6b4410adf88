// Named sets of simulation defaults (`fedtune sim --preset <name>`): flags given explicitly still win.
import type { SimOptionsInput } from "./options.ts";

/**
 * dp: record-level DP-SGD at the sites, the setting that fits hospitals (few sites, many records each).
 * Larger hospitals so that a lot of 64 is a small share of a site's records (q ≈ 0.03–0.1), few long
 * rounds, FFA-LoRA of rank 4 (fewer trainable values, less noise in total), and the noise multiplier
 * picked by the accountant so that every site ends at ε ≤ 8, δ = 1e-5. Canaries are planted, so the
 * report shows what DP does to exposure and membership inference.
 */
const DP_PRESET: Partial<SimOptionsInput> = {
  dp: "record",
  targetEpsilon: 8,
  delta: 1e-5,
  epsilonBudget: 8,
  clipNorm: 1,
  examplesPerSite: 2000,
  batchSize: 64,
  rounds: 5,
  localSteps: 6,
  learningRate: 2e-2,
  loraRank: 4,
  evaluateEvery: 5,
  canaries: true,
};

export const PRESETS: Readonly<Record<string, Partial<SimOptionsInput>>> = { dp: DP_PRESET };

/** The preset's defaults; an unknown name is a RangeError listing the known ones. */
export function presetDefaults(name: string | undefined): Partial<SimOptionsInput> {
  if (name === undefined) return {};
  const preset = PRESETS[name];
  if (preset === undefined)
    throw new RangeError(`unknown preset "${name}" (known: ${Object.keys(PRESETS).join(", ")})`);
  return { ...preset, preset: name };
}
