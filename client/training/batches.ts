// Seeded shuffling and right-padded batches of tokenized examples, as plain typed arrays (cheap to send to workers).
import type { Rng } from "../../crypto/rng.ts";
import type { TokenizedExample } from "../data/prompt-format.ts";

/**
 * A right-padded batch, shifted for next-token prediction: position t of row b reads inputIds[b,t]
 * and is scored against targets[b,t] = ids[b,t+1] when mask[b,t] = 1. Right padding leaves the real
 * tokens' logits unchanged under causal attention, so no attention mask is needed.
 */
export interface PaddedBatch {
  readonly batchSize: number;
  readonly length: number;
  /** [batchSize·length], row-major. */
  readonly inputIds: Int32Array;
  readonly targets: Int32Array;
  readonly mask: Float32Array;
  /** Real (non-padding) input tokens of each row. */
  readonly rowTokens: Int32Array;
  /** Non-padding input tokens (what the forward pass processes). */
  readonly tokens: number;
  /** Σ mask: the tokens the loss is taken on. */
  readonly scoredTokens: number;
}

export function padBatch(examples: readonly TokenizedExample[], padId: number): PaddedBatch {
  const batchSize = examples.length;
  const length = Math.max(1, ...examples.map((e) => e.ids.length - 1));
  const inputIds = new Int32Array(batchSize * length).fill(padId);
  const targets = new Int32Array(batchSize * length).fill(padId);
  const mask = new Float32Array(batchSize * length);
  const rowTokens = new Int32Array(batchSize);
  let tokens = 0;
  let scoredTokens = 0;
  examples.forEach((example, b) => {
    const n = example.ids.length - 1;
    for (let t = 0; t < n; t++) {
      inputIds[b * length + t] = example.ids[t]!;
      targets[b * length + t] = example.ids[t + 1]!;
      const scored = example.lossMask[t + 1]!;
      mask[b * length + t] = scored;
      scoredTokens += scored;
    }
    rowTokens[b] = Math.max(0, n);
    tokens += Math.max(0, n);
  });
  return { batchSize, length, inputIds, targets, mask, rowTokens, tokens, scoredTokens };
}

/** Fisher–Yates shuffle of 0..n−1 (Knuth, TAOCP vol. 2, Alg. 3.4.2 P). */
export function shuffledIndices(n: number, rng: Rng): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.nextFloat64() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/**
 * The example indices of `count` micro-batches of `batchSize`, reshuffling at each epoch; the last
 * batch of an epoch may be smaller. External trainers receive this plan to replay the same order.
 */
export function* shuffledBatchIndices(
  exampleCount: number,
  batchSize: number,
  count: number,
  rng: Rng,
): Generator<number[]> {
  if (exampleCount === 0) return;
  let produced = 0;
  while (produced < count) {
    const order = shuffledIndices(exampleCount, rng);
    for (let start = 0; start < order.length && produced < count; start += batchSize) {
      yield order.slice(start, start + batchSize);
      produced += 1;
    }
  }
}

/** {@link shuffledBatchIndices}, padded into batches. */
export function* shuffledBatches(
  examples: readonly TokenizedExample[],
  batchSize: number,
  count: number,
  padId: number,
  rng: Rng,
): Generator<PaddedBatch> {
  for (const indices of shuffledBatchIndices(examples.length, batchSize, count, rng)) {
    yield padBatch(
      indices.map((i) => examples[i]!),
      padId,
    );
  }
}

/** Micro-batches in one epoch. */
export function batchesPerEpoch(exampleCount: number, batchSize: number): number {
  return Math.ceil(exampleCount / batchSize);
}

/** Splits a batch's rows into `parts` contiguous shards (fewer when there are fewer rows). */
export function splitBatch(batch: PaddedBatch, parts: number): PaddedBatch[] {
  const shards: PaddedBatch[] = [];
  const per = Math.ceil(batch.batchSize / parts);
  for (let start = 0; start < batch.batchSize; start += per) {
    const rows = Math.min(per, batch.batchSize - start);
    const from = start * batch.length;
    const to = (start + rows) * batch.length;
    const mask = batch.mask.slice(from, to);
    const rowTokens = batch.rowTokens.slice(start, start + rows);
    shards.push({
      batchSize: rows,
      length: batch.length,
      inputIds: batch.inputIds.slice(from, to),
      targets: batch.targets.slice(from, to),
      mask,
      rowTokens,
      tokens: rowTokens.reduce((a, b) => a + b, 0),
      scoredTokens: mask.reduce((a, b) => a + b, 0),
    });
  }
  return shards;
}
