// The ε-per-site table shared by the terminal summary and report.html: each site's own ledger beside
// the consortium-wide figure (the largest ε any site spent, the one the release is covered by).
import type { SitePrivacy } from "../site-privacy.ts";
import type { SimMetrics } from "./metrics.ts";

export const SITE_PRIVACY_HEADERS = ["site", "ε", "δ", "sampling rate q", "σ", "steps", "rounds"] as const;

function cells(p: SitePrivacy): string[] {
  return [
    p.siteId,
    p.epsilon.toFixed(2),
    String(p.delta),
    p.samplingRates.map((q) => q.toPrecision(3)).join(", "),
    String(Number(p.noiseMultiplier.toFixed(4))),
    String(p.steps),
    String(p.rounds),
  ];
}

/** One row per site with a ledger, then the consortium-wide row; empty without DP. */
export function sitePrivacyRows(metrics: Pick<SimMetrics, "sitePrivacy">): string[][] {
  const sites = metrics.sitePrivacy;
  if (sites.length === 0) return [];
  const widest = Math.max(...sites.map((s) => s.epsilon));
  return [...sites.map(cells), ["consortium (largest ε)", widest.toFixed(2), "", "", "", "", ""]];
}
