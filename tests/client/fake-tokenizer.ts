// A character-level stand-in for model/tokenizer.ts in data tests: id = char code, BOS 1, EOS 2.
import type { PromptTokenizer } from "../../client/data/prompt-format.ts";

export const charTokenizer: PromptTokenizer & { decode(ids: number[]): string } = {
  vocabSize: 128,
  bosId: 1,
  eosId: 2,
  hasBos: true,
  encode: (text, options) => [
    ...(options?.addBos === true ? [1] : []),
    ...[...text].map((c) => c.charCodeAt(0) % 128),
  ],
  decode: (ids) => ids.map((id) => String.fromCharCode(id)).join(""),
};
