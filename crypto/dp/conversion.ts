// RDP → (ε, δ)-DP conversions: the improved bound dp_accounting uses today and the classic bound of older TF Privacy releases.
import { ParameterError } from "../errors.ts";

/**
 * - `balle2020`: ε = r + log1p(−1/α) − log(δ·α)/(α − 1), with the KL shortcut for tiny r — Balle et al.,
 *   "Hypothesis testing interpretations and Rényi DP", AISTATS 2020, Thm. 21; Canonne, Kamath & Steinke 2020,
 *   Prop. 12 (arXiv:2004.00010 v4). This is dp_accounting's `compute_epsilon`, and Opacus' since v1.0.
 * - `mironov2017`: ε = r − log(δ)/(α − 1) (Mironov, "Rényi Differential Privacy", CSF 2017, Prop. 3): what
 *   TF Privacy's `get_privacy_spent` used before 2020; its published tutorial values were computed with it.
 */
export type RdpConversion = "balle2020" | "mironov2017";

export interface EpsilonAtOrder {
  readonly epsilon: number;
  /** The RDP order that gave the smallest ε (0 when δ = 0, as in dp_accounting). */
  readonly order: number;
}

export interface DeltaAtOrder {
  readonly delta: number;
  readonly order: number;
}

function checkLists(orders: readonly number[], rdp: readonly number[]): void {
  if (orders.length !== rdp.length || orders.length === 0)
    throw new ParameterError("orders and rdp must be non-empty lists of the same length");
  for (let i = 0; i < orders.length; i++) {
    if (!((orders[i] ?? 0) >= 1)) throw new ParameterError(`RDP order must be ≥ 1, got ${orders[i]}`);
    if (!((rdp[i] ?? -1) >= 0)) throw new ParameterError(`RDP must be ≥ 0, got ${rdp[i]}`);
  }
}

function epsilonAt(order: number, rdp: number, delta: number, conversion: RdpConversion): number {
  if (conversion === "mironov2017") return rdp - Math.log(delta) / (order - 1);
  // KL bound δ ≤ sqrt(1 − exp(−KL)) gives ε = 0 outright (dp_accounting compute_epsilon).
  if (delta * delta + Math.expm1(-rdp) > 0) return 0;
  // The improved bound is numerically unstable as α → 1, so dp_accounting skips α ≤ 1.01.
  if (order > 1.01) return rdp + Math.log1p(-1 / order) - Math.log(delta * order) / (order - 1);
  return Infinity;
}

/** The smallest ε over all orders for a target δ. */
export function epsilonFromRdp(
  orders: readonly number[],
  rdp: readonly number[],
  delta: number,
  conversion: RdpConversion = "balle2020",
): EpsilonAtOrder {
  if (!(delta >= 0 && delta <= 1)) throw new ParameterError(`delta must be in [0, 1], got ${delta}`);
  checkLists(orders, rdp);
  if (delta === 0) return { epsilon: rdp.every((r) => r === 0) ? 0 : Infinity, order: 0 };
  let best = Infinity;
  let bestOrder = orders[0] ?? 0;
  for (let i = 0; i < orders.length; i++) {
    const order = orders[i] ?? 0;
    const eps = epsilonAt(order, rdp[i] ?? 0, delta, conversion);
    // NaN (∞ − ∞) never wins, matching numpy's nanargmin in the older code paths.
    if (eps < best) {
      best = eps;
      bestOrder = order;
    }
  }
  return { epsilon: Math.max(0, best), order: bestOrder };
}

/** The smallest δ over all orders for a target ε (dp_accounting `compute_delta`, balle2020 only). */
export function deltaFromRdp(
  orders: readonly number[],
  rdp: readonly number[],
  epsilon: number,
): DeltaAtOrder {
  if (!(epsilon >= 0)) throw new ParameterError(`epsilon must be ≥ 0, got ${epsilon}`);
  checkLists(orders, rdp);
  let bestLogDelta = Infinity;
  let bestOrder = orders[0] ?? 0;
  for (let i = 0; i < orders.length; i++) {
    const order = orders[i] ?? 0;
    const r = rdp[i] ?? 0;
    let logDelta = r === 0 ? -Infinity : 0.5 * Math.log1p(-Math.exp(-r));
    if (order > 1.01) {
      const rdpBound = (order - 1) * (r - epsilon + Math.log1p(-1 / order)) - Math.log(order);
      logDelta = Math.min(logDelta, rdpBound);
    }
    if (logDelta < bestLogDelta) {
      bestLogDelta = logDelta;
      bestOrder = order;
    }
  }
  return { delta: Math.min(Math.exp(bestLogDelta), 1), order: bestOrder };
}
