// Fails when a hand-written source file outside tests/ is longer than MAX_LINES (a file should fit in one's head).
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const MAX_LINES = 500;

/** Code written by hand: these endings count; data (JSON, text, weights) and the .proto contract do not. */
const SOURCE_FILE = /\.(ts|mts|cts|js|mjs|cjs|py|sh)$/;
/** Tests may be long (one table of cases); generated code is not written by hand. */
const EXEMPT = /^(tests|proto\/generated|node_modules)\//;

export function isHandWrittenSource(path: string): boolean {
  return SOURCE_FILE.test(path) && !EXEMPT.test(path);
}

export interface LongFile {
  readonly path: string;
  readonly lines: number;
}

/** Lines as `wc -l` counts them: newline characters. */
function lineCount(text: string): number {
  let lines = 0;
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) lines++;
  return lines;
}

/** The hand-written sources among `paths` (relative to `root`) that are longer than `maxLines`. */
export function longFiles(root: string, paths: readonly string[], maxLines = MAX_LINES): LongFile[] {
  return paths
    .filter(isHandWrittenSource)
    .map((path) => ({ path, lines: lineCount(readFileSync(join(root, path), "utf8")) }))
    .filter((file) => file.lines > maxLines);
}

/** The files git tracks, and the new ones it does not ignore. */
function repositoryFiles(root: string): string[] {
  const out = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: root,
    encoding: "utf8",
  });
  return [...new Set(out.split("\0").filter((path) => path !== ""))];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = join(fileURLToPath(import.meta.url), "..", "..");
  // A tracked file deleted in the working tree but not yet staged is not there to count.
  const present = repositoryFiles(root).filter((path) => existsSync(join(root, path)));
  const long = longFiles(root, present);
  for (const file of long) console.error(`${file.path}: ${file.lines} lines (at most ${MAX_LINES})`);
  if (long.length > 0) process.exit(1);
  console.log(`file lengths: every hand-written source file has at most ${MAX_LINES} lines`);
}
