// The guard rails of `npm run check` can fail: an import cycle, a forbidden room direction, a file too long.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { MAX_LINES, isHandWrittenSource, longFiles } from "../../scripts/check-file-lengths.ts";

const repoRoot = join(import.meta.dirname, "..", "..");
let fixtureDir: string | undefined;

/** A throwaway tree with the given files (path → text). */
function fixture(files: Readonly<Record<string, string>>): string {
  const dir = mkdtempSync(join(tmpdir(), "fedtune-guards-"));
  fixtureDir = dir;
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

afterEach(() => {
  if (fixtureDir !== undefined) rmSync(fixtureDir, { recursive: true, force: true });
  fixtureDir = undefined;
});

interface Violation {
  readonly rule: { readonly name: string };
  readonly from: string;
  readonly to: string;
}

/** Runs dependency-cruiser with the repository's rules over `dirs` of the fixture tree. */
function cruise(dir: string, dirs: readonly string[]): Violation[] {
  const bin = join(repoRoot, "node_modules", ".bin", "depcruise");
  const config = join(repoRoot, ".dependency-cruiser.cjs");
  let out: string;
  try {
    out = execFileSync(bin, ["--config", config, "--output-type", "json", ...dirs], {
      cwd: dir,
      encoding: "utf8",
    });
  } catch (error) {
    // depcruise exits non-zero when it finds errors; the report is still on stdout.
    out = (error as { stdout: string }).stdout;
  }
  return (JSON.parse(out) as { summary: { violations: Violation[] } }).summary.violations;
}

const tsconfig = JSON.stringify({
  compilerOptions: { module: "NodeNext", allowImportingTsExtensions: true },
});

describe("room directions (dependency-cruiser)", () => {
  it("flags an import cycle and imports against the room directions", () => {
    const dir = fixture({
      "tsconfig.json": tsconfig,
      "crypto/a.ts": 'import { b } from "../coordinator/b.ts";\nexport const a = () => b;\n',
      "coordinator/b.ts": 'import { c } from "../client/c.ts";\nexport const b = 1 + c;\n',
      "client/c.ts":
        'import { a } from "../crypto/a.ts";\nexport const c = typeof a === "function" ? 1 : 0;\n',
      "strategies/d.ts": 'import { readFileSync } from "node:fs";\nexport const d = readFileSync;\n',
    });
    const found = new Set(
      cruise(dir, ["crypto", "coordinator", "client", "strategies"]).map((v) => v.rule.name),
    );
    expect(found).toEqual(
      new Set(["no-circular", "crypto-imports-no-room", "coordinator-not-client", "pure-rooms-do-no-io"]),
    );
  });

  it("passes a tree whose imports point inward", () => {
    const dir = fixture({
      "tsconfig.json": tsconfig,
      "crypto/a.ts": "export const a = 1;\n",
      "coordinator/b.ts": 'import { a } from "../crypto/a.ts";\nexport const b = a;\n',
      "client/c.ts": 'import { a } from "../crypto/a.ts";\nexport const c = a;\n',
    });
    expect(cruise(dir, ["crypto", "coordinator", "client"])).toEqual([]);
  });
});

describe("file length", () => {
  it("flags a hand-written source over the limit and passes one at the limit", () => {
    const lines = (n: number) => "const x = 1;\n".repeat(n);
    const dir = fixture({ "ok.ts": lines(MAX_LINES), "long.ts": lines(MAX_LINES + 1) });
    expect(longFiles(dir, ["ok.ts", "long.ts"])).toEqual([{ path: "long.ts", lines: MAX_LINES + 1 }]);
  });

  it("counts code, not tests, generated code or data", () => {
    expect(isHandWrittenSource("coordinator/storage/store.ts")).toBe(true);
    expect(isHandWrittenSource("client/python-trainer/fedtune_trainer/run.py")).toBe(true);
    expect(isHandWrittenSource("tests/sim/clinical.test.ts")).toBe(false);
    expect(isHandWrittenSource("proto/generated/fedtune.ts")).toBe(false);
    expect(isHandWrittenSource("sim/clinical/conditions.json")).toBe(false);
  });
});
