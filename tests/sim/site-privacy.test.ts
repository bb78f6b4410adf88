// ε per site: read back from the ledgers the sites persisted, equal to the accountant on the same blocks.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { computeEpsilon } from "../../crypto/dp/accountant.ts";
import { chargePrivacy, createPrivacyLedger, serializeLedger } from "../../crypto/dp/ledger.ts";
import { readSitePrivacy } from "../../sim/site-privacy.ts";

describe("readSitePrivacy", () => {
  it("reports each site's own ε from its sampling rate and steps, and skips sites without a ledger", async () => {
    const runDir = await mkdtemp(join(tmpdir(), "fedtune-site-privacy-"));
    try {
      const blocks = {
        "site-01": { samplingRate: 0.02, noiseMultiplier: 1.1, steps: 12 },
        "site-02": { samplingRate: 0.08, noiseMultiplier: 1.1, steps: 12 },
      };
      for (const [siteId, block] of Object.entries(blocks)) {
        let ledger = createPrivacyLedger({ epsilon: 50, delta: 1e-5 });
        for (let round = 1; round <= 3; round++)
          ledger = chargePrivacy(ledger, { label: `round ${round}`, ...block });
        await mkdir(join(runDir, "sites", siteId), { recursive: true });
        await writeFile(join(runDir, "sites", siteId, "privacy-ledger.json"), serializeLedger(ledger));
      }
      const sites = await readSitePrivacy(runDir, ["site-01", "site-02", "site-03"]);
      expect(sites.map((s) => s.siteId)).toEqual(["site-01", "site-02"]);
      for (const site of sites) {
        const block = blocks[site.siteId as keyof typeof blocks];
        const expected = computeEpsilon({ blocks: [block, block, block], delta: 1e-5 }).epsilon;
        expect(site.epsilon).toBeCloseTo(expected, 10);
        expect(site).toMatchObject({
          samplingRates: [block.samplingRate],
          steps: 36,
          rounds: 3,
          noiseMultiplier: 1.1,
        });
      }
      // A site that samples a larger share of its records spends more.
      expect(sites[1]!.epsilon).toBeGreaterThan(sites[0]!.epsilon);
    } finally {
      await rm(runDir, { recursive: true, force: true });
    }
  });
});
