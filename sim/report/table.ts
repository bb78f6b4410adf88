// Plain-text tables for the terminal summary, and the number formats shared with the HTML report.
import type { ComparisonRow, DeidentificationReport, SimMetrics } from "./metrics.ts";
import { meanOf } from "./metrics.ts";
import {
  DEID_SITE_HEADERS,
  IDENTIFIER_RANK_HEADERS,
  deidSiteRows,
  identifierRankRows,
  leakCheckLine,
} from "./deid-table.ts";
import { LEAKAGE_HEADERS, leakageRows } from "./leakage-table.ts";
import { SITE_PRIVACY_HEADERS, sitePrivacyRows } from "./privacy-table.ts";

export function formatPercent(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? "–" : `${(v * 100).toFixed(1)}%`;
}

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return "–";
  const units = ["B", "KiB", "MiB", "GiB"];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v.toFixed(0) : v.toFixed(1)} ${units[u] ?? "B"}`;
}

export function formatSeconds(ms: number): string {
  return Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)} s` : "–";
}

export function formatEpsilon(eps: number | null): string {
  return eps === null || !Number.isFinite(eps) ? "∞ (no DP)" : eps.toFixed(2);
}

/** Left-aligns the first column and right-aligns the others, with a rule under the header. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(headers), widths.map((w) => "─".repeat(w)).join("  "), ...rows.map(line)];
}

export function comparisonTable(rows: readonly ComparisonRow[]): string[] {
  return formatTable(
    ["setting", "global test acc", "mean site val acc", "ε", "bytes sent", "wall time"],
    rows.map((r) => [
      r.setting,
      formatPercent(r.globalAccuracy),
      formatPercent(meanOf(r.siteAccuracy)),
      formatEpsilon(r.epsilon),
      formatBytes(r.bytesSent),
      formatSeconds(r.wallTimeMs),
    ]),
  );
}

/** `--phi` runs: identifiers each site replaced (by kind) and refused, then the two probes' verdicts. */
export function deidentificationLines(report: DeidentificationReport): string[] {
  const lines = formatTable(DEID_SITE_HEADERS, deidSiteRows(report));
  lines.push(leakCheckLine(report));
  const ranks = identifierRankRows(report);
  if (ranks.length > 0)
    lines.push(
      "record-number probe (chance: rank uniform on 1–1000):",
      ...formatTable(IDENTIFIER_RANK_HEADERS, ranks),
    );
  return lines;
}

/** The lines `fedtune sim` prints when a run ends: per-round figures, then the comparison if any. */
export function summaryLines(metrics: SimMetrics): string[] {
  const lines = formatTable(
    ["round", "global acc", "global loss", "mean site acc", "ε", "sent", "sites", "dropouts", "time"],
    metrics.rounds.map((r) => [
      String(r.round),
      formatPercent(r.global?.accuracy),
      r.global === null ? "–" : r.global.loss.toFixed(3),
      formatPercent(meanOf(Object.fromEntries(Object.entries(r.perSite).map(([k, v]) => [k, v.accuracy])))),
      formatEpsilon(r.epsilon),
      formatBytes(r.bytesSent),
      String(r.participants),
      String(r.dropouts),
      formatSeconds(r.wallTimeMs),
    ]),
  );
  if (metrics.baseline !== null)
    lines.unshift(
      `base model before fine-tuning: ${formatPercent(metrics.baseline.accuracy)} on the global test set`,
    );
  if (metrics.comparison !== null && metrics.comparison.length > 0)
    lines.push("", ...comparisonTable(metrics.comparison));
  const leakage = leakageRows(metrics);
  if (leakage.length > 0) lines.push("", ...formatTable(LEAKAGE_HEADERS, leakage));
  const privacy = sitePrivacyRows(metrics);
  if (privacy.length > 0) lines.push("", ...formatTable(SITE_PRIVACY_HEADERS, privacy));
  if (metrics.deidentification !== undefined)
    lines.push("", ...deidentificationLines(metrics.deidentification));
  return lines;
}
