// docs/configuration.md is generated from the config schemas: every key has a meaning, the file is current,
// and the example configs in examples/ load.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { loadSiteConfig } from "../../client/node/config.ts";
import { parseRow } from "../../client/data/rows.ts";
import { loadFederationConfig } from "../../coordinator/config.ts";
import { CONFIG_FILES, configKeys, renderConfigReference } from "../../scripts/config-reference.ts";

const repo = (path: string): string => fileURLToPath(new URL(`../../${path}`, import.meta.url));

describe("the configuration reference", () => {
  it.each(CONFIG_FILES.map((entry) => [entry.file, entry.schema] as const))(
    "gives every key of %s a type, a default and a meaning",
    (_file, schema) => {
      const keys = configKeys(schema);
      expect(keys.length).toBeGreaterThan(10);
      expect(
        keys.filter((key) => key.meaning === undefined || key.meaning === "").map((key) => key.path),
      ).toEqual([]);
    },
  );

  it("finds a key without a meaning", () => {
    const keys = configKeys(z.strictObject({ documented: z.string().describe("Said."), bare: z.number() }));
    expect(keys.filter((key) => key.meaning === undefined).map((key) => key.path)).toEqual(["bare"]);
  });

  it("is current: docs/configuration.md equals what scripts/gen-config-docs.ts writes", () => {
    expect(readFileSync(repo("docs/configuration.md"), "utf8")).toBe(renderConfigReference());
  });

  it("lists the keys the example configs use, and the examples load", () => {
    const coordinator = loadFederationConfig(repo("examples/coordinator.yaml"));
    expect(coordinator.privacy.mode).toBe("secagg");
    expect(coordinator.transfers.headerTimeoutMs).toBe(5000);
    const site = loadSiteConfig(repo("examples/site.yaml"));
    expect(site.data.strict).toBe(false);
    expect(site.deid).toBe("on");
    expect(site.policy?.privacyModes).toEqual(["secagg", "he"]);
    const reference = readFileSync(repo("docs/configuration.md"), "utf8");
    for (const path of [
      "transfers.stallTimeoutMs",
      "data.strict",
      "metricsHost",
      "trainer.command",
      "policy.maxLocalSteps",
    ])
      expect(reference).toContain(`\`${path}\``);
  });
});

describe("docs/operations.md", () => {
  it("gives one valid example row per JSONL row kind", () => {
    const text = readFileSync(repo("docs/operations.md"), "utf8");
    const rows = [...text.matchAll(/```jsonl\n([\s\S]*?)```/g)].flatMap((m) =>
      (m[1] ?? "").split("\n").filter((line) => line.trim() !== ""),
    );
    const kinds = rows.map((line) => {
      const parsed = parseRow(JSON.parse(line));
      if (!parsed.ok) throw new Error(`${line}: ${parsed.reason}`);
      return parsed.row.kind;
    });
    expect(kinds.sort()).toEqual(["chat", "input_ids", "instruction", "mcq", "text"]);
  });
});

describe("fedtune from any folder", () => {
  it("runs the package's bin (what npm link and a global install put on the PATH) outside the checkout", () => {
    const elsewhere = mkdtempSync(join(tmpdir(), "fedtune-anywhere-"));
    const run = spawnSync(process.execPath, [repo("bin/fedtune.mjs"), "--help"], {
      cwd: elsewhere,
      encoding: "utf8",
      env: { ...process.env, FEDTUNE_LOG_LEVEL: "silent" },
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/coordinator start/);
    expect(run.stderr).not.toMatch(/DeprecationWarning/);
  });
});
