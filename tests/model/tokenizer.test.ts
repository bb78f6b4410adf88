// Tests the HF tokenizer.json loader: hand-derived encodings, round trips, special tokens, bad files (HF-produced vectors: tokenizer-hf.test.ts).
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Tokenizer, TokenizerError, loadTokenizer } from "../../model/tokenizer.ts";
import { onigurumaToRegExp } from "../../model/tokenizer-pipeline.ts";

const HAND = join(import.meta.dirname, "../vectors/hand-derived-tokenizers");

const UNICODE_SAMPLES = [
  "naïve café 🙂 日本語のテキスト",
  "  two leading spaces, a\ttab\nand a newline\n\n",
  "Ünïcödé: Ωμέγα, привет, مرحبا, 👩‍⚕️ (ZWJ emoji), e\u0301 (combining)",
  "HR 110 bpm, SpO2 91%, T 38.4°C, BP 90/60 mmHg; K+ 5.9 mmol/L",
];

describe("byte-level tokenizer (hand-derived, LLaMA 3 layout)", () => {
  let tok: Tokenizer;
  beforeAll(async () => {
    tok = await loadTokenizer(join(HAND, "byte-level-tiny"));
  });

  // Derivations (see tests/vectors/hand-derived-tokenizers/README.md for the vocabulary and merge ranks).
  const cases: { text: string; ids: number[]; why: string }[] = [
    {
      text: "the pain",
      ids: [116, 257, 262],
      why: '"the" → t h e, merge 1 (h e) → [t=116, he=257]; " pain" = Ġpain is in the vocabulary (ignore_merges) → 262',
    },
    {
      text: " thein pains",
      ids: [258, 259, 262, 115],
      why: '" thein": Ġt(0), he(1), Ġthe(2), in(3) → [258, 259]; " pains": in(3), Ġp(4), ain(5), Ġpain(6) → [262, s=115]',
    },
    {
      text: "IT'SELF café's",
      ids: [73, 84, 265, 69, 76, 70, 32, 99, 97, 102, 266, 264],
      why:
        'the (?i:\'s…) group splits "\'S" off "ELF" (a case-sensitive regex would keep "\'SELF" and merge S E first): ' +
        "IT → [73, 84]; 'S → 265; ELF → [69, 76, 70]; \" café\" → Ġ c a f Ã © with merge 10 → [32, 99, 97, 102, 266]; 's → 264",
    },
    {
      text: "1212 a\n\nb",
      ids: [267, 49, 50, 32, 97, 268, 98],
      why: '\\p{N}{1,3} splits "121" | "2": merge 11 → [12=267, 1=49], [2=50]; " a" → [32, 97]; "\\n\\n" → ĊĊ=268; "b" → 98',
    },
    {
      text: "<|begin_of_text|> xyz<|end_of_text|>",
      ids: [270, 269, 271],
      why: "added tokens are split out first; Ġxyz has no merge path but is in the vocabulary (ignore_merges)",
    },
  ];
  for (const c of cases) {
    it(`encodes ${JSON.stringify(c.text)}`, () => {
      expect(tok.encode(c.text), c.why).toEqual(c.ids);
    });
  }

  it("finds special tokens by their conventional names when there is no tokenizer_config.json", () => {
    expect([tok.vocabSize, tok.bosId, tok.eosId, tok.padId, tok.hasBos]).toEqual([272, 270, 271, 271, true]);
    expect(tok.encode("the", { addBos: true, addEos: true })).toEqual([270, 116, 257, 271]);
    expect(tok.tokenToId("Ġpain")).toBe(262);
    expect(tok.tokenToId("no such token")).toBeUndefined();
  });

  it("decodes, skipping special tokens unless asked not to", () => {
    const ids = tok.encode("<|begin_of_text|>the pain<|end_of_text|>");
    expect(tok.decode(ids)).toBe("the pain");
    expect(tok.decode(ids, { skipSpecialTokens: false })).toBe("<|begin_of_text|>the pain<|end_of_text|>");
  });

  it("round-trips unicode text exactly", () => {
    for (const text of UNICODE_SAMPLES) expect(tok.decode(tok.encode(text))).toBe(text);
  });

  it("rejects an id outside the vocabulary", () => {
    expect(() => tok.decode([5, 9999])).toThrow(RangeError);
  });
});

describe("SentencePiece-style tokenizer (hand-derived, LLaMA 2 layout)", () => {
  let tok: Tokenizer;
  beforeAll(async () => {
    tok = await loadTokenizer(join(HAND, "sentencepiece-tiny"));
  });

  const cases: { text: string; ids: number[]; why: string }[] = [
    {
      text: "fever and cough",
      ids: [276, 283, 271, 281],
      why:
        "one pre-token ▁fever▁and▁cough; merges by rank: er(0), ▁f(1), ev(2), ▁fev(3), ▁fever(4), ou(5), ▁c(6), " +
        "▁cou(7), gh(8), ▁cough(9), an(10), ▁an(11) → [▁fever=276, ▁an=283, d=271, ▁cough=281]",
    },
    {
      text: "fé",
      ids: [273, 198, 172],
      why: "é is not in the vocabulary → bytes C3 A9 → <0xC3>=198, <0xA9>=172",
    },
    {
      text: "a\nb",
      ids: [259, 269, 13, 101],
      why: "▁ a, then byte fallback for \\n (<0x0A>=13) and b (<0x62>=101)",
    },
    { text: " fever", ids: [259, 276], why: "▁▁fever: the first ▁ has no merge with ▁f" },
    {
      text: "<s>fever",
      ids: [1, 276],
      why: "text after an added token is normalized on its own, so it gets ▁ too (as HF)",
    },
  ];
  for (const c of cases) {
    it(`encodes ${JSON.stringify(c.text)}`, () => {
      expect(tok.encode(c.text), c.why).toEqual(c.ids);
    });
  }

  it("reads special tokens from tokenizer_config.json (AddedToken objects, null pad → EOS)", () => {
    expect([tok.vocabSize, tok.bosId, tok.eosId, tok.padId, tok.hasBos]).toEqual([284, 1, 2, 2, true]);
    expect(tok.encode("fever", { addBos: true })).toEqual([1, 276]);
  });

  it("round-trips unicode text exactly through byte fallback and the Strip decoder", () => {
    for (const text of [...UNICODE_SAMPLES, " fever", "fever and cough"]) {
      expect(tok.decode(tok.encode(text))).toBe(text);
    }
  });
});

describe("Oniguruma patterns", () => {
  it("case-folds letters inside (?i:…) only, leaving \\p{…} escapes alone", () => {
    const re = onigurumaToRegExp("(?i:'s|'ll)|\\p{L}+", "test");
    expect("IT'S 'Ll x".match(re)).toEqual(["IT", "'S", "'Ll", "x"]);
    expect("'S".match(onigurumaToRegExp("'s", "test"))).toBeNull();
  });
});

describe("bad tokenizer files", () => {
  let dir: string;
  let good: Record<string, unknown>;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "fedtune-tok-"));
    good = JSON.parse(await readFile(join(HAND, "sentencepiece-tiny", "tokenizer.json"), "utf8")) as Record<
      string,
      unknown
    >;
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const withModel = (patch: Record<string, unknown>): Record<string, unknown> => ({
    ...good,
    model: { ...(good.model as Record<string, unknown>), ...patch },
  });

  it("reports a missing tokenizer.json and invalid JSON with the path", async () => {
    await expect(loadTokenizer(join(dir, "nowhere"))).rejects.toThrow(
      /nowhere\/tokenizer\.json: cannot read/,
    );
    await writeFile(join(dir, "tokenizer.json"), "{ not json");
    await expect(loadTokenizer(dir)).rejects.toThrow(/tokenizer\.json: not valid JSON/);
  });

  it("names an unsupported model type", () => {
    expect(() => new Tokenizer(withModel({ type: "WordPiece" }))).toThrow(
      /unsupported tokenizer model type "WordPiece"/,
    );
    expect(() => new Tokenizer(withModel({ type: "Unigram" }))).toThrow(TokenizerError);
  });

  it("names an unsupported component and where it is", () => {
    const json = {
      ...good,
      pre_tokenizer: { type: "Sequence", pretokenizers: [{ type: "BertPreTokenizer" }] },
    };
    expect(() => new Tokenizer(json)).toThrow(
      /pre_tokenizer\.pretokenizers\[0\]: unsupported pre_tokenizer type "BertPreTokenizer"/,
    );
  });

  it("rejects merges that are malformed or use unknown tokens, and a missing vocabulary", () => {
    expect(() => new Tokenizer(withModel({ merges: ["e r x"] }))).toThrow(/merges\[0\]: expected "a b"/);
    expect(() => new Tokenizer(withModel({ merges: [["e", "zz"]] }))).toThrow(/not in the vocabulary/);
    expect(() => new Tokenizer(withModel({ vocab: undefined }))).toThrow(/model\.vocab/);
    expect(() => new Tokenizer({ model: { type: "BPE" } })).toThrow(TokenizerError);
  });

  it("rejects a special token that is not in the vocabulary, and a tokenizer with no EOS", () => {
    expect(() => new Tokenizer(good, { eos_token: "<|eot|>" })).toThrow(
      /eos_token.*"<\|eot\|>" is not a token/,
    );
    const noSpecials = { ...good, added_tokens: [] };
    const vocab = { ...(good.model as { vocab: Record<string, number> }).vocab };
    delete vocab["</s>"];
    expect(() => new Tokenizer({ ...noSpecials, model: { ...(good.model as object), vocab } })).toThrow(
      /no EOS token/,
    );
  });
});
