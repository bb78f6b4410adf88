// A site's own policy on the tasks it takes (site config `policy`): the privacy modes it allows, the least protection
// it accepts, the most local steps, the base model. A task the policy refuses is declined with the reason.
import { z } from "zod";
import { PRIVACY_MODES, type EvalTask, type PrivacyMode, type TrainTask } from "../../proto/messages.ts";

export const sitePolicySchema = z.strictObject({
  privacyModes: z
    .array(z.enum(PRIVACY_MODES))
    .min(1)
    .optional()
    .describe('Privacy modes this site takes part in, e.g. ["secagg", "he"]; omitted = any.'),
  minSecaggThreshold: z
    .number()
    .int()
    .min(2)
    .optional()
    .describe(
      "Least SecAgg+ threshold accepted (shares needed to rebuild a site's masks; evaluation rounds of he mode too).",
    ),
  minHeThreshold: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe("he mode: least key threshold t accepted (key holders needed to decrypt)."),
  minNoiseMultiplier: z
    .number()
    .min(0)
    .optional()
    .describe(
      "Least DP noise multiplier accepted on training tasks; a task with less noise, or without DP, is declined.",
    ),
  maxLocalSteps: z.number().int().min(1).optional().describe("Most local training steps per task accepted."),
  baseModelSha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/, "must be a hex SHA-256")
    .optional()
    .describe(
      "The base model this site agrees to train (hex SHA-256 of its weights); the site's own copy must be it.",
    ),
});
export type SitePolicy = z.output<typeof sitePolicySchema>;

/** What a task asks of the site, as far as the policy judges it. */
export interface TaskOffer {
  readonly mode: PrivacyMode;
  /** Set when the task's figures travel under SecAgg+. */
  readonly secaggThreshold?: number;
  /** Set in he mode. */
  readonly heThreshold?: number;
  /** Set on training tasks. */
  readonly noiseMultiplier?: number;
  readonly localSteps?: number;
  /** The base model the site would train or evaluate (its own copy, which Join checked against the federation's). */
  readonly baseModelSha256: string;
}

export function trainOffer(task: TrainTask, baseModelSha256: string): TaskOffer {
  return {
    mode: task.privacy.mode,
    ...(task.secagg === null ? {} : { secaggThreshold: task.secagg.threshold }),
    ...(task.he === null ? {} : { heThreshold: task.he.threshold }),
    noiseMultiplier: task.privacy.noiseMultiplier,
    localSteps: task.training.localSteps,
    baseModelSha256,
  };
}

/** An evaluation task carries no mode of its own: it is the federation's, as told at Join. */
export function evalOffer(task: EvalTask, mode: PrivacyMode, baseModelSha256: string): TaskOffer {
  return {
    mode,
    ...(task.secagg === null ? {} : { secaggThreshold: task.secagg.threshold }),
    ...(task.he === null ? {} : { heThreshold: task.he.threshold }),
    baseModelSha256,
  };
}

/** Why `policy` refuses `offer` (every reason, "; "-joined); undefined when it accepts it. */
export function policyRefusal(policy: SitePolicy | undefined, offer: TaskOffer): string | undefined {
  if (policy === undefined) return undefined;
  const reasons: string[] = [];
  const { privacyModes, minSecaggThreshold, minHeThreshold, minNoiseMultiplier, maxLocalSteps } = policy;
  if (privacyModes !== undefined && !privacyModes.includes(offer.mode))
    reasons.push(`privacy mode ${offer.mode} is not one this site allows (${privacyModes.join(", ")})`);
  if (minSecaggThreshold !== undefined && (offer.secaggThreshold ?? minSecaggThreshold) < minSecaggThreshold)
    reasons.push(
      `SecAgg+ threshold ${offer.secaggThreshold} is below this site's minimum ${minSecaggThreshold}`,
    );
  if (minHeThreshold !== undefined && (offer.heThreshold ?? minHeThreshold) < minHeThreshold)
    reasons.push(`he key threshold ${offer.heThreshold} is below this site's minimum ${minHeThreshold}`);
  if (minNoiseMultiplier !== undefined && (offer.noiseMultiplier ?? minNoiseMultiplier) < minNoiseMultiplier)
    reasons.push(
      `DP noise multiplier ${offer.noiseMultiplier} is below this site's minimum ${minNoiseMultiplier}`,
    );
  if (maxLocalSteps !== undefined && (offer.localSteps ?? 0) > maxLocalSteps)
    reasons.push(`${offer.localSteps} local steps exceed this site's maximum ${maxLocalSteps}`);
  if (policy.baseModelSha256 !== undefined && policy.baseModelSha256 !== offer.baseModelSha256)
    reasons.push(
      `base model ${offer.baseModelSha256.slice(0, 12)}… is not the one this site's policy names (${policy.baseModelSha256.slice(0, 12)}…)`,
    );
  return reasons.length === 0 ? undefined : reasons.join("; ");
}
