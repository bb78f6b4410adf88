// JSONL loading, row validation (file:line, skip vs strict) and the prompt format's token ids and loss masks.
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DatasetError, loadJsonlDataset, parseJsonl } from "../../client/data/load-jsonl.ts";
import {
  instructionPrompt,
  multipleChoicePrompt,
  tokenizeExamples,
  tokenizeMultipleChoice,
  tokenizeRow,
} from "../../client/data/prompt-format.ts";
import { parseRow, rowToJson, type DatasetRow, type MultipleChoiceRow } from "../../client/data/rows.ts";
import { charTokenizer as tok } from "./fake-tokenizer.ts";

const jsonl = (...rows: unknown[]): string =>
  rows.map((r) => (typeof r === "string" ? r : JSON.stringify(r))).join("\n");

function onlyRow(row: unknown): DatasetRow {
  const { examples, invalid } = parseJsonl(jsonl(row), "d.jsonl");
  expect(invalid).toEqual([]);
  expect(examples).toHaveLength(1);
  const { source, ...rest } = examples[0]!;
  expect(source).toEqual({ file: "d.jsonl", line: 1 });
  return rest;
}

describe("row formats", () => {
  it("reads instruction rows with and without input", () => {
    expect(onlyRow({ instruction: "Name it", output: "flu" })).toEqual({
      kind: "instruction",
      instruction: "Name it",
      output: "flu",
    });
    expect(onlyRow({ instruction: "Name it", input: "fever", output: "flu", id: 7 })).toEqual({
      kind: "instruction",
      instruction: "Name it",
      input: "fever",
      output: "flu",
    });
  });

  it("reads chat rows", () => {
    const messages = [
      { role: "system", content: "Be brief." },
      { role: "user", content: "Fever?" },
      { role: "assistant", content: "Flu." },
    ];
    expect(onlyRow({ messages })).toEqual({ kind: "chat", messages });
  });

  it("reads multiple choice with array or object options and letter, index or text answers", () => {
    const expected = {
      kind: "mcq",
      question: "Q?",
      labels: ["A", "B", "C"],
      options: ["x", "y", "z"],
      answerIndex: 1,
    };
    expect(onlyRow({ question: "Q?", options: ["x", "y", "z"], answer: "B" })).toEqual(expected);
    expect(onlyRow({ question: "Q?", options: ["x", "y", "z"], answer: "b" })).toEqual(expected);
    expect(onlyRow({ question: "Q?", options: ["x", "y", "z"], answer: 1 })).toEqual(expected);
    expect(onlyRow({ question: "Q?", options: ["x", "y", "z"], answer: "y" })).toEqual(expected);
    expect(onlyRow({ question: "Q?", options: { A: "x", B: "y", C: "z" }, answer: "B" })).toEqual(expected);
  });

  it("reads text and pre-tokenized rows, with labels or a loss mask", () => {
    expect(onlyRow({ text: "hello" })).toEqual({ kind: "text", text: "hello" });
    expect(onlyRow({ input_ids: [1, 5, 6] })).toEqual({ kind: "input_ids", inputIds: [1, 5, 6] });
    expect(onlyRow({ input_ids: [1, 5, 6], labels: [-100, -100, 6] })).toEqual({
      kind: "input_ids",
      inputIds: [1, 5, 6],
      lossMask: [0, 0, 1],
    });
    expect(onlyRow({ input_ids: [1, 5, 6], loss_mask: [0, 1, 1] })).toEqual({
      kind: "input_ids",
      inputIds: [1, 5, 6],
      lossMask: [0, 1, 1],
    });
  });
});

describe("rows written back as JSON", () => {
  it("reads back as the same row, in every format", () => {
    const rows: DatasetRow[] = [
      { kind: "instruction", instruction: "Sum", input: "2 and 3", output: "5" },
      { kind: "instruction", instruction: "Say hi", output: "hi" },
      {
        kind: "chat",
        messages: [
          { role: "user", content: "hi" },
          { role: "assistant", content: "hello" },
        ],
      },
      { kind: "mcq", question: "2+2?", labels: ["A", "B"], options: ["3", "4"], answerIndex: 1 },
      {
        kind: "mcq",
        question: "Sky?",
        labels: ["x", "y", "z"],
        options: ["red", "blue", "green"],
        answerIndex: 1,
      },
      { kind: "text", text: "A note." },
      { kind: "input_ids", inputIds: [5, 6, 7], lossMask: [0, 1, 1] },
      { kind: "input_ids", inputIds: [5, 6] },
    ];
    for (const row of rows)
      expect(parseRow(JSON.parse(JSON.stringify(rowToJson(row))))).toEqual({ ok: true, row });
  });
});

describe("invalid rows", () => {
  const cases: [string, unknown, RegExp][] = [
    ["bad JSON", "{not json", /invalid JSON/],
    ["not an object", "[1,2]", /must be a JSON object/],
    ["unknown keys", { prompt: "x", completion: "y" }, /unrecognised row/],
    ["instruction without output", { instruction: "x" }, /instruction row: output/],
    ["empty instruction", { instruction: " ", output: "y" }, /instruction: must not be empty/],
    ["chat with a bad role", { messages: [{ role: "doctor", content: "x" }] }, /chat row: messages\.0\.role/],
    ["chat without an assistant turn", { messages: [{ role: "user", content: "x" }] }, /assistant/],
    ["one option", { question: "q", options: ["a"], answer: 0 }, /at least two options/],
    ["answer out of range", { question: "q", options: ["a", "b"], answer: 2 }, /outside 0\.\.1/],
    ["unknown answer", { question: "q", options: ["a", "b"], answer: "E" }, /neither an option label/],
    ["negative token id", { input_ids: [1, -3] }, /input_ids row: input_ids\.1/],
    ["labels of the wrong length", { input_ids: [1, 2, 3], labels: [1, 2] }, /labels: has 2 entries for 3/],
    [
      "labels that are not the ids",
      { input_ids: [1, 2, 3], labels: [1, 9, 3] },
      /must be -100 or input_ids\[1\]/,
    ],
    ["labels and a loss mask", { input_ids: [1, 2], labels: [1, 2], loss_mask: [0, 1] }, /not both/],
    ["empty text", { text: "" }, /text row: text/],
  ];

  it.each(cases)("reports %s as file:line with the reason and skips it", (_name, bad, reason) => {
    const { examples, invalid } = parseJsonl(
      jsonl({ text: "ok" }, "", bad, { text: "ok too" }),
      "rows.jsonl",
    );
    expect(examples.map((e) => e.source.line)).toEqual([1, 4]);
    expect(invalid).toHaveLength(1);
    expect(invalid[0]).toMatchObject({ file: "rows.jsonl", line: 3 });
    expect(invalid[0]!.reason).toMatch(reason);
  });

  it("makes an invalid row fatal in strict mode, naming file:line", () => {
    expect(() => parseJsonl(jsonl({ text: "ok" }, { text: 3 }), "s.jsonl", { strict: true })).toThrow(
      /^s\.jsonl:2: text row/,
    );
    expect(() => parseJsonl(jsonl({ text: "ok" }, { text: 3 }), "s.jsonl", { strict: true })).toThrow(
      DatasetError,
    );
  });

  it("gives a clear error for a missing file and loads a real one", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fedtune-data-"));
    await expect(loadJsonlDataset(join(dir, "nope.jsonl"))).rejects.toThrow(
      /cannot read data file .*nope\.jsonl: no such file/,
    );
    await expect(loadJsonlDataset(dir)).rejects.toThrow(DatasetError);
    const file = join(dir, "d.jsonl");
    await writeFile(file, "\uFEFF" + jsonl({ text: "a" }, { text: 1 }) + "\r\n");
    const loaded = await loadJsonlDataset(file);
    expect(loaded.examples).toHaveLength(1);
    expect(loaded.invalid).toEqual([{ file, line: 2, reason: expect.stringMatching(/text row/) as unknown }]);
  });
});

const ids = (text: string): number[] => tok.encode(text);
const ones = (n: number): number[] => Array<number>(n).fill(1);
const zeros = (n: number): number[] => Array<number>(n).fill(0);

describe("prompt format", () => {
  it("takes the loss on the response and its EOS only", () => {
    const prompt = instructionPrompt({ instruction: "Dx?", input: "cough" });
    expect(prompt).toBe("### Instruction:\nDx?\n\n### Input:\ncough\n\n### Response:\n");
    const out = tokenizeRow(
      { kind: "instruction", instruction: "Dx?", input: "cough", output: "flu" },
      tok,
      512,
    );
    expect(out.ids).toEqual([1, ...ids(prompt), ...ids("flu"), 2]);
    expect(out.lossMask).toEqual([0, ...zeros(prompt.length), 1, 1, 1, 1]);
  });

  it("scores every assistant turn and nothing else in a chat", () => {
    const row: DatasetRow = {
      kind: "chat",
      messages: [
        { role: "user", content: "hi" },
        { role: "assistant", content: "yo" },
        { role: "user", content: "?" },
        { role: "assistant", content: "ok" },
      ],
    };
    const out = tokenizeRow(row, tok, 512);
    const scored = out.ids.filter((_, i) => out.lossMask[i] === 1);
    expect(scored).toEqual([...ids("yo"), 2, ...ids("ok"), 2]);
    expect(tok.decode(out.ids.slice(1))).toContain("### User:\nhi\n\n### Assistant:\nyo");
  });

  it("scores the correct option of a multiple-choice row", () => {
    const row: MultipleChoiceRow = {
      kind: "mcq",
      question: "Q",
      labels: ["A", "B"],
      options: ["flu", "cold"],
      answerIndex: 1,
    };
    expect(multipleChoicePrompt(row)).toBe("### Question:\nQ\nA. flu\nB. cold\n\n### Answer:\n");
    const out = tokenizeRow(row, tok, 512);
    expect(out.ids.filter((_, i) => out.lossMask[i] === 1)).toEqual([...ids("cold"), 2]);
    const choice = tokenizeMultipleChoice(row, tok, 512);
    expect(choice.context).toEqual([1, ...ids(multipleChoicePrompt(row))]);
    expect(choice.options).toEqual([ids("flu"), ids("cold")]);
    const short = tokenizeMultipleChoice(row, tok, 10);
    expect(short.context).toEqual([1, ...ids("wer:\n")]);
  });

  it("scores every token after the first for text and input_ids rows", () => {
    const text = tokenizeRow({ kind: "text", text: "abc" }, tok, 512);
    expect(text).toEqual({ ids: [1, 97, 98, 99, 2], lossMask: [0, ...ones(4)] });
    expect(tokenizeRow({ kind: "input_ids", inputIds: [5, 6, 7] }, tok, 512)).toEqual({
      ids: [5, 6, 7],
      lossMask: [0, 1, 1],
    });
    expect(
      tokenizeRow({ kind: "input_ids", inputIds: [5, 6, 7], lossMask: [1, 0, 1] }, tok, 512).lossMask,
    ).toEqual([0, 0, 1]);
  });

  it("truncates to seq-len and drops rows with no target left, naming file:line", () => {
    expect(tokenizeRow({ kind: "text", text: "abcdef" }, tok, 3)).toEqual({
      ids: [1, 97, 98],
      lossMask: [0, 1, 1],
    });
    const { examples } = parseJsonl(
      jsonl({ instruction: "a long instruction", output: "y" }, { text: "ok" }, { input_ids: [5, 200] }),
      "t.jsonl",
    );
    const { examples: kept, dropped } = tokenizeExamples(examples, tok, 8);
    expect(kept).toHaveLength(1);
    expect(dropped).toEqual([
      { file: "t.jsonl", line: 1, reason: "no target tokens within the first 8 tokens (--seq-len)" },
      { file: "t.jsonl", line: 3, reason: "token id 200 is outside the vocabulary (128)" },
    ]);
  });
});
