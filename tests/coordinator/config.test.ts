// Federation config: defaults, path resolution, every problem listed, strategy/privacy conflicts refused.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  ConfigError,
  loadFederationConfig,
  parseFederationConfig,
  parseFederationConfigText,
  resolveSecAggParameters,
} from "../../coordinator/config.ts";
import { strategySiteSettings } from "../../strategies/config.ts";

const dir = mkdtempSync(join(tmpdir(), "fedtune-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const minimal = {
  baseModel: { source: "builtin" },
  rounds: 3,
  tls: { caCert: "pki/ca.cert.pem", cert: "pki/coord.cert.pem", key: "pki/coord.key.pem" },
};

function problems(value: unknown): readonly string[] {
  try {
    parseFederationConfig(value, "test.yaml", dir);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe("federation config", () => {
  it("fills defaults and resolves relative paths against the config folder", () => {
    const path = join(dir, "coordinator.yaml");
    writeFileSync(
      path,
      [
        "baseModel: { source: builtin }",
        "rounds: 3",
        "strategy: { name: fedprox, mu: 0.05 }",
        "tls:",
        "  caCert: pki/ca.cert.pem",
        "  cert: pki/coord.cert.pem",
        "  key: /abs/coord.key.pem",
      ].join("\n"),
    );
    const config = loadFederationConfig(path);
    expect(config.tls).toEqual({
      caCert: join(dir, "pki/ca.cert.pem"),
      cert: join(dir, "pki/coord.cert.pem"),
      key: "/abs/coord.key.pem",
      pkiDir: join(dir, "pki"),
    });
    expect(config.storageDir).toBe(join(dir, "coordinator-state"));
    expect(config.privacy.mode).toBe("secagg");
    expect(config.lora).toMatchObject({ mode: "ffa", r: 8, targetModules: ["q_proj", "v_proj"] });
    expect(config.deadlines.trainMs).toBe(600_000);
    expect(strategySiteSettings(config.strategy)).toEqual({ fedproxMu: 0.05 });
  });

  it("reads JSON too", () => {
    const path = join(dir, "coordinator.json");
    writeFileSync(path, JSON.stringify({ ...minimal, privacy: { mode: "he" } }));
    expect(loadFederationConfig(path).privacy.mode).toBe("he");
  });

  it("lists every problem with its path, not just the first", () => {
    const found = problems({
      baseModel: { source: "builtin", sha256: "abc" },
      rounds: 0,
      lora: { r: -1, mode: "fancy" },
      sitesPerRound: { fraction: 1.5 },
      deadlines: { trainMs: "soon" },
      dp: { level: "galaxy", clipNorm: 1, noiseMultiplier: 1, epsilonBudget: 8 },
      listen: "nowhere",
      tls: { caCert: "ca.pem" },
      strategy: { name: "krum" },
      typo: true,
    });
    const paths = found.map((problem) => problem.slice(0, problem.indexOf(":")));
    expect(paths).toEqual(
      expect.arrayContaining([
        "baseModel.sha256",
        "rounds",
        "lora.r",
        "lora.mode",
        "sitesPerRound.fraction",
        "deadlines.trainMs",
        "dp.level",
        "listen",
        "tls.cert",
        "tls.key",
        "(root)",
        "strategy.name",
      ]),
    );
    expect(found.length).toBeGreaterThanOrEqual(12);
  });

  it("reports YAML syntax errors with their line", () => {
    expect(() => parseFederationConfigText("rounds: 3\nrounds: 4\n", "dup.yaml", dir)).toThrow(/line 2/);
  });

  it.each([
    ["fedmedian", "secagg"],
    ["trimmed-mean", "he"],
    ["krum", "secagg"],
    ["fedadam", "he"],
    ["fedavgm", "he"],
  ])("refuses strategy %s with privacy mode %s, saying why", (name, mode) => {
    const found = problems({
      ...minimal,
      strategy: { name },
      privacy: { mode },
      sitesPerRound: { minimum: 5 },
    });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^strategy\.name: /);
    expect(found[0]).toContain(name);
  });

  it.each([
    ["fedmedian", "none"],
    ["krum", "none"],
    ["fedadam", "secagg"],
    ["fedyogi", "none"],
    ["fedavg", "he"],
    ["fedprox", "he"],
  ])("accepts strategy %s with privacy mode %s", (name, mode) => {
    expect(
      problems({ ...minimal, strategy: { name }, privacy: { mode }, sitesPerRound: { minimum: 5 } }),
    ).toEqual([]);
  });

  it("checks cross-field constraints: Krum's 2f+3 and the SecAgg threshold", () => {
    expect(
      problems({ ...minimal, strategy: { name: "krum", byzantine: 2 }, privacy: { mode: "none" } }),
    ).toEqual([
      expect.stringMatching(/^sitesPerRound\.minimum: .*2f \+ 3 = 7/),
      expect.stringMatching(/^strategy\.multi: /),
    ]);
    expect(
      problems({
        ...minimal,
        sitesPerRound: { minimum: 3 },
        privacy: { mode: "secagg", secagg: { threshold: 4 } },
      }),
    ).toEqual([expect.stringMatching(/^privacy\.secagg\.threshold: /)]);
    // he mode's evaluation reports go through SecAgg+ as well: the same bounds hold.
    expect(problems({ ...minimal, sitesPerRound: { minimum: 1 }, privacy: { mode: "he" } })).toEqual([
      expect.stringMatching(/^sitesPerRound\.minimum: he needs at least 2 sites per round/),
    ]);
    expect(
      problems({
        ...minimal,
        sitesPerRound: { minimum: 3 },
        privacy: { mode: "he", secagg: { threshold: 4 } },
      }),
    ).toEqual([expect.stringMatching(/^privacy\.secagg\.threshold: /)]);
    expect(problems({ ...minimal, sitesPerRound: { minimum: 1 }, privacy: { mode: "none" } })).toEqual([]);
  });

  it("resolves SecAgg parameters without ever lowering a configured threshold", () => {
    expect(resolveSecAggParameters(5, {})).toEqual({ neighbourDegree: 4, threshold: 3 });
    expect(resolveSecAggParameters(10, { neighbourDegree: 4 })).toEqual({ neighbourDegree: 4, threshold: 3 });
    expect(resolveSecAggParameters(3, { threshold: 4 })).toEqual({ neighbourDegree: 2, threshold: 4 });
  });

  it("refuses a threshold that is no majority of the share holders, at load and for the round actually run", () => {
    // Issue 18 §2: with t = 2 of 4 holders a coordinator splitting the survivor list unmasks one site
    // (tests/crypto/secagg-attacks.test.ts).
    expect(() => resolveSecAggParameters(4, { threshold: 2 })).toThrow(
      /not a majority of the 4 share holders/,
    );
    expect(() => resolveSecAggParameters(5, { neighbourDegree: 3, threshold: 2 })).toThrow(
      /majority of the 5/,
    );
    expect(resolveSecAggParameters(3, { threshold: 2 })).toEqual({ neighbourDegree: 2, threshold: 2 });
    expect(
      problems({
        ...minimal,
        sitesPerRound: { minimum: 4 },
        privacy: { mode: "secagg", secagg: { neighbourDegree: 3, threshold: 2 } },
      }),
    ).toEqual([
      expect.stringMatching(/^privacy\.secagg\.threshold: threshold 2 is not a majority of the up to 5/),
    ]);
  });
});
