// Loads an HF tokenizer.json (BPE: byte-level as LLaMA 3 / Qwen2 / SmolLM, SentencePiece-style as LLaMA 2 / Mistral) and encodes and decodes text.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { BpeModel } from "./tokenizer-bpe.ts";
import { TokenizerError, tokenizerErrorFromZod } from "./tokenizer-error.ts";
import { buildDecoder, buildNormalizer, buildPreTokenizer, escapeRegExp } from "./tokenizer-pipeline.ts";
import type { Decoder, Normalizer, PreTokenizer } from "./tokenizer-pipeline.ts";

export { TokenizerError } from "./tokenizer-error.ts";

export interface EncodeOptions {
  /** Put the BOS token first (default false: callers concatenate prompt and response pieces). */
  readonly addBos?: boolean;
  /** Put the EOS token last (default false). */
  readonly addEos?: boolean;
}

export interface DecodeOptions {
  /** Leave out special added tokens such as BOS, EOS and padding (default true). */
  readonly skipSpecialTokens?: boolean;
}

const addedTokenSchema = z.object({
  id: z.number().int().min(0),
  content: z.string().min(1),
  single_word: z.boolean().default(false),
  lstrip: z.boolean().default(false),
  rstrip: z.boolean().default(false),
  special: z.boolean().default(false),
});
type AddedToken = z.infer<typeof addedTokenSchema>;

const tokenizerJsonSchema = z.object({
  added_tokens: z.array(addedTokenSchema).nullish(),
  normalizer: z.unknown(),
  pre_tokenizer: z.unknown(),
  decoder: z.unknown(),
  model: z.object({ type: z.string().optional() }).loose(),
});

const bpeModelSchema = z.object({
  vocab: z.record(z.string(), z.number().int().min(0)),
  merges: z.array(z.union([z.string(), z.tuple([z.string(), z.string()])])),
  unk_token: z.string().nullish(),
  fuse_unk: z.boolean().default(false),
  byte_fallback: z.boolean().default(false),
  ignore_merges: z.boolean().default(false),
  continuing_subword_prefix: z.string().nullish(),
  end_of_word_suffix: z.string().nullish(),
});

// A special token in tokenizer_config.json is a string or an AddedToken object ({"content": …}).
const specialTokenSchema = z.union([z.string(), z.object({ content: z.string() }).loose()]).nullish();

/** The parts of tokenizer_config.json / special_tokens_map.json that fedtune reads. */
export const tokenizerConfigSchema = z
  .object({
    bos_token: specialTokenSchema,
    eos_token: specialTokenSchema,
    pad_token: specialTokenSchema,
    unk_token: specialTokenSchema,
  })
  .loose();
export type TokenizerConfig = z.input<typeof tokenizerConfigSchema>;

// Conventional spellings, tried in order when tokenizer_config.json does not name the token.
const BOS_CANDIDATES = ["<s>", "<|begin_of_text|>", "<|startoftext|>", "<bos>"];
const EOS_CANDIDATES = ["</s>", "<|end_of_text|>", "<|endoftext|>", "<|eot_id|>", "<|im_end|>", "<eos>"];

function parseMerges(
  merges: readonly (string | readonly [string, string])[],
  where: string,
): [string, string][] {
  return merges.map((m, i) => {
    if (typeof m !== "string") return [m[0], m[1]];
    const parts = m.split(" ");
    if (parts.length !== 2)
      throw new TokenizerError(`${where}.merges[${i}]`, `expected "a b", got ${JSON.stringify(m)}`);
    return [parts[0]!, parts[1]!];
  });
}

function buildBpeModel(modelJson: unknown, where: string): BpeModel {
  const type = (modelJson as { type?: string }).type;
  if (type !== undefined && type !== "BPE") {
    throw new TokenizerError(
      `${where}.type`,
      `unsupported tokenizer model type "${type}" (fedtune supports BPE: byte-level and SentencePiece-style)`,
    );
  }
  const parsed = bpeModelSchema.safeParse(modelJson);
  if (!parsed.success) throw tokenizerErrorFromZod(parsed.error, where);
  const spec = parsed.data;
  if ((spec.continuing_subword_prefix ?? "") !== "" || (spec.end_of_word_suffix ?? "") !== "") {
    throw new TokenizerError(where, "continuing_subword_prefix / end_of_word_suffix are not supported");
  }
  return new BpeModel(
    {
      vocab: new Map(Object.entries(spec.vocab)),
      merges: parseMerges(spec.merges, where),
      unkToken: spec.unk_token ?? null,
      fuseUnk: spec.fuse_unk,
      byteFallback: spec.byte_fallback,
      ignoreMerges: spec.ignore_merges,
    },
    where,
  );
}

/** A text segment: either an added token found verbatim or a span for the normalizer / pre-tokenizer / model. */
type Segment =
  | { readonly kind: "added"; readonly id: number }
  | { readonly kind: "text"; readonly text: string; readonly start: number };

/** A BPE tokenizer built from an HF tokenizer.json. */
export class Tokenizer {
  /** One more than the largest token id (vocabulary and added tokens). */
  readonly vocabSize: number;
  readonly bosId: number;
  readonly eosId: number;
  /** The padding token; EOS when the tokenizer defines none (the usual convention for LLaMA-family models). */
  readonly padId: number;
  /** Whether the tokenizer defines a BOS token of its own; when it does not (Qwen2), `bosId` is `eosId`. */
  readonly hasBos: boolean;

  private readonly model: BpeModel;
  private readonly normalizer: Normalizer;
  private readonly preTokenizer: PreTokenizer;
  private readonly decoder: Decoder;
  private readonly tokenIds: ReadonlyMap<string, number>;
  private readonly idTokens: readonly (string | undefined)[];
  private readonly addedByContent: ReadonlyMap<string, AddedToken>;
  private readonly addedPattern: RegExp | null;
  private readonly specialIds: ReadonlySet<number>;

  /**
   * Builds a tokenizer from the parsed contents of tokenizer.json and (optionally) tokenizer_config.json.
   * `source` names the file in error messages.
   */
  constructor(tokenizerJson: unknown, config: TokenizerConfig = {}, source = "tokenizer.json") {
    const parsed = tokenizerJsonSchema.safeParse(tokenizerJson);
    if (!parsed.success) throw tokenizerErrorFromZod(parsed.error, source);
    const json = parsed.data;
    const parsedConfig = tokenizerConfigSchema.safeParse(config);
    if (!parsedConfig.success) throw tokenizerErrorFromZod(parsedConfig.error, "tokenizer_config.json");

    this.model = buildBpeModel(json.model, `${source}: model`);
    this.normalizer = buildNormalizer(json.normalizer, `${source}: normalizer`);
    this.preTokenizer = buildPreTokenizer(json.pre_tokenizer, `${source}: pre_tokenizer`);
    this.decoder = buildDecoder(json.decoder, `${source}: decoder`);

    const tokenIds = new Map(Object.entries((json.model as { vocab: Record<string, number> }).vocab));
    const addedTokens = json.added_tokens ?? [];
    for (const added of addedTokens) tokenIds.set(added.content, added.id);
    this.tokenIds = tokenIds;
    const idTokens: (string | undefined)[] = [];
    for (const [token, id] of tokenIds) idTokens[id] = token;
    this.idTokens = idTokens;
    this.vocabSize = idTokens.length;
    this.addedByContent = new Map(addedTokens.map((t) => [t.content, t]));
    this.specialIds = new Set(addedTokens.filter((t) => t.special).map((t) => t.id));
    // Longest first, so that the alternation prefers "<|im_start|>" over a shorter token it contains.
    const contents = addedTokens.map((t) => t.content).sort((a, b) => b.length - a.length);
    this.addedPattern = contents.length === 0 ? null : new RegExp(contents.map(escapeRegExp).join("|"), "gu");

    const cfg = parsedConfig.data;
    const resolve = (
      field: "bos_token" | "eos_token" | "pad_token",
      candidates: readonly string[],
    ): number | null => {
      const named = cfg[field];
      if (named !== undefined && named !== null) {
        const content = typeof named === "string" ? named : named.content;
        const id = tokenIds.get(content);
        if (id === undefined)
          throw new TokenizerError(`tokenizer_config.json: ${field}`, `"${content}" is not a token`);
        return id;
      }
      for (const candidate of candidates) {
        const id = tokenIds.get(candidate);
        if (id !== undefined) return id;
      }
      return null;
    };
    const eosId = resolve("eos_token", EOS_CANDIDATES);
    if (eosId === null) {
      throw new TokenizerError(source, "no EOS token: name one as eos_token in tokenizer_config.json");
    }
    // Qwen2 sets bos_token to null explicitly; only guess when the field is absent.
    const bosId = cfg.bos_token === null ? null : resolve("bos_token", BOS_CANDIDATES);
    this.eosId = eosId;
    this.hasBos = bosId !== null;
    this.bosId = bosId ?? eosId;
    this.padId = resolve("pad_token", []) ?? eosId;
  }

  /** Token ids of `text`: added tokens are split out first, the rest is normalized, pre-tokenized and BPE-encoded. */
  encode(text: string, options: EncodeOptions = {}): number[] {
    const ids: number[] = [];
    if (options.addBos === true) ids.push(this.bosId);
    for (const segment of this.splitAddedTokens(text)) {
      if (segment.kind === "added") {
        ids.push(segment.id);
        continue;
      }
      const normalized = this.normalizer(segment.text);
      if (normalized.length === 0) continue;
      for (const piece of this.preTokenizer([{ text: normalized, atStart: segment.start === 0 }])) {
        // A loop, not push(...ids): one SentencePiece-style pre-token can be a whole document.
        if (piece.text.length > 0) for (const id of this.model.tokenize(piece.text)) ids.push(id);
      }
    }
    if (options.addEos === true) ids.push(this.eosId);
    return ids;
  }

  /** The text of `ids`; an id outside the vocabulary is a RangeError. */
  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    const skipSpecial = options.skipSpecialTokens ?? true;
    const tokens: string[] = [];
    for (const id of ids) {
      const token = this.idTokens[id];
      if (token === undefined)
        throw new RangeError(`token id ${id} is not in the vocabulary (size ${this.vocabSize})`);
      if (skipSpecial && this.specialIds.has(id)) continue;
      tokens.push(token);
    }
    return this.decoder(tokens).join("");
  }

  /** The id of a token string (vocabulary or added token), or undefined. */
  tokenToId(token: string): number | undefined {
    return this.tokenIds.get(token);
  }

  /** The token string of an id, or undefined. */
  idToToken(id: number): string | undefined {
    return this.idTokens[id];
  }

  /** Whether `id` is a special added token (BOS, EOS, padding, chat markers …). */
  isSpecial(id: number): boolean {
    return this.specialIds.has(id);
  }

  /**
   * Splits out added tokens, honouring single_word, lstrip and rstrip (HF `AddedVocabulary`). Matching is on
   * the raw text, before normalization.
   */
  private splitAddedTokens(text: string): Segment[] {
    const pattern = this.addedPattern;
    if (pattern === null) return [{ kind: "text", text, start: 0 }];
    const segments: Segment[] = [];
    let last = 0;
    for (const m of text.matchAll(pattern)) {
      const token = this.addedByContent.get(m[0])!;
      let start = m.index;
      let end = start + m[0].length;
      if (start < last) continue;
      if (token.single_word) {
        const before = text[start - 1];
        const after = text[end];
        if ((before !== undefined && /\w/u.test(before)) || (after !== undefined && /\w/u.test(after)))
          continue;
      }
      if (token.lstrip) while (start > last && /\s/u.test(text[start - 1]!)) start--;
      if (token.rstrip) while (end < text.length && /\s/u.test(text[end]!)) end++;
      if (start > last) segments.push({ kind: "text", text: text.slice(last, start), start: last });
      segments.push({ kind: "added", id: token.id });
      last = end;
    }
    if (last < text.length) segments.push({ kind: "text", text: text.slice(last), start: last });
    return segments;
  }
}

async function readJsonFile(path: string, required: boolean): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if (!required && (err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new TokenizerError(path, `cannot read: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new TokenizerError(path, `not valid JSON: ${(err as Error).message}`);
  }
}

/**
 * Loads the tokenizer of an HF model folder: tokenizer.json, with special tokens from
 * tokenizer_config.json (and special_tokens_map.json, whose entries tokenizer_config.json overrides).
 */
export async function loadTokenizer(dir: string): Promise<Tokenizer> {
  const tokenizerPath = join(dir, "tokenizer.json");
  const [tokenizerJson, configJson, specialMapJson] = await Promise.all([
    readJsonFile(tokenizerPath, true),
    readJsonFile(join(dir, "tokenizer_config.json"), false),
    readJsonFile(join(dir, "special_tokens_map.json"), false),
  ]);
  const asObject = (value: unknown, name: string): Record<string, unknown> => {
    if (value === undefined) return {};
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new TokenizerError(join(dir, name), "expected a JSON object");
    }
    return value as Record<string, unknown>;
  };
  const config = {
    ...asObject(specialMapJson, "special_tokens_map.json"),
    ...asObject(configJson, "tokenizer_config.json"),
  };
  return new Tokenizer(tokenizerJson, config, tokenizerPath);
}
