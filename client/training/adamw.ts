// AdamW over tf.Variables, written out so that the update is exact, inspectable and leak-free.
import * as tf from "@tensorflow/tfjs";

export interface AdamWSettings {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  /** Decoupled weight decay λ: w ← w − lr·λ·w, applied apart from the adaptive step. */
  readonly weightDecay: number;
}

/** An AdamW's moments and step count, per variable in order: what carries it from one training call to the next. */
export interface AdamWState {
  readonly steps: number;
  readonly m: readonly Float32Array[];
  readonly v: readonly Float32Array[];
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

  /** Starts from `state` (an earlier AdamW's over variables of the same shapes), or from zero moments. */
  constructor(
    private readonly variables: readonly tf.Variable[],
    private readonly settings: AdamWSettings,
    state?: AdamWState,
  ) {
    const moments = (saved: readonly Float32Array[] | undefined) =>
      variables.map((w, i) => {
        const values = saved?.[i];
        if (saved !== undefined && values?.length !== w.size)
          throw new RangeError(
            `AdamW state: variable ${i} has ${w.size} values, the state ${values?.length}`,
          );
        return tf.tidy(() =>
          tf.variable(values === undefined ? tf.zerosLike(w) : tf.tensor(values, w.shape, "float32"), false),
        );
      });
    if (state !== undefined && (state.m.length !== variables.length || state.v.length !== variables.length))
      throw new RangeError(`AdamW state: ${state.m.length} moments for ${variables.length} variables`);
    this.m = moments(state?.m);
    this.v = moments(state?.v);
    this.stepCount = state?.steps ?? 0;
  }

  /** A copy of the moments and step count, from which a new AdamW continues exactly. */
  state(): AdamWState {
    return {
      steps: this.stepCount,
      // Copies: a backend may hand out its own storage.
      m: this.m.map((t) => new Float32Array(t.dataSync())),
      v: this.v.map((t) => new Float32Array(t.dataSync())),
    };
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
