// Reads a JSONL data file: one row per line, each validated; invalid rows are skipped and counted, or fatal in strict mode.
import { readFile } from "node:fs/promises";
import { parseRow, type DatasetRow, type Example, type RowSource } from "./rows.ts";

/** A row that failed validation, named by file and 1-based line number. */
export interface InvalidRow extends RowSource {
  readonly reason: string;
}

export interface Dataset {
  readonly file: string;
  readonly examples: Example[];
  readonly invalid: InvalidRow[];
}

export interface LoadOptions {
  /** Fail on the first invalid row instead of skipping it. */
  readonly strict?: boolean;
  /**
   * Runs on every valid row before it is kept (de-identification, client/deid/rows.ts): returns the
   * row to keep, or a reason to refuse it as file:line.
   */
  readonly transform?: (
    row: DatasetRow,
    raw: Readonly<Record<string, unknown>>,
  ) => DatasetRow | { refused: string };
}

/** The data file is missing, unreadable, empty, or (in strict mode) holds an invalid row. */
export class DatasetError extends Error {
  override readonly name = "DatasetError";
}

export function formatInvalidRow(row: InvalidRow): string {
  return `${row.file}:${row.line}: ${row.reason}`;
}

/** Parses JSONL text; `file` only names the rows. Blank lines are ignored. */
export function parseJsonl(text: string, file: string, options: LoadOptions = {}): Dataset {
  const examples: Example[] = [];
  const invalid: InvalidRow[] = [];
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  lines.forEach((raw, index) => {
    if (raw.trim() === "") return;
    const line = index + 1;
    let value: unknown;
    let reason: string | undefined;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      reason = `invalid JSON: ${error instanceof Error ? error.message : String(error)}`;
    }
    if (reason === undefined) {
      const parsed = parseRow(value);
      if (!parsed.ok) reason = parsed.reason;
      else {
        const kept = options.transform?.(parsed.row, value as Record<string, unknown>) ?? parsed.row;
        if ("refused" in kept) reason = kept.refused;
        else examples.push({ ...kept, source: { file, line } });
      }
    }
    if (reason !== undefined) {
      const bad = { file, line, reason };
      if (options.strict === true) throw new DatasetError(formatInvalidRow(bad));
      invalid.push(bad);
    }
  });
  return { file, examples, invalid };
}

/** Loads and validates a JSONL file; a missing or unreadable file is a {@link DatasetError}. */
export async function loadJsonlDataset(file: string, options: LoadOptions = {}): Promise<Dataset> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const code = error instanceof Error && "code" in error ? String(error.code) : "";
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : String(error);
    throw new DatasetError(`cannot read data file ${file}: ${why}`);
  }
  return parseJsonl(text, file, options);
}
