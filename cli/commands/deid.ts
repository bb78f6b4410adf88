// `fedtune deid`: de-identify a JSONL file of notes with the site's secret, writing clean rows and a count of what was replaced.
import { readFile, writeFile } from "node:fs/promises";
import type { Command } from "../command.ts";
import { UsageError } from "../command.ts";
import { DEID_MODES, jsonScrubber } from "../../client/deid/rows.ts";
import { loadOrCreateDeidSecret } from "../../client/deid/secret.ts";

export const deidCommand: Command = {
  path: ["deid"],
  summary: "De-identify a JSONL file of clinical notes (names, dates, numbers, places → surrogates)",
  details:
    "Scrubs every string in every row: HIPAA Safe Harbor identifiers are replaced by surrogates keyed " +
    "by the site's secret (the same one the site client uses, so surrogates agree), dates move by a " +
    "per-patient offset. With --mode required, a row where an SSN- or MRN-shaped string survives is " +
    "refused as file:line and left out, and the exit code is 1. See docs/deidentification.md.",
  options: {
    in: { type: "string", description: "Input JSONL file" },
    out: { type: "string", description: "Output JSONL file" },
    report: { type: "string", description: "Write counts by kind and refused rows as JSON here" },
    secret: {
      type: "string",
      description: "The site's de-identification secret (created when absent)",
      defaultText: "site-state/deid-secret.key",
    },
    mode: { type: "string", description: "on | required", defaultText: "on" },
  },
  async run(args, ctx) {
    const input = args.requireString("in");
    const output = args.requireString("out");
    const mode = args.choice("mode", DEID_MODES, "on");
    if (mode === "off") throw new UsageError("--mode: off would copy the file unchanged; use on or required");
    let text: string;
    try {
      text = await readFile(input, "utf8");
    } catch (error) {
      ctx.logger.error(`cannot read ${input}: ${(error as Error).message}`);
      return 1;
    }
    const scrubber = jsonScrubber(
      loadOrCreateDeidSecret(args.string("secret") ?? "site-state/deid-secret.key"),
      mode,
    );
    const clean: string[] = [];
    const refused: { file: string; line: number; reason: string }[] = [];
    const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
    for (const [index, raw] of lines.entries()) {
      if (raw.trim() === "") continue;
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch (error) {
        // Bad input changes nothing: no output is written.
        ctx.logger.error(`${input}:${index + 1}: invalid JSON: ${(error as Error).message}`);
        return 1;
      }
      const result = scrubber.scrubJson(value);
      if ("refused" in result) {
        refused.push({ file: input, line: index + 1, reason: result.refused });
        ctx.logger.warn(`${input}:${index + 1}: ${result.refused}`);
      } else clean.push(JSON.stringify(result.value));
    }
    await writeFile(output, clean.map((line) => `${line}\n`).join(""));
    const summary = { rows: clean.length, refused, replaced: scrubber.counts };
    const reportFile = args.string("report");
    if (reportFile !== undefined) await writeFile(reportFile, `${JSON.stringify(summary, null, 2)}\n`);
    ctx.print(JSON.stringify({ rows: clean.length, refused: refused.length, replaced: scrubber.counts }));
    return refused.length > 0 ? 1 : 0;
  },
};
