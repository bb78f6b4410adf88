// Trains a small byte-level BPE tokenizer and writes it as HF tokenizer.json + tokenizer_config.json.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { bytesToUnicode, buildPreTokenizer } from "./tokenizer-pipeline.ts";

export interface SpecialTokens {
  readonly bos: string;
  readonly eos: string;
  readonly pad: string;
}

export interface BpeTrainerOptions {
  /** Total vocabulary: special tokens + 256 byte tokens + merged tokens. */
  readonly vocabSize: number;
  readonly specialTokens: SpecialTokens;
  /** A pair seen fewer times than this is never merged (default 2). */
  readonly minFrequency?: number;
  /** Recorded as model_max_length in tokenizer_config.json. */
  readonly modelMaxLength: number;
}

export interface TrainedTokenizerFiles {
  /** The contents of tokenizer.json (tokenizers 0.20+ layout, merges as pairs). */
  readonly tokenizerJson: Record<string, unknown>;
  readonly tokenizerConfig: Record<string, unknown>;
}

// Qwen2's split pattern (Qwen/Qwen2 tokenizer.json): GPT-4-style words, single digits, so that lab values
// and vital signs do not each need their own tokens.
const SPLIT_REGEX =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

const PRE_TOKENIZER_JSON = {
  type: "Sequence",
  pretokenizers: [
    { type: "Split", pattern: { Regex: SPLIT_REGEX }, behavior: "Isolated", invert: false },
    { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false },
  ],
};

interface WordEntry {
  symbols: number[];
  readonly count: number;
}

/** Counts adjacent symbol pairs of every word, weighted by word frequency, and indexes which words hold each pair. */
class PairStats {
  readonly counts = new Map<number, number>();
  readonly wordsWith = new Map<number, Set<number>>();

  constructor(private readonly base: number) {}

  key(a: number, b: number): number {
    return a * this.base + b;
  }

  add(word: WordEntry, index: number, sign: 1 | -1): void {
    const s = word.symbols;
    for (let i = 0; i + 1 < s.length; i++) {
      const key = this.key(s[i]!, s[i + 1]!);
      const next = (this.counts.get(key) ?? 0) + sign * word.count;
      if (next === 0) this.counts.delete(key);
      else this.counts.set(key, next);
      if (sign === 1) {
        let set = this.wordsWith.get(key);
        if (set === undefined) this.wordsWith.set(key, (set = new Set()));
        set.add(index);
      }
    }
  }
}

/**
 * Learns merges greedily: repeatedly merge the most frequent adjacent pair (Sennrich et al. 2016, Alg. 1),
 * ties broken by the smaller pair of ids, so the result depends only on the texts.
 */
export function trainByteLevelBpe(
  texts: Iterable<string>,
  options: BpeTrainerOptions,
): TrainedTokenizerFiles {
  const minFrequency = options.minFrequency ?? 2;
  const specials = [options.specialTokens.bos, options.specialTokens.eos, options.specialTokens.pad];
  if (new Set(specials).size !== specials.length) throw new RangeError("special tokens must be distinct");
  const byteChars = bytesToUnicode();
  const alphabetSize = specials.length + byteChars.length;
  if (options.vocabSize < alphabetSize) throw new RangeError(`vocabSize must be at least ${alphabetSize}`);

  const tokens: string[] = [...specials, ...byteChars];
  const idOf = new Map(tokens.map((t, i) => [t, i]));

  const preTokenize = buildPreTokenizer(PRE_TOKENIZER_JSON, "bpe-trainer");
  const wordCounts = new Map<string, number>();
  for (const text of texts) {
    for (const piece of preTokenize([{ text, atStart: true }])) {
      wordCounts.set(piece.text, (wordCounts.get(piece.text) ?? 0) + 1);
    }
  }
  // Sorted so the training order, and hence tie-breaking, does not depend on insertion order.
  const words: WordEntry[] = [...wordCounts.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([word, count]) => ({ symbols: Array.from(word, (ch) => idOf.get(ch)!), count }));

  const base = options.vocabSize + 1;
  const stats = new PairStats(base);
  words.forEach((w, i) => stats.add(w, i, 1));

  const merges: [string, string][] = [];
  while (tokens.length < options.vocabSize) {
    let bestKey = -1;
    let bestCount = 0;
    for (const [key, count] of stats.counts) {
      if (count > bestCount || (count === bestCount && key < bestKey)) {
        bestKey = key;
        bestCount = count;
      }
    }
    if (bestKey < 0 || bestCount < minFrequency) break;
    const a = Math.floor(bestKey / base);
    const b = bestKey % base;
    const merged = tokens[a]! + tokens[b]!;
    let mergedId = idOf.get(merged);
    if (mergedId === undefined) {
      mergedId = tokens.length;
      tokens.push(merged);
      idOf.set(merged, mergedId);
    }
    merges.push([tokens[a]!, tokens[b]!]);
    const affected = [...(stats.wordsWith.get(bestKey) ?? [])];
    stats.wordsWith.delete(bestKey);
    for (const index of affected) {
      const word = words[index]!;
      stats.add(word, index, -1);
      const out: number[] = [];
      for (let i = 0; i < word.symbols.length; i++) {
        if (i + 1 < word.symbols.length && word.symbols[i] === a && word.symbols[i + 1] === b) {
          out.push(mergedId);
          i++;
        } else {
          out.push(word.symbols[i]!);
        }
      }
      word.symbols = out;
      stats.add(word, index, 1);
    }
  }

  const { bos, eos, pad } = options.specialTokens;
  const addedTokens = specials.map((content, id) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));
  const tokenizerJson = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer: null,
    pre_tokenizer: PRE_TOKENIZER_JSON,
    // BOS before every sequence when transformers encodes with add_special_tokens (the LLaMA 3 layout).
    post_processor: {
      type: "TemplateProcessing",
      single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
      pair: [
        { SpecialToken: { id: bos, type_id: 0 } },
        { Sequence: { id: "A", type_id: 0 } },
        { SpecialToken: { id: bos, type_id: 1 } },
        { Sequence: { id: "B", type_id: 1 } },
      ],
      special_tokens: { [bos]: { id: bos, ids: [0], tokens: [bos] } },
    },
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries(tokens.map((t, i) => [t, i])),
      merges,
    },
  };
  const tokenizerConfig = {
    tokenizer_class: "PreTrainedTokenizerFast",
    add_bos_token: true,
    add_eos_token: false,
    bos_token: bos,
    eos_token: eos,
    pad_token: pad,
    model_max_length: options.modelMaxLength,
    clean_up_tokenization_spaces: false,
  };
  return { tokenizerJson, tokenizerConfig };
}

/** Writes tokenizer.json and tokenizer_config.json into `dir` (created if missing). */
export async function writeTokenizerFiles(dir: string, files: TrainedTokenizerFiles): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "tokenizer.json"), `${JSON.stringify(files.tokenizerJson, null, 2)}\n`);
  await writeFile(join(dir, "tokenizer_config.json"), `${JSON.stringify(files.tokenizerConfig, null, 2)}\n`);
}
