// The one place that turns a row into token ids and a loss mask: prompt templates, BOS/EOS, truncation.
import type { DatasetRow, Example, InstructionRow, MultipleChoiceRow } from "./rows.ts";
import type { InvalidRow } from "./load-jsonl.ts";
import type { Tokenizer } from "../../model/tokenizer.ts";

/** What formatting needs from a tokenizer. */
export type PromptTokenizer = Pick<Tokenizer, "encode" | "vocabSize" | "bosId" | "eosId" | "hasBos">;

/** Token ids and, per token, 1 when it is a training target (predicted from the tokens before it). */
export interface TokenizedExample {
  readonly ids: number[];
  readonly lossMask: number[];
}

/** A piece of text and whether its tokens are targets. */
interface Segment {
  readonly text: string;
  readonly scored: boolean;
  /** Append EOS after the text (scored like the text), ending a response. */
  readonly eos?: boolean;
}

// Alpaca-style section headers (Taori et al. 2023) without Alpaca's preamble sentence, which would
// spend most of a small model's context on boilerplate.
export function instructionPrompt(row: Pick<InstructionRow, "instruction" | "input">): string {
  const input = row.input !== undefined ? `### Input:\n${row.input}\n\n` : "";
  return `### Instruction:\n${row.instruction}\n\n${input}### Response:\n`;
}

const CHAT_HEADERS = { system: "### System:\n", user: "### User:\n", assistant: "### Assistant:\n" } as const;

/** The question and its labelled options; the answer is the chosen option's text. */
export function multipleChoicePrompt(
  row: Pick<MultipleChoiceRow, "question" | "labels" | "options">,
): string {
  const options = row.options.map((option, i) => `${row.labels[i]}. ${option}\n`).join("");
  return `### Question:\n${row.question}\n${options}\n### Answer:\n`;
}

function segmentsOf(row: Exclude<DatasetRow, { kind: "input_ids" }>): Segment[] {
  switch (row.kind) {
    case "instruction":
      return [
        { text: instructionPrompt(row), scored: false },
        { text: row.output, scored: true, eos: true },
      ];
    case "chat":
      return row.messages.flatMap((m): Segment[] =>
        m.role === "assistant"
          ? [
              { text: CHAT_HEADERS.assistant, scored: false },
              { text: m.content, scored: true, eos: true },
              { text: "\n\n", scored: false },
            ]
          : [{ text: `${CHAT_HEADERS[m.role]}${m.content}\n\n`, scored: false }],
      );
    case "mcq":
      return [
        { text: multipleChoicePrompt(row), scored: false },
        { text: row.options[row.answerIndex]!, scored: true, eos: true },
      ];
    case "text":
      return [{ text: row.text, scored: true, eos: true }];
  }
}

/** Encodes text without BOS (segments are encoded one by one so mask boundaries are exact). */
function encodePlain(tokenizer: PromptTokenizer, text: string): number[] {
  return text === "" ? [] : tokenizer.encode(text, { addBos: false });
}

/** [BOS] when the tokenizer has one of its own (Qwen2's has none, and HF adds none). */
function bosIds(tokenizer: PromptTokenizer): number[] {
  return tokenizer.hasBos ? [tokenizer.bosId] : [];
}

/**
 * Tokenizes a row: BOS, then each segment, EOS after each response. Loss falls on response tokens
 * only (the output, assistant turns, the correct option) and, for `text` and `input_ids` rows, on every
 * token after the first. `input_ids` rows are used as given (no BOS/EOS added). The result is
 * right-truncated to `seqLen` tokens.
 */
export function tokenizeRow(row: DatasetRow, tokenizer: PromptTokenizer, seqLen: number): TokenizedExample {
  let ids: number[];
  let lossMask: number[];
  if (row.kind === "input_ids") {
    ids = [...row.inputIds];
    lossMask = row.lossMask ? [...row.lossMask] : ids.map(() => 1);
  } else {
    ids = bosIds(tokenizer);
    lossMask = ids.map(() => 0);
    for (const segment of segmentsOf(row)) {
      const pieceIds = encodePlain(tokenizer, segment.text);
      if (segment.eos === true) pieceIds.push(tokenizer.eosId);
      ids.push(...pieceIds);
      lossMask.push(...pieceIds.map(() => (segment.scored ? 1 : 0)));
    }
  }
  // The first token has nothing before it to be predicted from.
  if (lossMask.length > 0) lossMask[0] = 0;
  return { ids: ids.slice(0, seqLen), lossMask: lossMask.slice(0, seqLen) };
}

export function scoredTokens(example: TokenizedExample): number {
  return example.lossMask.reduce((a, b) => a + b, 0);
}

export interface TokenizedDataset {
  readonly examples: TokenizedExample[];
  /** Rows dropped at this stage: out-of-vocabulary ids, or no target left within `seqLen`. */
  readonly dropped: InvalidRow[];
}

/** Tokenizes every example, dropping (and naming by file:line) those that cannot be trained on. */
export function tokenizeExamples(
  examples: readonly Example[],
  tokenizer: PromptTokenizer,
  seqLen: number,
): TokenizedDataset {
  const out: TokenizedExample[] = [];
  const dropped: InvalidRow[] = [];
  for (const example of examples) {
    const { file, line } = example.source;
    if (example.kind === "input_ids") {
      const bad = example.inputIds.find((id) => id >= tokenizer.vocabSize);
      if (bad !== undefined) {
        dropped.push({
          file,
          line,
          reason: `token id ${bad} is outside the vocabulary (${tokenizer.vocabSize})`,
        });
        continue;
      }
    }
    const tokenized = tokenizeRow(example, tokenizer, seqLen);
    if (scoredTokens(tokenized) === 0) {
      dropped.push({ file, line, reason: `no target tokens within the first ${seqLen} tokens (--seq-len)` });
      continue;
    }
    out.push(tokenized);
  }
  return { examples: out, dropped };
}

/** A multiple-choice row as a shared context and one continuation per option, for log-likelihood scoring. */
export interface MultipleChoiceTokens {
  readonly context: number[];
  readonly options: number[][];
  readonly answerIndex: number;
}

/**
 * Tokenizes a multiple-choice row for scoring: the context is the prompt (left-truncated so that
 * context + longest option fits `seqLen`), each option is its text's tokens (no EOS).
 */
export function tokenizeMultipleChoice(
  row: MultipleChoiceRow,
  tokenizer: PromptTokenizer,
  seqLen: number,
): MultipleChoiceTokens {
  const options = row.options.map((option) => encodePlain(tokenizer, option).slice(0, seqLen - 1));
  const longest = Math.max(...options.map((o) => o.length));
  const context = contextIds(tokenizer, multipleChoicePrompt(row), seqLen - longest);
  return { context, options, answerIndex: row.answerIndex };
}

/** BOS + the prompt's tokens, keeping the last `maxTokens` (the part nearest the continuation). */
export function contextIds(tokenizer: PromptTokenizer, prompt: string, maxTokens: number): number[] {
  const bos = bosIds(tokenizer);
  const body = encodePlain(tokenizer, prompt);
  const keep = Math.max(1, maxTokens - bos.length);
  return [...bos, ...body.slice(Math.max(0, body.length - keep))];
}
