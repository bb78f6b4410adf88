// Next-token log-likelihoods and the masked cross-entropy shared by training and evaluation.
import * as tf from "@tensorflow/tfjs";
import type { LlamaModel, LoraHook } from "../../model/llama.ts";
import type { PaddedBatch } from "./batches.ts";

/**
 * log softmax(logits)[target] with the cross-entropy gradient written out: ∂/∂logits = dy·(onehot − softmax).
 * tfjs's own gradient of logSumExp goes through max's gradient, a broadcast Equal over [B,T,V] that
 * is slow on tfjs-wasm; the target is picked with a one-hot product because tf.gather's gradient
 * needs UnsortedSegmentSum, which tfjs-wasm lacks.
 */
const logProbOfTarget = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [logits, oneHot, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
  save([logits, oneHot]);
  return {
    value: tf.sub(tf.sum(tf.mul(logits, oneHot), -1), tf.logSumExp(logits, -1)),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [savedLogits, savedOneHot] = saved as [tf.Tensor2D, tf.Tensor2D];
      const column = tf.reshape(dy, [-1, 1]);
      return [tf.mul(tf.sub(savedOneHot, tf.softmax(savedLogits)), column), tf.zerosLike(savedOneHot)];
    },
  };
}) as (logits: tf.Tensor2D, oneHot: tf.Tensor2D) => tf.Tensor1D;

/** log p(target | prefix) at every position: logits [B,T,V], targets int32 [B,T] → [B,T]. */
export function targetLogProbs(logits: tf.Tensor3D, targets: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const [batch, length, vocab] = logits.shape;
    const flat = tf.reshape<tf.Rank.R2>(logits, [batch * length, vocab]);
    const ids = tf.reshape<tf.Rank.R1>(targets, [-1]);
    const oneHot = tf.reshape<tf.Rank.R2>(tf.cast(tf.oneHot(ids, vocab), "float32"), [batch * length, vocab]);
    return tf.reshape(logProbOfTarget(flat, oneHot), [batch, length]);
  });
}

/** Σ over masked positions of −log p(target): the summed token NLL of a batch. */
export function maskedNllSum(logits: tf.Tensor3D, targets: tf.Tensor2D, mask: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.sum<tf.Scalar>(tf.mul(targetLogProbs(logits, targets), mask))));
}

/** The batch's ids, targets and mask as tensors [B,T] (the caller disposes them, or calls inside tidy). */
export function batchTensors(batch: PaddedBatch): {
  inputIds: tf.Tensor2D;
  targets: tf.Tensor2D;
  mask: tf.Tensor2D;
} {
  const shape: [number, number] = [batch.batchSize, batch.length];
  return {
    inputIds: tf.tensor2d(batch.inputIds, shape, "int32"),
    targets: tf.tensor2d(batch.targets, shape, "int32"),
    mask: tf.tensor2d(batch.mask, shape, "float32"),
  };
}

/**
 * Mean next-token NLL over the batch's scored tokens, scaled by `scoredTokens / normaliser` so that
 * shards of one batch (data-parallel workers) sum to the whole batch's mean.
 */
export function batchLoss(
  model: LlamaModel,
  lora: LoraHook | undefined,
  batch: PaddedBatch,
  normaliser: number,
): tf.Scalar {
  return tf.tidy(() => {
    const { inputIds, targets, mask } = batchTensors(batch);
    const logits = model.forward(inputIds, lora, { training: true });
    return maskedNllSum(logits, targets, mask).div(Math.max(1, normaliser));
  });
}
