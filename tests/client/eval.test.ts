// Perplexity, multiple-choice accuracy and greedy generation against a float64 reference over unpadded single sequences.
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LlamaModel } from "../../model/llama.ts";
import { createLoraAdapter, type LoraAdapter } from "../../model/lora.ts";
import {
  tokenizeMultipleChoice,
  tokenizeRow,
  type TokenizedExample,
} from "../../client/data/prompt-format.ts";
import type { MultipleChoiceRow } from "../../client/data/rows.ts";
import { generateGreedy } from "../../client/eval/generate.ts";
import { evaluateMultipleChoice } from "../../client/eval/multiple-choice.ts";
import { evaluatePerplexity } from "../../client/eval/perplexity.ts";
import { charTokenizer } from "./fake-tokenizer.ts";
import { startBackend, tinyModel } from "./fixtures.ts";

const tokenizer = { ...charTokenizer, padId: 0 };
let model: LlamaModel;
let adapter: LoraAdapter;

beforeAll(async () => {
  await startBackend();
  model = tinyModel(128, 11);
  adapter = createLoraAdapter(model, {
    r: 2,
    alpha: 4,
    dropout: 0,
    targetModules: ["q_proj", "up_proj"],
    mode: "standard",
    seed: 1,
  });
  // A non-zero B, so that the adapter changes the outputs.
  adapter.assign(adapter.flatten().map((_, i) => 0.3 * Math.sin(i)));
});
afterAll(() => {
  adapter.dispose();
  model.dispose();
});

/** Float64 log-softmax of the model's logits for one unpadded sequence: logProbs[t][v] predicts token t+1. */
function referenceLogProbs(ids: readonly number[]): number[][] {
  const logits = tf.tidy(() => model.forward(tf.tensor2d([ids.slice(0, -1)], undefined, "int32"), adapter));
  const [, length, vocab] = logits.shape;
  const data = logits.dataSync();
  logits.dispose();
  return Array.from({ length }, (_, t) => {
    const row = Array.from(data.subarray(t * vocab, (t + 1) * vocab), Number);
    const max = Math.max(...row);
    const logZ = max + Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
    return row.map((x) => x - logZ);
  });
}

function referenceScore(example: TokenizedExample): { ll: number; tokens: number } {
  const lp = referenceLogProbs(example.ids);
  let ll = 0;
  let tokens = 0;
  for (let t = 1; t < example.ids.length; t++) {
    if (example.lossMask[t] !== 1) continue;
    ll += lp[t - 1]![example.ids[t]!]!;
    tokens += 1;
  }
  return { ll, tokens };
}

const rows: MultipleChoiceRow[] = [
  {
    kind: "mcq",
    question: "fever?",
    labels: ["A", "B", "C"],
    options: ["flu", "a broken arm", "x"],
    answerIndex: 0,
  },
  { kind: "mcq", question: "rash", labels: ["A", "B"], options: ["measles", "gout"], answerIndex: 1 },
  { kind: "mcq", question: "cough", labels: ["A", "B"], options: ["cold", "cold!"], answerIndex: 0 },
];

describe("evaluation", () => {
  it("gives the mean NLL over every scored token, whatever the padding, without leaking", () => {
    const examples = [
      tokenizeRow({ kind: "text", text: "the patient has a fever" }, tokenizer, 64),
      tokenizeRow({ kind: "instruction", instruction: "dx", output: "flu" }, tokenizer, 64),
      tokenizeRow({ kind: "text", text: "ok" }, tokenizer, 64),
    ];
    evaluatePerplexity({ model, adapter }, examples, { batchSize: 2, padId: 0 }); // warm per-length caches
    const before = tf.memory().numTensors;
    const result = evaluatePerplexity({ model, adapter }, examples, { batchSize: 2, padId: 0 });
    expect(tf.memory().numTensors).toBe(before);
    const reference = examples.map(referenceScore);
    const tokens = reference.reduce((n, r) => n + r.tokens, 0);
    const meanNll = -reference.reduce((s, r) => s + r.ll, 0) / tokens;
    expect(result.examples).toBe(3);
    expect(result.tokens).toBe(tokens);
    expect(result.meanNll).toBeCloseTo(meanNll, 4);
    expect(result.perplexity).toBeCloseTo(Math.exp(meanNll), 2);
  });

  it("picks the option with the highest summed (or mean) log-likelihood", () => {
    for (const scoring of ["sum", "mean"] as const) {
      const result = evaluateMultipleChoice({ model, adapter }, rows, tokenizer, {
        batchSize: 4,
        seqLen: 64,
        scoring,
      });
      const expected = rows.map((row) => {
        const choice = tokenizeMultipleChoice(row, tokenizer, 64);
        const scores = choice.options.map((option) => {
          const s = referenceScore({
            ids: [...choice.context, ...option],
            lossMask: [...choice.context.map(() => 0), ...option.map(() => 1)],
          });
          return scoring === "sum" ? s.ll : s.ll / s.tokens;
        });
        return scores.indexOf(Math.max(...scores));
      });
      expect(result.predictions).toEqual(expected);
      const correct = expected.filter((p, i) => p === rows[i]!.answerIndex).length;
      expect(result.accuracy).toBeCloseTo(correct / rows.length, 12);
    }
  });

  it("generates greedily: each token is the argmax after the prefix, up to the budget", () => {
    const prompt = [1, ...charTokenizer.encode("fever")];
    const generated = generateGreedy({ model, adapter }, prompt, {
      maxTokens: 4,
      stopIds: [2],
      contextLength: 64,
    });
    expect(generated.length).toBeLessThanOrEqual(4);
    const sequence = [...prompt];
    for (const id of generated) {
      const lp = referenceLogProbs([...sequence, 0]).at(-1)!;
      expect(id).toBe(lp.indexOf(Math.max(...lp)));
      sequence.push(id);
    }
    const stopAtFirst = generateGreedy({ model, adapter }, prompt, {
      maxTokens: 4,
      stopIds: [generated[0]!],
      contextLength: 64,
    });
    expect(stopAtFirst).toEqual([]);
  });
});
