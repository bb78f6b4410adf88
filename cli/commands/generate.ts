// `fedtune generate`: greedy generation from a prompt with a model (and adapter).
import { initBackend } from "../../model/backend.ts";
import { contextIds, instructionPrompt } from "../../client/data/prompt-format.ts";
import { loadCausalLm } from "../../client/eval/causal-lm.ts";
import { generateGreedy } from "../../client/eval/generate.ts";
import { UsageError, type Command } from "../command.ts";
import { MODEL_OPTION } from "./train.ts";

/** Printed instead of an empty line, which reads like a failure. */
export const STOPPED_AT_ONCE =
  "(no text: the model's first token was end-of-sequence, so it stopped at once; try --template instruction, another prompt, or an adapter)";

export const generateCommand: Command = {
  path: ["generate"],
  summary: "Greedy generation from a prompt",
  details:
    "--template instruction wraps the prompt in the instruction format that `fedtune train` uses\n" +
    "(### Instruction: … ### Response:), so an adapter trained on instruction rows answers it.",
  options: {
    model: MODEL_OPTION,
    adapter: { type: "string", description: "PEFT adapter folder to apply" },
    prompt: { type: "string", description: "The prompt text" },
    "max-tokens": { type: "string", description: "Most tokens to generate", defaultText: "64" },
    template: { type: "string", description: "raw or instruction", defaultText: "raw" },
    json: {
      type: "boolean",
      description:
        'Print {"prompt","completion","tokens","stoppedBy"} as one JSON object (stoppedBy: eos or max-tokens)',
    },
  },
  async run(args, ctx) {
    const prompt = args.requireString("prompt");
    const maxTokens = args.integer("max-tokens", 64);
    if (maxTokens < 1) throw new UsageError(`--max-tokens must be ≥ 1, got ${maxTokens}`);
    const template = args.choice("template", ["raw", "instruction"] as const, "raw");
    await initBackend(ctx.logger);
    const lm = await loadCausalLm(args.string("model") ?? "builtin", args.string("adapter"), ctx.logger);
    try {
      const contextLength = lm.model.config.maxPositionEmbeddings;
      const text = template === "instruction" ? instructionPrompt({ instruction: prompt }) : prompt;
      const ids = generateGreedy(lm, contextIds(lm.tokenizer, text, contextLength), {
        maxTokens,
        stopIds: [lm.tokenizer.eosId],
        contextLength,
      });
      const completion = lm.tokenizer.decode(ids);
      // Fewer tokens than asked for means the model chose end-of-sequence.
      const stoppedBy = ids.length < maxTokens ? "eos" : "max-tokens";
      if (args.flag("json")) {
        ctx.print(JSON.stringify({ prompt, completion, tokens: ids.length, stoppedBy }));
      } else if (ids.length === 0) {
        ctx.print(STOPPED_AT_ONCE);
      } else {
        ctx.print(completion);
      }
      return 0;
    } finally {
      lm.dispose();
    }
  },
};
