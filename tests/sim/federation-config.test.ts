// The coordinator config a simulation builds: valid under the coordinator's own schema in every mode, faults lower the minimum.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadFederationConfig, parseFederationConfig } from "../../coordinator/config.ts";
import { federationConfigInput, writeFederationConfig } from "../../sim/federation-config.ts";
import { parseSimOptions } from "../../sim/options.ts";
import type { SimOptionsInput } from "../../sim/options.ts";
import type { RunPki } from "../../sim/pki.ts";
import { OutputExistsError, createOutputDir } from "../../sim/prepare.ts";

const PKI: RunPki = {
  dir: "/pki",
  caCert: "/pki/ca.cert.pem",
  coordinator: { cert: "/pki/coordinator.cert.pem", key: "/pki/coordinator.key.pem" },
  admin: { cert: "/pki/a.cert.pem", key: "/pki/a.key.pem" },
  sites: new Map(),
};
const HASH = "a".repeat(64);

function input(overrides: Partial<SimOptionsInput>) {
  return federationConfigInput(
    parseSimOptions({ out: "x", ...overrides }),
    PKI,
    "/state",
    HASH,
    "127.0.0.1:0",
    1,
  );
}

describe("federationConfigInput", () => {
  it("is accepted by the coordinator's config loader in every privacy mode, with and without DP", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fedtune-simcfg-"));
    try {
      for (const privacy of ["none", "secagg", "he"] as const) {
        for (const dp of ["none", "site"] as const) {
          const runDir = join(dir, `${privacy}-${dp}`);
          await createOutputDir(runDir);
          const config = await writeFederationConfig(runDir, input({ privacy, dp }));
          expect(config.privacy.mode).toBe(privacy);
          expect(config.dp?.level).toBe(dp === "none" ? undefined : "site");
          const reread = loadFederationConfig(join(runDir, "coordinator.yaml"));
          expect(reread.rounds).toBe(config.rounds);
          expect(reread.training).toEqual(config.training);
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("passes a server learning rate to strategies that have one and is refused with one that has none", () => {
    expect(input({ serverLearningRate: 0.5 }).strategy).toEqual({ name: "fedavg", serverLearningRate: 0.5 });
    expect(input({}).strategy).toEqual({ name: "fedavg" });
    const robust = input({ privacy: "none", strategy: "fedmedian", serverLearningRate: 0.5 });
    expect(() => parseFederationConfig(robust, "sim", "/")).toThrow(ConfigError);
  });

  it("needs every site in a round unless faults are injected", () => {
    expect(input({ sites: 8 }).sitesPerRound?.minimum).toBe(8);
    expect(input({ sites: 8, dropout: 0.2 }).sitesPerRound?.minimum).toBe(4);
    expect(input({ sites: 3, restartAfterRound: 1 }).sitesPerRound?.minimum).toBe(2);
  });
});

describe("createOutputDir", () => {
  it("refuses a folder that holds anything and leaves it untouched", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fedtune-simout-"));
    try {
      await writeFile(join(dir, "keep.txt"), "mine");
      await expect(createOutputDir(dir)).rejects.toBeInstanceOf(OutputExistsError);
      expect(await readFile(join(dir, "keep.txt"), "utf8")).toBe("mine");
      await expect(createOutputDir(join(dir, "new", "nested"))).resolves.toContain("nested");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
