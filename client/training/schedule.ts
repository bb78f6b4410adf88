// Learning-rate schedules: linear warm-up, then cosine or linear decay (or constant).
import { z } from "zod";

export const LR_SCHEDULES = ["cosine", "linear", "constant"] as const;
export type LrSchedule = (typeof LR_SCHEDULES)[number];

export const lrScheduleSettingsSchema = z.object({
  learningRate: z.number().positive(),
  /** Optimizer steps of linear warm-up from 0 to `learningRate`. */
  warmupSteps: z.number().int().nonnegative(),
  /** Optimizer steps in the whole run; the decay reaches its floor at the last one. */
  totalSteps: z.number().int().positive(),
  schedule: z.enum(LR_SCHEDULES),
  /** Floor of the decay as a fraction of `learningRate` (0 decays to zero). */
  minLearningRateRatio: z.number().min(0).max(1),
});
export type LrScheduleSettings = z.infer<typeof lrScheduleSettingsSchema>;

/**
 * The learning rate of optimizer step `step` (0-based). The shape follows HF transformers'
 * get_cosine_schedule_with_warmup / get_linear_schedule_with_warmup (optimization.py), except that
 * warm-up counts the step being taken ((step+1)/warmup), so the first update is not a no-op.
 */
export function learningRateAt(step: number, s: LrScheduleSettings): number {
  if (step < s.warmupSteps) return (s.learningRate * (step + 1)) / s.warmupSteps;
  const decaySteps = Math.max(1, s.totalSteps - s.warmupSteps);
  const progress = Math.min(1, (step - s.warmupSteps) / decaySteps);
  let factor: number;
  switch (s.schedule) {
    case "constant":
      factor = 1;
      break;
    case "linear":
      factor = 1 - progress;
      break;
    case "cosine":
      factor = 0.5 * (1 + Math.cos(Math.PI * progress));
      break;
  }
  const floor = s.minLearningRateRatio;
  return s.learningRate * (floor + (1 - floor) * factor);
}
