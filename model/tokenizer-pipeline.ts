// Normalizers, pre-tokenizers and decoders of HF tokenizer.json, built from their JSON descriptions.
import { z } from "zod";
import { TokenizerError, tokenizerErrorFromZod } from "./tokenizer-error.ts";

/** A piece of text on its way to the model; `atStart` marks the piece that begins the input (Metaspace "first"). */
export interface Piece {
  readonly text: string;
  readonly atStart: boolean;
}

export type Normalizer = (text: string) => string;
export type PreTokenizer = (pieces: readonly Piece[]) => Piece[];
/** Decoders work on the token strings, as HF's `Decoder::decode_chain`; the final string is their concatenation. */
export type Decoder = (tokens: readonly string[]) => string[];

type SplitBehavior = "Removed" | "Isolated" | "MergedWithPrevious" | "MergedWithNext" | "Contiguous";

const utf8Encoder = new TextEncoder();

// GPT-2's split regex (Radford et al. 2019, openai/gpt-2 encoder.py), used by ByteLevel when use_regex is true.
const GPT2_SPLIT = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/**
 * GPT-2's reversible byte → printable character table (openai/gpt-2 encoder.py `bytes_to_unicode`):
 * printable Latin-1 bytes map to themselves, the rest to U+0100 onwards in byte order.
 */
export function bytesToUnicode(): string[] {
  const table: string[] = new Array<string>(256);
  let shifted = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    table[b] = String.fromCodePoint(printable ? b : 256 + shifted++);
  }
  return table;
}

const patternSchema = z.union([z.object({ String: z.string() }), z.object({ Regex: z.string() })]);

/** `literal` as a regex source that matches exactly it. */
export function escapeRegExp(literal: string): string {
  return literal.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
}

/**
 * Translates an Oniguruma pattern (what HF tokenizers compile) to a JavaScript `u` regex. The only
 * construct in LLaMA 3 / Qwen2 / GPT-4-style split patterns that JS lacks is the scoped
 * case-insensitive group `(?i:…)`; letters inside it become `[xX]` classes.
 */
export function onigurumaToRegExp(source: string, where: string): RegExp {
  let out = "";
  let caseInsensitiveDepth = 0;
  let depth = 0;
  const ciOpenDepths: number[] = [];
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i]!;
    if (ch === "\\") {
      // Copy an escape whole, including \p{…} and \u{…} bodies, so their letters are not case-folded.
      let end = i + 2;
      if (/[pPu]/.test(source[i + 1] ?? "") && source[i + 2] === "{") end = source.indexOf("}", i) + 1;
      else if (source[i + 1] === "x") end = i + 4;
      else if (source[i + 1] === "u") end = i + 6;
      out += source.slice(i, end);
      i = end - 1;
      continue;
    }
    if (inClass) {
      if (ch === "]") inClass = false;
      out += ch;
      if (caseInsensitiveDepth > 0 && /[a-zA-Z]/.test(ch) && source[i + 1] !== "-" && source[i - 1] !== "-") {
        out += ch === ch.toLowerCase() ? ch.toUpperCase() : ch.toLowerCase();
      }
      continue;
    }
    if (ch === "[") {
      inClass = true;
      out += ch;
      continue;
    }
    if (ch === "(") {
      depth++;
      if (source.startsWith("(?i:", i)) {
        caseInsensitiveDepth++;
        ciOpenDepths.push(depth);
        out += "(?:";
        i += 3;
        continue;
      }
    } else if (ch === ")") {
      if (ciOpenDepths[ciOpenDepths.length - 1] === depth) {
        ciOpenDepths.pop();
        caseInsensitiveDepth--;
      }
      depth--;
    } else if (caseInsensitiveDepth > 0 && /[a-zA-Z]/.test(ch)) {
      out += `[${ch.toLowerCase()}${ch.toUpperCase()}]`;
      continue;
    }
    out += ch;
  }
  try {
    return new RegExp(out, "gu");
  } catch (err) {
    throw new TokenizerError(
      where,
      `cannot compile regex ${JSON.stringify(source)}: ${(err as Error).message}`,
    );
  }
}

function compilePattern(pattern: z.infer<typeof patternSchema>, where: string): RegExp {
  return "String" in pattern
    ? new RegExp(escapeRegExp(pattern.String), "gu")
    : onigurumaToRegExp(pattern.Regex, where);
}

/** Splits `text` at the matches of `re`, then groups matches and gaps as HF's `NormalizedString::split` does. */
function splitSpans(
  text: string,
  re: RegExp,
  behavior: SplitBehavior,
  invert: boolean,
): readonly { start: number; end: number }[] {
  const segments: { start: number; end: number; isDelimiter: boolean }[] = [];
  let last = 0;
  for (const m of text.matchAll(re)) {
    const start = m.index;
    const end = start + m[0].length;
    if (end === start) continue;
    if (start > last) segments.push({ start: last, end: start, isDelimiter: invert });
    segments.push({ start, end, isDelimiter: !invert });
    last = end;
  }
  if (last < text.length) segments.push({ start: last, end: text.length, isDelimiter: invert });

  let grouped: { start: number; end: number }[];
  switch (behavior) {
    case "Isolated":
      grouped = segments;
      break;
    case "Removed":
      grouped = segments.filter((s) => !s.isDelimiter);
      break;
    case "MergedWithPrevious": {
      grouped = [];
      let previousDelimiter = false;
      for (const s of segments) {
        const lastGroup = grouped[grouped.length - 1];
        if (s.isDelimiter && !previousDelimiter && lastGroup !== undefined) lastGroup.end = s.end;
        else grouped.push({ start: s.start, end: s.end });
        previousDelimiter = s.isDelimiter;
      }
      break;
    }
    case "MergedWithNext": {
      grouped = [];
      let nextDelimiter = false;
      for (let i = segments.length - 1; i >= 0; i--) {
        const s = segments[i]!;
        const lastGroup = grouped[grouped.length - 1];
        if (s.isDelimiter && !nextDelimiter && lastGroup !== undefined) lastGroup.start = s.start;
        else grouped.push({ start: s.start, end: s.end });
        nextDelimiter = s.isDelimiter;
      }
      grouped.reverse();
      break;
    }
    case "Contiguous": {
      grouped = [];
      let previousDelimiter = false;
      for (const s of segments) {
        const lastGroup = grouped[grouped.length - 1];
        if (s.isDelimiter === previousDelimiter && lastGroup !== undefined) lastGroup.end = s.end;
        else grouped.push({ start: s.start, end: s.end });
        previousDelimiter = s.isDelimiter;
      }
      break;
    }
  }
  return grouped;
}

/** Applies a split to every piece; only a sub-piece at offset 0 of a starting piece keeps `atStart`. */
function splitPieces(
  pieces: readonly Piece[],
  re: RegExp,
  behavior: SplitBehavior,
  invert: boolean,
): Piece[] {
  const out: Piece[] = [];
  for (const piece of pieces) {
    for (const span of splitSpans(piece.text, re, behavior, invert)) {
      out.push({ text: piece.text.slice(span.start, span.end), atStart: piece.atStart && span.start === 0 });
    }
  }
  return out;
}

function componentType(json: unknown, where: string): string {
  const parsed = z.object({ type: z.string() }).safeParse(json);
  if (!parsed.success) throw new TokenizerError(where, "expected an object with a string `type`");
  return parsed.data.type;
}

function parseWith<T extends z.ZodType>(schema: T, json: unknown, where: string): z.infer<T> {
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw tokenizerErrorFromZod(parsed.error, where);
  return parsed.data;
}

const unicodeForms = ["NFC", "NFD", "NFKC", "NFKD"] as const;

/** Builds the normalizer described by tokenizer.json's `normalizer` (null: identity). */
export function buildNormalizer(json: unknown, where: string): Normalizer {
  if (json === null || json === undefined) return (text) => text;
  const type = componentType(json, where);
  switch (type) {
    case "Sequence": {
      const { normalizers } = parseWith(z.object({ normalizers: z.array(z.unknown()) }), json, where);
      const steps = normalizers.map((n, i) => buildNormalizer(n, `${where}.normalizers[${i}]`));
      return (text) => steps.reduce((acc, step) => step(acc), text);
    }
    case "Prepend": {
      const { prepend } = parseWith(z.object({ prepend: z.string() }), json, where);
      return (text) => (text.length === 0 ? text : prepend + text);
    }
    case "Replace": {
      const spec = parseWith(z.object({ pattern: patternSchema, content: z.string() }), json, where);
      const re = compilePattern(spec.pattern, `${where}.pattern`);
      return (text) => text.replace(re, () => spec.content);
    }
    case "Strip": {
      const spec = parseWith(z.object({ strip_left: z.boolean(), strip_right: z.boolean() }), json, where);
      return (text) => {
        const left = spec.strip_left ? text.trimStart() : text;
        return spec.strip_right ? left.trimEnd() : left;
      };
    }
    case "Lowercase":
      return (text) => text.toLowerCase();
    case "NFC":
    case "NFD":
    case "NFKC":
    case "NFKD": {
      const form = unicodeForms.find((f) => f === type)!;
      return (text) => text.normalize(form);
    }
    default:
      throw new TokenizerError(where, `unsupported normalizer type "${type}"`);
  }
}

const behaviorSchema = z.enum(["Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous"]);
const prependSchemeSchema = z.enum(["always", "first", "never"]);

/** Metaspace's prepend scheme; files from tokenizers < 0.14 give `add_prefix_space` instead. */
function metaspacePrependScheme(json: unknown, where: string): "always" | "first" | "never" {
  const spec = parseWith(
    z.object({ prepend_scheme: prependSchemeSchema.optional(), add_prefix_space: z.boolean().optional() }),
    json,
    where,
  );
  return spec.prepend_scheme ?? (spec.add_prefix_space === false ? "never" : "always");
}

/** Builds the pre-tokenizer described by tokenizer.json's `pre_tokenizer` (null: the whole text is one piece). */
export function buildPreTokenizer(json: unknown, where: string): PreTokenizer {
  if (json === null || json === undefined) return (pieces) => [...pieces];
  const type = componentType(json, where);
  switch (type) {
    case "Sequence": {
      const { pretokenizers } = parseWith(z.object({ pretokenizers: z.array(z.unknown()) }), json, where);
      const steps = pretokenizers.map((p, i) => buildPreTokenizer(p, `${where}.pretokenizers[${i}]`));
      return (pieces) => steps.reduce<Piece[]>((acc, step) => step(acc), [...pieces]);
    }
    case "ByteLevel": {
      const spec = parseWith(
        z.object({ add_prefix_space: z.boolean().default(false), use_regex: z.boolean().default(true) }),
        json,
        where,
      );
      const byteChars = bytesToUnicode();
      return (pieces) => {
        const prefixed = pieces.map((p) =>
          spec.add_prefix_space && !p.text.startsWith(" ") ? { text: ` ${p.text}`, atStart: p.atStart } : p,
        );
        const split = spec.use_regex ? splitPieces(prefixed, GPT2_SPLIT, "Isolated", false) : prefixed;
        return split.map((p) => ({
          text: Array.from(utf8Encoder.encode(p.text), (b) => byteChars[b]!).join(""),
          atStart: p.atStart,
        }));
      };
    }
    case "Split": {
      const spec = parseWith(
        z.object({ pattern: patternSchema, behavior: behaviorSchema, invert: z.boolean().default(false) }),
        json,
        where,
      );
      const re = compilePattern(spec.pattern, `${where}.pattern`);
      return (pieces) => splitPieces(pieces, re, spec.behavior, spec.invert);
    }
    case "Metaspace": {
      const spec = parseWith(
        z.object({ replacement: z.string().length(1), split: z.boolean().default(true) }),
        json,
        where,
      );
      const scheme = metaspacePrependScheme(json, where);
      const replacement = spec.replacement;
      const splitAt = new RegExp(escapeRegExp(replacement), "gu");
      return (pieces) => {
        const replaced = pieces.map((p) => {
          const text = p.text.replaceAll(" ", replacement);
          const prepend =
            !text.startsWith(replacement) && (scheme === "always" || (scheme === "first" && p.atStart));
          return { text: prepend ? replacement + text : text, atStart: p.atStart };
        });
        return spec.split ? splitPieces(replaced, splitAt, "MergedWithNext", false) : replaced;
      };
    }
    case "Digits": {
      const spec = parseWith(z.object({ individual_digits: z.boolean().default(false) }), json, where);
      // HF uses Rust's char::is_numeric, i.e. the Unicode N categories.
      const behavior = spec.individual_digits ? "Isolated" : "Contiguous";
      return (pieces) => splitPieces(pieces, /\p{N}/gu, behavior, false);
    }
    case "Whitespace":
      return (pieces) => splitPieces(pieces, /\w+|[^\w\s]+/gu, "Removed", true);
    case "WhitespaceSplit":
      return (pieces) => splitPieces(pieces, /\s+/gu, "Removed", false);
    default:
      throw new TokenizerError(where, `unsupported pre_tokenizer type "${type}"`);
  }
}

/** Turns `<0xNN>` runs into text, as HF's ByteFallback decoder: invalid UTF-8 gives one U+FFFD per byte. */
function byteFallbackDecode(tokens: readonly string[]): string[] {
  const out: string[] = [];
  let pending: number[] = [];
  const flush = (): void => {
    if (pending.length === 0) return;
    try {
      out.push(new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(pending)));
    } catch {
      for (let i = 0; i < pending.length; i++) out.push("\uFFFD");
    }
    pending = [];
  };
  for (const token of tokens) {
    const byte = /^<0x([0-9A-Fa-f]{2})>$/.exec(token);
    if (byte !== null) {
      pending.push(Number.parseInt(byte[1]!, 16));
      continue;
    }
    flush();
    out.push(token);
  }
  flush();
  return out;
}

/** Builds the decoder described by tokenizer.json's `decoder` (null: tokens are concatenated). */
export function buildDecoder(json: unknown, where: string): Decoder {
  if (json === null || json === undefined) return (tokens) => [...tokens];
  const type = componentType(json, where);
  switch (type) {
    case "Sequence": {
      const { decoders } = parseWith(z.object({ decoders: z.array(z.unknown()) }), json, where);
      const steps = decoders.map((d, i) => buildDecoder(d, `${where}.decoders[${i}]`));
      return (tokens) => steps.reduce<string[]>((acc, step) => step(acc), [...tokens]);
    }
    case "ByteLevel": {
      const charToByte = new Map(bytesToUnicode().map((ch, b) => [ch, b]));
      return (tokens) => {
        const bytes: number[] = [];
        for (const token of tokens) {
          const mapped = Array.from(token, (ch) => charToByte.get(ch));
          // A token outside the byte alphabet (an added token) contributes its own UTF-8, as in HF.
          if (mapped.every((b) => b !== undefined)) bytes.push(...mapped);
          else bytes.push(...utf8Encoder.encode(token));
        }
        return [new TextDecoder("utf-8").decode(Uint8Array.from(bytes))];
      };
    }
    case "Metaspace": {
      const { replacement } = parseWith(z.object({ replacement: z.string().length(1) }), json, where);
      const scheme = metaspacePrependScheme(json, where);
      return (tokens) =>
        tokens.map((token, i) => {
          // HF drops the replacement character from the first token when a prefix space was added.
          const space = i === 0 && scheme !== "never" ? "" : " ";
          return token.replaceAll(replacement, space);
        });
    }
    case "Replace": {
      const spec = parseWith(z.object({ pattern: patternSchema, content: z.string() }), json, where);
      const re = compilePattern(spec.pattern, `${where}.pattern`);
      return (tokens) => tokens.map((t) => t.replace(re, () => spec.content));
    }
    case "ByteFallback":
      return byteFallbackDecode;
    case "Fuse":
      return (tokens) => [tokens.join("")];
    case "Strip": {
      const spec = parseWith(
        z.object({
          content: z.string().length(1),
          start: z.number().int().min(0),
          stop: z.number().int().min(0),
        }),
        json,
        where,
      );
      return (tokens) =>
        tokens.map((token) => {
          const chars = Array.from(token);
          let from = 0;
          while (from < spec.start && from < chars.length && chars[from] === spec.content) from++;
          let to = chars.length;
          while (chars.length - to < spec.stop && to > from && chars[to - 1] === spec.content) to--;
          return chars.slice(from, to).join("");
        });
    }
    default:
      throw new TokenizerError(where, `unsupported decoder type "${type}"`);
  }
}
