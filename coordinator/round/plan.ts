// The run plan (which round is training, which evaluation) and participant selection, pure and seeded.
import { uniformBelow, type Rng } from "../../crypto/rng.ts";
import type { RoundKind, SiteId } from "./stages.ts";

export interface PlannedRound {
  /** Round number, from 1, over training and evaluation rounds alike. */
  readonly round: number;
  readonly kind: RoundKind;
  /** Training rounds completed before this one: the global adapter version it starts from. */
  readonly baseVersion: number;
  /**
   * The training round it is (train) or follows (eval), from 1: `rounds: 2` gives training rounds 1 and 2
   * however many evaluation rounds come between. What operators see (admin, exports, metrics).
   */
  readonly trainingRound: number;
}

/** Whether an evaluation round follows training round `t` (1-based): every `evalEvery`-th (0: none) and the last. */
export function evaluatesAfter(t: number, trainingRounds: number, evalEvery: number): boolean {
  return t === trainingRounds || (evalEvery > 0 && t % evalEvery === 0);
}

/**
 * `trainingRounds` training rounds, with an evaluation round after every `evalEvery` of them and
 * always after the last (evalEvery = 0: only after the last).
 */
export function planRounds(trainingRounds: number, evalEvery: number): PlannedRound[] {
  const plan: PlannedRound[] = [];
  let version = 0;
  for (let t = 1; t <= trainingRounds; t++) {
    plan.push({ round: plan.length + 1, kind: "train", baseVersion: version, trainingRound: t });
    version = plan.length;
    if (evaluatesAfter(t, trainingRounds, evalEvery))
      plan.push({ round: plan.length + 1, kind: "eval", baseVersion: version, trainingRound: t });
  }
  return plan;
}

/**
 * max(minimum, ⌈fraction·n⌉) of the `available` sites, drawn uniformly without replacement
 * (partial Fisher–Yates), returned sorted; undefined when fewer than `minimum` are available.
 */
export function pickParticipants(
  available: readonly SiteId[],
  fraction: number,
  minimum: number,
  rng: Rng,
): SiteId[] | undefined {
  if (available.length < minimum) return undefined;
  const pool = [...available].sort();
  const count = Math.min(pool.length, Math.max(minimum, Math.ceil(fraction * pool.length)));
  for (let i = 0; i < count; i++) {
    const j = i + uniformBelow(rng, pool.length - i);
    [pool[i], pool[j]] = [pool[j] as SiteId, pool[i] as SiteId];
  }
  return pool.slice(0, count).sort();
}
