// AdamW over tf.Variables, written out so that the update is exact, inspectable and leak-free.
import * as tf from "@tensorflow/tfjs";

export interface AdamWSettings {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  /** Decoupled weight decay λ: w ← w − lr·λ·w, applied apart from the adaptive step. */
  readonly weightDecay: number;
}

/**
 * Loshchilov & Hutter, "Decoupled Weight Decay Regularization" (ICLR 2019), Alg. 2, in the form
 * PyTorch's torch.optim.AdamW uses: decay first (w ← w·(1 − lr·λ)), then the bias-corrected Adam
 * step w ← w − lr·m̂/(√v̂ + ε).
 */
export class AdamW {
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];
  private stepCount = 0;

  constructor(
    private readonly variables: readonly tf.Variable[],
    private readonly settings: AdamWSettings,
  ) {
    const zeros = (w: tf.Variable): tf.Variable => tf.tidy(() => tf.variable(tf.zerosLike(w), false));
    this.m = variables.map(zeros);
    this.v = variables.map(zeros);
  }

  /** Optimizer steps taken so far. */
  get steps(): number {
    return this.stepCount;
  }

  /** Applies one update with gradients in the order of `variables`; does not dispose `grads`. */
  apply(grads: readonly tf.Tensor[], learningRate: number): void {
    if (grads.length !== this.variables.length) {
      throw new RangeError(`AdamW: ${grads.length} gradients for ${this.variables.length} variables`);
    }
    this.stepCount += 1;
    const { beta1, beta2, epsilon, weightDecay } = this.settings;
    const c1 = 1 - beta1 ** this.stepCount;
    const c2 = 1 - beta2 ** this.stepCount;
    tf.tidy(() => {
      this.variables.forEach((w, i) => {
        const g = grads[i]!;
        const m = this.m[i]!;
        const v = this.v[i]!;
        const mNext = m.mul(beta1).add(g.mul(1 - beta1));
        const vNext = v.mul(beta2).add(g.square().mul(1 - beta2));
        m.assign(mNext);
        v.assign(vNext);
        const update = mNext.div(c1).div(vNext.div(c2).sqrt().add(epsilon));
        w.assign(w.mul(1 - learningRate * weightDecay).sub(update.mul(learningRate)));
      });
    });
  }

  dispose(): void {
    for (const t of [...this.m, ...this.v]) t.dispose();
  }
}
