// The de-identification tables of a `--phi` run, shared by the terminal summary and report.html: what each
// site replaced (from the sites' own reports), and the two probes of the global adapter for real identifiers.
import type { DeidentificationReport } from "./metrics.ts";

const KINDS = ["name", "date", "id", "phone", "email", "ssn", "url", "ip", "zip", "street", "city", "age"];

export const DEID_SITE_HEADERS = ["site", "replaced", ...KINDS, "refused rows"];

export function deidSiteRows(report: DeidentificationReport): string[][] {
  return Object.entries(report.sites)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([siteId, s]) => [
      siteId,
      String(Object.values(s.replaced).reduce((a, b) => a + b, 0)),
      ...KINDS.map((k) => String(s.replaced[k] ?? 0)),
      String(s.refusedRows),
    ]);
}

export const IDENTIFIER_RANK_HEADERS = ["site", "rank of the true digits", "candidates", "exposure (bits)"];

export function identifierRankRows(report: DeidentificationReport): string[][] {
  return (report.identifierRanks ?? []).map(({ siteId, ranking }) => [
    siteId,
    ranking.rank === null ? "–" : String(ranking.rank),
    String(ranking.candidates),
    ranking.exposure.toFixed(2),
  ]);
}

/** The greedy-generation check's verdict, in one sentence. */
export function leakCheckLine(report: DeidentificationReport): string {
  const leak = report.leakCheck;
  if (leak === null) return "leak check: no global adapter to check";
  const found = leak.identifiersFound.length;
  return (
    `leak check: ${found} planted identifier${found === 1 ? "" : "s"} in ${leak.prompts} greedy generations ` +
    `(${leak.generatedCharacters} characters) of the global adapter` +
    (found === 0 ? "" : `: ${leak.identifiersFound.join(", ")}`)
  );
}

/** What the rank table measures. */
export const IDENTIFIER_RANK_NOTE =
  "Canary-style probe: each site's first planted record number, its last three digits ranked among all " +
  "1,000 by log-likelihood under the global adapter, in the training note's own (pre-scrub) header. The " +
  "sites trained on surrogates, so chance is expected: rank uniform on 1–1,000, exposure near 0 bits; a " +
  "rank near 1 (about 10 bits) would mean the adapter learnt a real identifier.";
