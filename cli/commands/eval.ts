// `fedtune eval`: perplexity or multiple-choice accuracy of a model (and adapter) on a JSONL file.
import { initBackend } from "../../model/backend.ts";
import {
  DatasetError,
  formatInvalidRow,
  loadJsonlDataset,
  type Dataset,
} from "../../client/data/load-jsonl.ts";
import { tokenizeExamples } from "../../client/data/prompt-format.ts";
import type { MultipleChoiceRow } from "../../client/data/rows.ts";
import { loadCausalLm } from "../../client/eval/causal-lm.ts";
import { evaluateMultipleChoice, type OptionScoring } from "../../client/eval/multiple-choice.ts";
import { evaluatePerplexity } from "../../client/eval/perplexity.ts";
import { UsageError, type Command } from "../command.ts";
import { MODEL_OPTION, reportInvalidRows } from "./train.ts";

/** For --task mcq, rows of other kinds are invalid like any other invalid row (fatal with --strict). */
function onlyMultipleChoice(dataset: Dataset, strict: boolean): Dataset {
  const invalid = [...dataset.invalid];
  const examples = dataset.examples.filter((example) => {
    if (example.kind === "mcq") return true;
    const bad = {
      ...example.source,
      reason: `a ${example.kind} row is not a multiple-choice row (--task mcq)`,
    };
    if (strict) throw new DatasetError(formatInvalidRow(bad));
    invalid.push(bad);
    return false;
  });
  return { file: dataset.file, examples, invalid };
}

export const evalCommand: Command = {
  path: ["eval"],
  summary: "Evaluate a model (and adapter): perplexity or multiple-choice accuracy",
  details:
    "ppl: mean NLL over every scored token of every row (responses only, as in training) and exp of it.\n" +
    "mcq: the option with the highest log-likelihood after the question (sum over its tokens, or --scoring mean).",
  options: {
    model: MODEL_OPTION,
    adapter: { type: "string", description: "PEFT adapter folder to apply" },
    data: { type: "string", description: "Evaluation data (JSONL)" },
    task: { type: "string", description: "ppl or mcq", defaultText: "ppl" },
    scoring: {
      type: "string",
      description: "mcq option score: sum or mean log-likelihood",
      defaultText: "sum",
    },
    "batch-size": { type: "string", description: "Sequences per forward pass", defaultText: "8" },
    "seq-len": { type: "string", description: "Maximum tokens per sequence", defaultText: "256" },
    strict: { type: "boolean", description: "Stop at the first invalid row" },
    json: { type: "boolean", description: "Print one JSON object" },
  },
  async run(args, ctx) {
    const task = args.choice("task", ["ppl", "mcq"] as const, "ppl");
    const scoring = args.choice<OptionScoring>("scoring", ["sum", "mean"], "sum");
    const batchSize = args.integer("batch-size", 8);
    const seqLen = args.integer("seq-len", 256);
    if (batchSize < 1 || seqLen < 2) throw new UsageError("--batch-size must be ≥ 1 and --seq-len ≥ 2");
    const strict = args.flag("strict");
    const loaded = await loadJsonlDataset(args.requireString("data"), { strict });
    const dataset = task === "mcq" ? onlyMultipleChoice(loaded, strict) : loaded;
    reportInvalidRows(dataset, ctx);

    await initBackend(ctx.logger);
    const lm = await loadCausalLm(args.string("model") ?? "builtin", args.string("adapter"), ctx.logger);
    try {
      let result: Record<string, unknown>;
      if (task === "ppl") {
        const { examples, dropped } = tokenizeExamples(dataset.examples, lm.tokenizer, seqLen);
        for (const row of dropped.slice(0, 5)) ctx.logger.warn(formatInvalidRow(row));
        if (examples.length === 0) throw new DatasetError(`${dataset.file}: no row has a token to score`);
        const ppl = evaluatePerplexity(lm, examples, { batchSize, padId: lm.tokenizer.padId });
        result = {
          task,
          examples: ppl.examples,
          tokens: ppl.tokens,
          meanNll: ppl.meanNll,
          perplexity: ppl.perplexity,
        };
      } else {
        const rows = dataset.examples.filter((e): e is MultipleChoiceRow & typeof e => e.kind === "mcq");
        const mcq = evaluateMultipleChoice(lm, rows, lm.tokenizer, { batchSize, seqLen, scoring });
        result = { task, examples: mcq.examples, accuracy: mcq.accuracy };
      }
      if (args.flag("json")) ctx.print(JSON.stringify(result));
      else
        ctx.print(
          task === "ppl"
            ? `perplexity ${Number(result.perplexity).toFixed(4)} (mean NLL ${Number(result.meanNll).toFixed(4)} over ${String(result.tokens)} tokens of ${String(result.examples)} rows)`
            : `accuracy ${Number(result.accuracy).toFixed(4)} on ${String(result.examples)} questions`,
        );
      return 0;
    } finally {
      lm.dispose();
    }
  },
};
