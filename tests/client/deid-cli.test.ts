// `fedtune deid` end to end: scrubbed rows, the report, `required` refusing a row as file:line, bad input changing nothing.
import { existsSync } from "node:fs";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../../cli/main.ts";

let work: string;

beforeAll(async () => {
  process.env["FEDTUNE_LOG_LEVEL"] = "silent";
  work = await mkdtemp(join(tmpdir(), "fedtune-deid-"));
});

async function fedtune(...argv: string[]): Promise<{ code: number; stdout: string }> {
  const out: string[] = [];
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => out.push(String(chunk)) > 0);
  vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  const code = await main(argv);
  vi.restoreAllMocks();
  return { code, stdout: out.join("") };
}

describe("fedtune deid", () => {
  it("writes scrubbed rows and counts; the same secret gives the same surrogates", async () => {
    const input = join(work, "notes.jsonl");
    await writeFile(
      input,
      [
        { id: 1, patient_id: "p1", note: "Pt John Smith, MRN 00482913, seen 03/01/2021 by Dr. Okafor." },
        { id: 2, patient_id: "p1", note: "Mr. Smith returned on 03/15/2021; call 555-867-5309." },
      ]
        .map((r) => JSON.stringify(r))
        .join("\n"),
    );
    const secret = join(work, "state", "deid-secret.key");
    const out1 = join(work, "clean1.jsonl");
    const report = join(work, "report.json");
    const first = await fedtune("deid", "--in", input, "--out", out1, "--report", report, "--secret", secret);
    expect(first.code).toBe(0);
    const text = await readFile(out1, "utf8");
    for (const value of ["Smith", "00482913", "Okafor", "03/01/2021", "555-867-5309"])
      expect(text).not.toContain(value);
    const rows = text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { id: number; note: string });
    expect(rows.map((r) => r.id)).toEqual([1, 2]);
    const summary = JSON.parse(await readFile(report, "utf8")) as {
      rows: number;
      replaced: Record<string, number>;
    };
    expect(summary.rows).toBe(2);
    expect(summary.replaced["date"]).toBe(2);
    const out2 = join(work, "clean2.jsonl");
    await fedtune("deid", "--in", input, "--out", out2, "--secret", secret);
    expect(await readFile(out2, "utf8")).toBe(text);
  });

  it("--mode required refuses a row where an SSN-shaped string survives, and exits 1", async () => {
    const input = join(work, "risky.jsonl");
    await writeFile(
      input,
      `${JSON.stringify({ text: "fine, no identifiers" })}\n${JSON.stringify({ text: "ref 123/45/6789" })}\n`,
    );
    const out = join(work, "risky-clean.jsonl");
    const report = join(work, "risky.json");
    const result = await fedtune(
      "deid",
      "--in",
      input,
      "--out",
      out,
      "--report",
      report,
      "--mode",
      "required",
      "--secret",
      join(work, "s.key"),
    );
    expect(result.code).toBe(1);
    expect((await readFile(out, "utf8")).trim().split("\n")).toHaveLength(1);
    const summary = JSON.parse(await readFile(report, "utf8")) as {
      refused: { file: string; line: number }[];
    };
    expect(summary.refused).toEqual([
      { file: input, line: 2, reason: expect.stringContaining("SSN-shaped") as string },
    ]);
  });

  it("invalid JSON writes nothing", async () => {
    const input = join(work, "bad.jsonl");
    await writeFile(input, '{"text": "ok"}\n{oops\n');
    const out = join(work, "bad-clean.jsonl");
    expect((await fedtune("deid", "--in", input, "--out", out, "--secret", join(work, "s.key"))).code).toBe(
      1,
    );
    expect(existsSync(out)).toBe(false);
  });
});
