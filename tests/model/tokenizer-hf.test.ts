// fedtune's tokenizer against the HF tokenizers library (0.23) on tokenizer.json files that library trained.
// Vectors: tests/vectors/hf-transformers/tokenizers/, written by scripts/interop/make_hf_vectors.py.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadTokenizer } from "../../model/tokenizer.ts";

const VECTORS = join(import.meta.dirname, "..", "vectors", "hf-transformers", "tokenizers");

interface Expected {
  readonly text: string;
  readonly ids: number[];
}

describe.each(["byte-level", "sentencepiece"])("%s tokenizer.json trained by HF tokenizers", (name) => {
  it("encodes every sample to the same ids as HF tokenizers", async () => {
    const dir = join(VECTORS, name);
    const tokenizer = await loadTokenizer(dir);
    const samples = JSON.parse(await readFile(join(dir, "expected.json"), "utf8")) as Expected[];
    for (const sample of samples) {
      expect(tokenizer.encode(sample.text, { addBos: false }), sample.text).toEqual(sample.ids);
    }
  });
});
