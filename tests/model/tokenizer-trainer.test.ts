// Tests the byte-level BPE trainer: hand-derived merges, determinism, and files that load back as a tokenizer.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { trainByteLevelBpe, writeTokenizerFiles } from "../../model/bpe-trainer.ts";
import { Tokenizer, loadTokenizer } from "../../model/tokenizer.ts";

const SPECIALS = { bos: "<s>", eos: "</s>", pad: "<pad>" };

const CLINICAL = [
  "S: 67-year-old man, complains of crushing central chest pain and sweating for 2 hours.",
  "O: HR 110, BP 92/60, RR 24, T 38.4, SpO2 91%. Bibasal crackles. Troponin 1200 (high).",
  "Pneumonia is infection of the lung. Patients have fever, cough and pleuritic chest pain.",
  "For asthma, the usual treatment is salbutamol, prednisolone and oxygen.",
  "Common abbreviations\nSOB: shortness of breath\nc/o: complains of\nPMH: past medical history",
];

describe("trainByteLevelBpe", () => {
  it("merges the most frequent pair first and stops below the minimum frequency", () => {
    // Pre-tokens: "ab" ×1, " ab" ×2 (Ġab), "abc" ×1. Pair counts: (a,b) 4, (Ġ,a) 2, (b,c) 1 → merge a+b.
    // Then (Ġ,ab) 2, (ab,c) 1 → merge Ġ+ab. Then only (ab,c) 1 < 2 remains, so training stops early.
    const files = trainByteLevelBpe(["ab ab ab", "abc"], {
      vocabSize: 300,
      specialTokens: SPECIALS,
      modelMaxLength: 64,
    });
    const model = files.tokenizerJson["model"] as { vocab: Record<string, number>; merges: string[][] };
    expect(model.merges).toEqual([
      ["a", "b"],
      ["Ġ", "ab"],
    ]);
    expect(Object.keys(model.vocab)).toHaveLength(3 + 256 + 2);
    expect([
      model.vocab["<s>"],
      model.vocab["</s>"],
      model.vocab["<pad>"],
      model.vocab["ab"],
      model.vocab["Ġab"],
    ]).toEqual([0, 1, 2, 259, 260]);
  });

  it("is deterministic and honours the vocabulary size", () => {
    const options = { vocabSize: 400, specialTokens: SPECIALS, modelMaxLength: 128 };
    const a = trainByteLevelBpe(CLINICAL, options);
    const b = trainByteLevelBpe([...CLINICAL], options);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    const tok = new Tokenizer(a.tokenizerJson, a.tokenizerConfig);
    expect(tok.vocabSize).toBeLessThanOrEqual(400);
    expect(tok.vocabSize).toBeGreaterThan(300);
  });

  it("writes tokenizer.json and tokenizer_config.json that load back and round-trip text", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fedtune-bpe-"));
    try {
      await writeTokenizerFiles(
        dir,
        trainByteLevelBpe(CLINICAL, { vocabSize: 360, specialTokens: SPECIALS, modelMaxLength: 256 }),
      );
      const tok = await loadTokenizer(dir);
      expect([tok.bosId, tok.eosId, tok.padId, tok.hasBos]).toEqual([0, 1, 2, true]);
      for (const text of [...CLINICAL, "naïve café 🙂 日本 — unseen ✓"]) {
        const ids = tok.encode(text, { addBos: true, addEos: true });
        expect(ids[0]).toBe(0);
        expect(ids.at(-1)).toBe(1);
        expect(tok.decode(ids)).toBe(text);
      }
      // A frequent word of the corpus ends up as one token.
      expect(tok.encode(" chest")).toHaveLength(1);
      const config = JSON.parse(await readFile(join(dir, "tokenizer_config.json"), "utf8")) as Record<
        string,
        unknown
      >;
      expect(config).toMatchObject({
        bos_token: "<s>",
        eos_token: "</s>",
        pad_token: "<pad>",
        model_max_length: 256,
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("rejects a vocabulary smaller than the byte alphabet and duplicate special tokens", () => {
    expect(() =>
      trainByteLevelBpe(CLINICAL, { vocabSize: 100, specialTokens: SPECIALS, modelMaxLength: 8 }),
    ).toThrow(/at least 259/);
    expect(() =>
      trainByteLevelBpe(CLINICAL, {
        vocabSize: 300,
        specialTokens: { bos: "<s>", eos: "<s>", pad: "<pad>" },
        modelMaxLength: 8,
      }),
    ).toThrow(/distinct/);
  });
});
