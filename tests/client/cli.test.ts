// `fedtune train`, `eval` and `generate` end to end on a tiny HF model folder: outputs, JSON shapes, bad input.
import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../../cli/main.ts";
import { STOPPED_AT_ONCE } from "../../cli/commands/generate.ts";
import { tinyModelFolder } from "./fixtures.ts";

let modelDir: string;
let work: string;
let dataFile: string;

const rows = [
  { instruction: "Diagnose", input: "fever, cough", output: "influenza" },
  {
    messages: [
      { role: "user", content: "rash?" },
      { role: "assistant", content: "measles" },
    ],
  },
  { question: "Fever and cough?", options: ["influenza", "fracture"], answer: "A" },
  { question: "Swollen toe?", options: { A: "gout", B: "flu" }, answer: "gout" },
  { text: "Patient presents with fever." },
];

beforeAll(async () => {
  process.env["FEDTUNE_LOG_LEVEL"] = "silent";
  process.env["FEDTUNE_BACKEND"] = "wasm";
  modelDir = await tinyModelFolder();
  work = await mkdtemp(join(tmpdir(), "fedtune-cli-"));
  dataFile = join(work, "data.jsonl");
  await writeFile(dataFile, [...rows.map((r) => JSON.stringify(r)), '{"oops": 1}'].join("\n"));
});
afterEach(() => vi.restoreAllMocks());

/** Runs `fedtune …` in-process and returns its exit code, stdout lines and stderr text. */
async function fedtune(...argv: string[]): Promise<{ code: number; lines: string[]; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => out.push(String(chunk)) > 0);
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => err.push(String(chunk)) > 0);
  const code = await main(argv);
  vi.restoreAllMocks();
  return {
    code,
    lines: out
      .join("")
      .split("\n")
      .filter((l) => l !== ""),
    stderr: err.join(""),
  };
}

describe("fedtune train / eval / generate", () => {
  it("trains an adapter, then evaluates and generates with it", async () => {
    const out = join(work, "adapter");
    const train = await fedtune(
      "train",
      "--model",
      modelDir,
      "--data",
      dataFile,
      "--out",
      out,
      "--steps",
      "3",
      "--batch-size",
      "4",
      "--seq-len",
      "64",
      "--lora-mode",
      "ffa",
      "--quiet",
      "--json",
    );
    expect(train.code).toBe(0);
    const summary = JSON.parse(train.lines[0]!) as Record<string, unknown>;
    expect(summary).toMatchObject({ out, examples: 5, invalidRows: 1, steps: 3 });
    expect((await readdir(out)).sort()).toEqual(["adapter_config.json", "adapter_model.safetensors"]);

    const ppl = await fedtune(
      "eval",
      "--model",
      modelDir,
      "--adapter",
      out,
      "--data",
      dataFile,
      "--task",
      "ppl",
      "--json",
    );
    expect(ppl.code).toBe(0);
    expect(ppl.lines).toHaveLength(1);
    const pplResult = JSON.parse(ppl.lines[0]!) as Record<string, number | string>;
    expect(Object.keys(pplResult)).toEqual(["task", "examples", "tokens", "meanNll", "perplexity"]);
    expect(pplResult).toMatchObject({ task: "ppl", examples: 5 });
    expect(pplResult["perplexity"]).toBeCloseTo(Math.exp(pplResult["meanNll"] as number), 6);

    const mcq = await fedtune("eval", "--model", modelDir, "--data", dataFile, "--task", "mcq", "--json");
    expect(mcq.code).toBe(0);
    expect(mcq.lines).toHaveLength(1);
    const mcqResult = JSON.parse(mcq.lines[0]!) as Record<string, number | string>;
    expect(Object.keys(mcqResult)).toEqual(["task", "examples", "accuracy"]);
    expect(mcqResult).toMatchObject({ task: "mcq", examples: 2 });

    const gen = await fedtune(
      "generate",
      "--model",
      modelDir,
      "--adapter",
      out,
      "--prompt",
      "Fever",
      "--max-tokens",
      "3",
      "--json",
    );
    expect(gen.code).toBe(0);
    const generated = JSON.parse(gen.lines[0]!) as { prompt: string; completion: string; tokens: number };
    expect(generated.prompt).toBe("Fever");
    expect(generated.tokens).toBeLessThanOrEqual(3);
  });

  it("says so when the model stops at once instead of printing an empty line", async () => {
    const mute = await tinyModelFolder({ stopsAtOnce: true });
    const text = await fedtune("generate", "--model", mute, "--prompt", "Fever", "--max-tokens", "3");
    expect(text.code).toBe(0);
    expect(text.lines).toEqual([STOPPED_AT_ONCE]);
    const json = await fedtune("generate", "--model", mute, "--prompt", "Fever", "--json");
    expect(JSON.parse(json.lines[0]!)).toEqual({
      prompt: "Fever",
      completion: "",
      tokens: 0,
      stoppedBy: "eos",
    });
  });

  it("stops at an invalid row with --strict, naming file:line, and writes nothing", async () => {
    const out = join(work, "never");
    const run = await fedtune(
      "train",
      "--model",
      modelDir,
      "--data",
      dataFile,
      "--out",
      out,
      "--strict",
      "--quiet",
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${dataFile}:6: unrecognised row`);
    await expect(readdir(out)).rejects.toThrow();
  });

  it("reports a missing data file and a bad option clearly", async () => {
    const missing = await fedtune("eval", "--model", modelDir, "--data", join(work, "nope.jsonl"), "--json");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read data file .*nope\.jsonl: no such file/);
    const bad = await fedtune("train", "--data", dataFile, "--out", work, "--schedule", "sometimes");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--schedule must be one of cosine, linear, constant");
  });

  it("refuses, before any training, an --out that is a file and data without a valid row", async () => {
    const file = join(work, "not-a-folder");
    await writeFile(file, "keep");
    const clash = await fedtune("train", "--model", modelDir, "--data", dataFile, "--out", file, "--quiet");
    expect(clash.code).toBe(2);
    expect(clash.stderr).toContain(`--out ${file} exists and is not a folder`);
    expect(await readFile(file, "utf8")).toBe("keep");
    const allBad = join(work, "all-bad.jsonl");
    await writeFile(allBad, '{"oops": 1}\n\n{"text": 3}\n');
    const out = join(work, "never-either");
    const empty = await fedtune("train", "--model", modelDir, "--data", allBad, "--out", out, "--quiet");
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain(`${allBad} has no valid rows`);
    await expect(readdir(out)).rejects.toThrow();
    const instructions = join(work, "instructions.jsonl");
    await writeFile(instructions, JSON.stringify(rows[0]) + "\n");
    const mcq = await fedtune(
      "eval",
      "--model",
      modelDir,
      "--data",
      instructions,
      "--task",
      "mcq",
      "--strict",
    );
    expect(mcq.code).toBe(1);
    expect(mcq.stderr).toContain(`${instructions}:1: a instruction row is not a multiple-choice row`);
  });
});
