// ε per site, as each site's own ledger computed it from the sampling rate and steps that site used:
// read back from the ledgers the site clients persisted (client/node/site-state.ts) after a run.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseLedger, spentEpsilon } from "../crypto/dp/ledger.ts";

export interface SitePrivacy {
  readonly siteId: string;
  /** ε the site's ledger spent at its δ (the RDP accountant, same conversion as the ledger). */
  readonly epsilon: number;
  readonly delta: number;
  /** Distinct sampling rates q of the charged blocks (record DP: batch / the site's records). */
  readonly samplingRates: readonly number[];
  readonly noiseMultiplier: number;
  /** Steps charged over the run (DP-SGD steps, or rounds for site-level DP). */
  readonly steps: number;
  readonly rounds: number;
}

/** The ledger file a site client keeps in its state folder. */
const LEDGER_FILE = "privacy-ledger.json";

/** Each site's ledger under `<runDir>/sites/<siteId>/`; sites without one (no DP) are left out. */
export async function readSitePrivacy(runDir: string, siteIds: readonly string[]): Promise<SitePrivacy[]> {
  const out: SitePrivacy[] = [];
  for (const siteId of siteIds) {
    const file = join(runDir, "sites", siteId, LEDGER_FILE);
    if (!existsSync(file)) continue;
    const ledger = parseLedger(await readFile(file, "utf8"));
    if (ledger.entries.length === 0) continue;
    out.push({
      siteId,
      epsilon: spentEpsilon(ledger).epsilon,
      delta: ledger.budget.delta,
      samplingRates: [...new Set(ledger.entries.map((e) => e.samplingRate))],
      noiseMultiplier: Math.max(...ledger.entries.map((e) => e.noiseMultiplier)),
      steps: ledger.entries.reduce((s, e) => s + e.steps, 0),
      rounds: ledger.entries.length,
    });
  }
  return out;
}
