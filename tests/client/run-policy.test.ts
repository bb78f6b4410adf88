// A site's policy on the tasks it takes: each rule refuses what it should, with a reason that names it.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadSiteConfig, SiteConfigError } from "../../client/node/config.ts";
import { policyRefusal, type SitePolicy, type TaskOffer } from "../../client/node/run-policy.ts";

const HASH = "ab".repeat(32);
const SECAGG_TASK: TaskOffer = {
  mode: "secagg",
  secaggThreshold: 3,
  noiseMultiplier: 1,
  localSteps: 20,
  baseModelSha256: HASH,
};

describe("policyRefusal", () => {
  it("accepts every task without a policy, and a task within every limit", () => {
    expect(policyRefusal(undefined, { mode: "none", baseModelSha256: HASH })).toBeUndefined();
    const policy: SitePolicy = {
      privacyModes: ["secagg", "he"],
      minSecaggThreshold: 3,
      minNoiseMultiplier: 1,
      maxLocalSteps: 20,
      baseModelSha256: HASH,
    };
    expect(policyRefusal(policy, SECAGG_TASK)).toBeUndefined();
  });

  it.each<[string, SitePolicy, TaskOffer, string]>([
    [
      "mode",
      { privacyModes: ["secagg", "he"] },
      { mode: "none", baseModelSha256: HASH },
      "privacy mode none is not one this site allows (secagg, he)",
    ],
    [
      "SecAgg+ threshold",
      { minSecaggThreshold: 4 },
      SECAGG_TASK,
      "SecAgg+ threshold 3 is below this site's minimum 4",
    ],
    [
      "he threshold",
      { minHeThreshold: 3 },
      { mode: "he", heThreshold: 2, baseModelSha256: HASH },
      "he key threshold 2 is below this site's minimum 3",
    ],
    [
      "DP noise",
      { minNoiseMultiplier: 1.5 },
      SECAGG_TASK,
      "DP noise multiplier 1 is below this site's minimum 1.5",
    ],
    [
      "no DP at all",
      { minNoiseMultiplier: 0.5 },
      { ...SECAGG_TASK, noiseMultiplier: 0 },
      "DP noise multiplier 0 is below this site's minimum 0.5",
    ],
    ["local steps", { maxLocalSteps: 10 }, SECAGG_TASK, "20 local steps exceed this site's maximum 10"],
    [
      "base model",
      { baseModelSha256: "cd".repeat(32) },
      SECAGG_TASK,
      "base model abababababab… is not the one this site's policy names (cdcdcdcdcdcd…)",
    ],
  ])("refuses a task past its %s rule, naming it", (_rule, policy, offer, reason) => {
    expect(policyRefusal(policy, offer)).toBe(reason);
  });

  it("names every rule a task breaks", () => {
    const refusal = policyRefusal({ minSecaggThreshold: 4, maxLocalSteps: 10 }, SECAGG_TASK);
    expect(refusal?.split("; ")).toHaveLength(2);
  });

  it("applies training-only rules to training tasks only (an evaluation has no noise or steps)", () => {
    const evaluation: TaskOffer = { mode: "secagg", secaggThreshold: 3, baseModelSha256: HASH };
    expect(policyRefusal({ minNoiseMultiplier: 1, maxLocalSteps: 1 }, evaluation)).toBeUndefined();
  });
});

describe("the site config's policy", () => {
  const write = (policy: string): string => {
    const dir = mkdtempSync(join(tmpdir(), "fedtune-policy-"));
    const path = join(dir, "site.yaml");
    writeFileSync(
      path,
      `coordinator: localhost:50051\ntls: { caCert: ca.pem, cert: site.pem, key: site.key }\ndata: { train: train.jsonl }\n${policy}`,
    );
    return path;
  };

  it("is read from the config", () => {
    const config = loadSiteConfig(write("policy: { privacyModes: [secagg], maxLocalSteps: 50 }\n"));
    expect(config.policy).toEqual({ privacyModes: ["secagg"], maxLocalSteps: 50 });
  });

  it("refuses an unknown mode, a threshold below 2 and an unknown key, listing each", () => {
    const path = write("policy: { privacyModes: [plain], minSecaggThreshold: 1, maxSteps: 3 }\n");
    expect(() => loadSiteConfig(path)).toThrow(SiteConfigError);
    try {
      loadSiteConfig(path);
    } catch (error) {
      const problems = (error as SiteConfigError).problems.join("\n");
      expect(problems).toContain("policy.privacyModes.0");
      expect(problems).toContain("policy.minSecaggThreshold");
      expect(problems).toContain("maxSteps");
    }
  });
});
