// The charts of a run and report.html: one self-contained page (inline SVG and CSS, no scripts, no external assets).
import { PALETTE, barChart, escapeXml, integerAxis, lineChart, stackedBarChart } from "./charts.ts";
import type { Series } from "./charts.ts";
import type { SimMetrics } from "./metrics.ts";
import { meanOf } from "./metrics.ts";
import {
  DEID_SITE_HEADERS,
  IDENTIFIER_RANK_HEADERS,
  IDENTIFIER_RANK_NOTE,
  deidSiteRows,
  identifierRankRows,
  leakCheckLine,
} from "./deid-table.ts";
import { LEAKAGE_HEADERS, leakageNote, leakageRows } from "./leakage-table.ts";
import { SITE_PRIVACY_HEADERS, sitePrivacyRows } from "./privacy-table.ts";
import { formatBytes, formatEpsilon, formatPercent, formatSeconds } from "./table.ts";

export interface NamedChart {
  /** File-name stem, e.g. "accuracy". */
  readonly name: string;
  readonly title: string;
  readonly svg: string;
}

const percent = (v: number): string => `${Math.round(v * 100)}%`;

/** Readable names of the coordinator's stages (coordinator/round/stages.ts); sites train before their first stage answer. */
const STAGE_LABELS: Readonly<Record<string, string>> = {
  collect_updates: "train + upload",
  advertise_keys: "train + advertise keys",
  share_keys: "share keys",
  masked_input: "masked input",
  consistency: "consistency",
  unmask: "unmask",
  collect_metrics: "evaluate at sites",
};

/** The global series and the baseline take the first two colours; each site has the same one in every chart. */
function siteColor(index: number): string {
  return PALETTE[(2 + index) % PALETTE.length] ?? "#000";
}

function perSiteSeries(metrics: SimMetrics, pick: "accuracy" | "loss"): Series[] {
  return metrics.sites.map((s, index) => ({
    name: s.siteId,
    color: siteColor(index),
    points: metrics.rounds.flatMap((r) => {
      const f = r.perSite[s.siteId];
      return f === undefined ? [] : [[r.round, f[pick]] as const];
    }),
  }));
}

/** Every chart the report shows, in page order. */
export function buildCharts(metrics: SimMetrics): NamedChart[] {
  const rounds = metrics.rounds;
  const global = (pick: "accuracy" | "loss"): Series => ({
    name: "global test set",
    emphasis: true,
    color: PALETTE[0],
    points: rounds.flatMap((r) => (r.global === null ? [] : [[r.round, r.global[pick]] as const])),
  });
  const baseline: Series[] =
    metrics.baseline === null || rounds.length === 0
      ? []
      : [
          {
            name: "base model",
            dashed: true,
            color: PALETTE[1],
            points: [
              [rounds[0]?.round ?? 1, metrics.baseline.accuracy],
              [rounds[rounds.length - 1]?.round ?? 1, metrics.baseline.accuracy],
            ],
          },
        ];
  const stageNames = [...new Set(rounds.flatMap((r) => Object.keys(r.stageDurationsMs)))];
  // Every chart by round spans the same rounds, whichever of them a series has points for.
  const roundNumbers = rounds.map((r) => r.round);
  const xRange =
    roundNumbers.length === 0 ? undefined : integerAxis(Math.min(...roundNumbers), Math.max(...roundNumbers));
  const byRound = xRange === undefined ? {} : { xRange };
  const epsilonPoints = rounds.flatMap((r) => (r.epsilon === null ? [] : [[r.round, r.epsilon] as const]));
  const charts: NamedChart[] = [
    {
      name: "accuracy",
      title: "Accuracy by round",
      svg: lineChart({
        title: "Accuracy by round (global test set and each site's validation set)",
        xLabel: "round",
        ...byRound,
        yLabel: "accuracy",
        yRange: [0, 1],
        yFormat: percent,
        series: [global("accuracy"), ...baseline, ...perSiteSeries(metrics, "accuracy")],
      }),
    },
    {
      name: "loss",
      title: "Loss by round",
      svg: lineChart({
        title: "Loss by round (mean token NLL)",
        xLabel: "round",
        ...byRound,
        yLabel: "loss",
        series: [global("loss"), ...perSiteSeries(metrics, "loss")],
      }),
    },
    {
      name: "bytes",
      title: "Bytes by round",
      svg: lineChart({
        title: "Traffic by round (all sites)",
        xLabel: "round",
        ...byRound,
        yLabel: "bytes",
        series: [
          {
            name: "sites → coordinator",
            emphasis: true,
            points: rounds.map((r) => [r.round, r.bytesSent] as const),
          },
          ...(rounds.some((r) => r.bytesReceived > 0)
            ? [
                {
                  name: "coordinator → sites",
                  points: rounds.map((r) => [r.round, r.bytesReceived] as const),
                },
              ]
            : []),
        ],
      }),
    },
    {
      name: "stages",
      title: "Stage durations by round",
      svg: stackedBarChart({
        title: "Stage durations by round",
        yLabel: "seconds",
        categories: rounds.map((r) => String(r.round)),
        stacks: stageNames.map((name) => ({
          name: STAGE_LABELS[name] ?? name,
          values: rounds.map((r) => (r.stageDurationsMs[name] ?? 0) / 1000),
        })),
      }),
    },
  ];
  // Without DP there is no ε to plot: the summary says "no DP" instead of an empty panel.
  if (epsilonPoints.length > 0)
    charts.splice(2, 0, {
      name: "epsilon",
      title: "Privacy spent by round",
      svg: lineChart({
        title: "Privacy spent: largest ε over the sites",
        xLabel: "round",
        yLabel: "ε",
        ...byRound,
        series: [{ name: "ε (δ as configured)", emphasis: true, points: epsilonPoints }],
      }),
    });
  if (metrics.comparison !== null && metrics.comparison.length > 0) {
    charts.push({
      name: "comparison",
      title: "Privacy–utility comparison",
      svg: barChart({
        title: "Accuracy on the global test set by setting",
        xLabel: "accuracy",
        xRange: [0, 1],
        valueFormat: percent,
        bars: metrics.comparison.map((c) => ({ label: c.setting, value: c.globalAccuracy })),
      }),
    });
    const sweep = metrics.comparison.filter((c) => c.targetEpsilon !== undefined);
    if (sweep.length > 0)
      charts.push({
        name: "epsilon-sweep",
        title: "Accuracy against ε",
        svg: barChart({
          title: "Privacy–utility sweep: global test accuracy against the target ε (δ as configured)",
          xLabel: "accuracy",
          xRange: [0, 1],
          valueFormat: percent,
          bars: sweep.map((c) => ({
            label:
              c.targetEpsilon === null || c.targetEpsilon === undefined
                ? "ε = ∞ (no DP)"
                : `ε ≤ ${c.targetEpsilon}`,
            value: c.globalAccuracy,
          })),
        }),
      });
  }
  return charts;
}

function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const head = headers.map((h) => `<th>${escapeXml(h)}</th>`).join("");
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeXml(c)}</td>`).join("")}</tr>`).join("\n");
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const CSS = `
body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;margin:2rem auto;max-width:1340px;padding:0 1rem;color:#222;background:#fafafa}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.3rem}
.sub{color:#666;margin-top:0}.cards{display:flex;flex-wrap:wrap;gap:1rem;margin:1rem 0}
.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:.7rem 1rem;min-width:150px}
.card b{display:block;font-size:1.4rem}.card span{color:#666;font-size:.85rem}
.charts{display:flex;flex-wrap:wrap;gap:1rem}.charts figure{margin:0;background:#fff;border:1px solid #ddd;border-radius:6px}
table{border-collapse:collapse;background:#fff;font-size:.9rem;margin:.5rem 0}
th,td{border:1px solid #ddd;padding:.3rem .6rem;text-align:right}th{background:#f0f0f0}
td:first-child,th:first-child{text-align:left}`;

/** report.html: summary cards, the charts, the comparison table, per-site and per-round tables. */
export function renderHtml(metrics: SimMetrics, charts: readonly NamedChart[]): string {
  const last = metrics.rounds[metrics.rounds.length - 1];
  const settings = Object.entries(metrics.settings).map(([k, v]) => [k, v === null ? "–" : String(v)]);
  const cards = [
    ["final global accuracy", formatPercent(last?.global?.accuracy)],
    ["base model accuracy", formatPercent(metrics.baseline?.accuracy)],
    ["rounds", String(metrics.rounds.length)],
    ["sites", String(metrics.sites.length)],
    [
      "ε spent",
      metrics.rounds.some((r) => r.epsilon !== null)
        ? formatEpsilon(last?.epsilon ?? null)
        : "no DP in this run",
    ],
    ["bytes sent", formatBytes(metrics.rounds.reduce((s, r) => s + r.bytesSent, 0))],
    ["wall time", formatSeconds(metrics.wallTimeMs)],
  ];
  const sections: string[] = [
    `<h1>${escapeXml(metrics.title)}</h1>`,
    `<p class="sub">fedtune simulation report · privacy ${escapeXml(metrics.settings.privacy)} · strategy ${escapeXml(metrics.settings.strategy)} · seed ${metrics.settings.seed}</p>`,
    `<div class="cards">${cards.map(([k, v]) => `<div class="card"><b>${escapeXml(v ?? "")}</b><span>${escapeXml(k ?? "")}</span></div>`).join("")}</div>`,
  ];
  if (metrics.comparison !== null && metrics.comparison.length > 0) {
    const siteIds = metrics.sites.map((s) => s.siteId);
    sections.push(
      "<h2>Privacy–utility comparison</h2>",
      table(
        ["setting", "global test accuracy", "mean site accuracy", ...siteIds, "ε", "bytes sent", "wall time"],
        metrics.comparison.map((c) => [
          c.setting,
          formatPercent(c.globalAccuracy),
          formatPercent(meanOf(c.siteAccuracy)),
          ...siteIds.map((id) => formatPercent(c.siteAccuracy[id])),
          formatEpsilon(c.epsilon),
          formatBytes(c.bytesSent),
          formatSeconds(c.wallTimeMs),
        ]),
      ),
    );
  }
  const leakage = leakageRows(metrics);
  if (leakage.length > 0)
    sections.push(
      "<h2>Leakage</h2>",
      table(LEAKAGE_HEADERS, leakage),
      `<p class="sub">${escapeXml(leakageNote(metrics))}</p>`,
    );
  const deid = metrics.deidentification;
  if (deid !== undefined) {
    const ranks = identifierRankRows(deid);
    sections.push(
      "<h2>De-identification</h2>",
      table(DEID_SITE_HEADERS, deidSiteRows(deid)),
      '<p class="sub">Identifiers each site replaced as its rows loaded, by kind, as the site\'s own client reported them (never sent to the coordinator); rows refused because a high-risk shape survived.</p>',
      `<p>${escapeXml(leakCheckLine(deid))}</p>`,
      ...(ranks.length === 0
        ? []
        : [table(IDENTIFIER_RANK_HEADERS, ranks), `<p class="sub">${escapeXml(IDENTIFIER_RANK_NOTE)}</p>`]),
    );
  }
  const privacy = sitePrivacyRows(metrics);
  if (privacy.length > 0)
    sections.push(
      "<h2>ε per site</h2>",
      table(SITE_PRIVACY_HEADERS, privacy),
      '<p class="sub">Each site\'s own ledger (RDP accountant) from the sampling rate and steps it used; the release is covered by the largest.</p>',
    );
  sections.push(
    "<h2>Charts</h2>",
    `<div class="charts">${charts.map((c) => `<figure aria-label="${escapeXml(c.title)}">${c.svg}</figure>`).join("\n")}</div>`,
    "<h2>Sites</h2>",
    table(
      ["site", "kind", "train records", "validation records", "final validation accuracy"],
      metrics.sites.map((s) => [
        s.siteId,
        s.displayName,
        String(s.trainRecords),
        String(s.validationRecords),
        formatPercent(last?.perSite[s.siteId]?.accuracy),
      ]),
    ),
    "<h2>Rounds</h2>",
    table(
      [
        "round",
        "global accuracy",
        "global loss",
        "ε",
        "bytes sent",
        "bytes received",
        "participants",
        "dropouts",
        "wall time",
      ],
      metrics.rounds.map((r) => [
        String(r.round),
        formatPercent(r.global?.accuracy),
        r.global === null ? "–" : r.global.loss.toFixed(3),
        formatEpsilon(r.epsilon),
        formatBytes(r.bytesSent),
        formatBytes(r.bytesReceived),
        String(r.participants),
        String(r.dropouts),
        formatSeconds(r.wallTimeMs),
      ]),
    ),
    "<h2>Settings</h2>",
    table(["setting", "value"], settings),
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(metrics.title)}</title><style>${CSS}</style></head>
<body>
${sections.join("\n")}
</body></html>
`;
}
