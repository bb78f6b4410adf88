// Gradient utilities shared by the in-process and data-parallel paths: global-norm clipping, the FedProx term.
import * as tf from "@tensorflow/tfjs";

/** √Σ‖g‖² over all tensors, as a number (one device read). */
export function globalNorm(tensors: readonly tf.Tensor[]): number {
  if (tensors.length === 0) return 0;
  const sumSq = tf.tidy(() => tf.addN(tensors.map((t) => t.square().sum())));
  const value = Math.sqrt(sumSq.dataSync()[0]!);
  sumSq.dispose();
  return value;
}

/**
 * Rescales gradients so their global norm is at most `maxNorm`, as torch.nn.utils.clip_grad_norm_
 * does (factor maxNorm/(norm + 1e-6), capped at 1). Returns new tensors and the norm before clipping;
 * the caller owns both the inputs and the outputs.
 */
export function clipByGlobalNorm(
  grads: readonly tf.Tensor[],
  maxNorm: number,
): { grads: tf.Tensor[]; norm: number } {
  const norm = globalNorm(grads);
  const factor = Math.min(1, maxNorm / (norm + 1e-6));
  return { grads: grads.map((g) => (factor < 1 ? g.mul(factor) : g.clone())), norm };
}

/**
 * The FedProx proximal term μ/2·‖w − w_global‖² (Li et al., "Federated Optimization in Heterogeneous
 * Networks", MLSys 2020, Eq. 2). `anchor` holds w_global in the order of `variables`.
 */
export interface ProximalTerm {
  readonly mu: number;
  readonly anchor: readonly tf.Tensor[];
}

/** Adds the proximal gradient μ·(w − a) to each gradient; returns new tensors (the caller owns both). */
export function addProximalGradient(
  grads: readonly tf.Tensor[],
  variables: readonly tf.Variable[],
  term: ProximalTerm,
): tf.Tensor[] {
  return tf.tidy(() => grads.map((g, i) => g.add(variables[i]!.sub(term.anchor[i]!).mul(term.mu))));
}

/** Snapshots the current values of `variables`, e.g. the global weights a round starts from. */
export function snapshotVariables(variables: readonly tf.Variable[]): tf.Tensor[] {
  return variables.map((w) => w.clone());
}
