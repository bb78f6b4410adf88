// The leakage table shared by the terminal summary and report.html: canary exposure by repetition
// count, the unplanted controls' spread (chance), and the membership attack's AUC, per setting.
import { CANARY_REPETITIONS } from "../leakage/canary.ts";
import type { LeakageFigures } from "../leakage/probe.ts";
import type { SimMetrics } from "./metrics.ts";

export const LEAKAGE_HEADERS = [
  "setting",
  ...CANARY_REPETITIONS.map((r) => `exposure ×${r}`),
  "unplanted (min–max)",
  "membership AUC",
] as const;

const bits = (v: number): string => v.toFixed(2);

function leakageCells(setting: string, leakage: LeakageFigures): string[] {
  const planted = CANARY_REPETITIONS.map((r) => {
    const found = leakage.canaries.find((c) => c.repetitions === r);
    return found === undefined ? "–" : bits(found.ranking.exposure);
  });
  const controls = leakage.canaries.filter((c) => c.repetitions === 0).map((c) => c.ranking.exposure);
  const spread =
    controls.length === 0 ? "–" : `${bits(Math.min(...controls))}–${bits(Math.max(...controls))}`;
  return [setting, ...planted, spread, leakage.membership.auc.toFixed(3)];
}

/** One row per measured setting: this run's, or each comparison row that carries leakage figures. */
export function leakageRows(metrics: SimMetrics): string[][] {
  const rows: string[][] = [];
  if (metrics.leakage !== null)
    rows.push(
      leakageCells(
        `federated ${metrics.settings.dp === "none" ? metrics.settings.privacy : metrics.settings.dp}`,
        metrics.leakage,
      ),
    );
  for (const row of metrics.comparison ?? [])
    if (row.leakage !== undefined && row.leakage !== null) rows.push(leakageCells(row.setting, row.leakage));
  return rows;
}

/** What the table measures, in one sentence for each column group. */
export function leakageNote(metrics: SimMetrics): string {
  const leakage = metrics.leakage ?? metrics.comparison?.find((r) => r.leakage)?.leakage ?? null;
  if (leakage === null) return "";
  const m = leakage.membership;
  return (
    `Exposure (Carlini et al. 2019) in bits of canaries planted at ${leakage.siteId} 1, 4 and 16 times, ` +
    `ranked among every candidate secret by the global adapter; "unplanted" is the spread of secrets never planted (chance). ` +
    `Membership AUC: loss-threshold attack (Yeom et al. 2018) on ${m.members} of the site's training rows ` +
    `against ${m.nonMembers} held-out rows of its distribution (0.5 = chance).`
  );
}
