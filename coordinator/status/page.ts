// The status page: HTML rendered on the server from a snapshot, and the same renderer shipped inline to the
// browser, which polls /api/status every 2 s and redraws without a reload. Charts are SVG drawn here;
// nothing is fetched from elsewhere.
import { createHash } from "node:crypto";
import type { StatusSnapshot } from "./snapshot.ts";

const POLL_INTERVAL_MS = 2_000;

/**
 * The page's body for a snapshot. Self-contained (no imports, no module constants): its source text runs
 * in the browser as well, so that a poll redraws exactly what the server drew.
 */
export function renderStatusBody(snapshot: StatusSnapshot): string {
  const esc = (value: unknown): string =>
    String(value).replace(
      /[&<>"']/g,
      (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
    );
  const bytes = (n: number | null): string => {
    if (n === null) return "—";
    const units = ["B", "kB", "MB", "GB", "TB"];
    let value = n;
    let unit = 0;
    while (value >= 1000 && unit < units.length - 1) {
      value /= 1000;
      unit += 1;
    }
    return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit] ?? ""}`;
  };
  const num = (n: number | null, digits: number): string => (n === null ? "—" : n.toFixed(digits));
  const time = (iso: string): string =>
    iso === "" ? "—" : esc(iso.replace("T", " ").replace(/\.\d+Z$/, "Z"));
  const now = Date.parse(snapshot.generatedAt);
  type Run = StatusSnapshot["runs"][number];
  type Round = Run["rounds"][number];

  // Evaluation rounds belong to the training round they follow: the adapter version they scored.
  const trainingRoundOf = (run: Run, round: number): number =>
    run.rounds.filter((r) => r.kind === "train" && r.outcome === "completed" && r.round <= round).length;
  const roundLabel = (run: Run, round: number, kind: Round["kind"], completed: boolean): string =>
    kind === "train"
      ? `training ${trainingRoundOf(run, round) + (completed ? 0 : 1)}`
      : `evaluation of ${trainingRoundOf(run, round)}`;

  const chart = (id: string, title: string, points: readonly [number, number][], digits: number): string => {
    const [width, height, left, bottom, top, right] = [360, 180, 48, 28, 12, 12];
    const head = `<figure class="chart" id="${id}" data-points="${points.length}"><figcaption>${esc(title)}</figcaption>`;
    if (points.length === 0) return `${head}<p class="empty">no evaluation round yet</p></figure>`;
    const xs = points.map((p) => p[0]);
    const ys = points.map((p) => p[1]);
    const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
    let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
    // A flat series still gets distinct ticks at the printed precision.
    const minSpan = 4 * 10 ** -digits;
    if (y1 - y0 < minSpan) [y0, y1] = [(y0 + y1 - minSpan) / 2, (y0 + y1 + minSpan) / 2];
    const px = (x: number): number =>
      left + (x1 === x0 ? 0.5 : (x - x0) / (x1 - x0)) * (width - left - right);
    const py = (y: number): number => top + (1 - (y - y0) / (y1 - y0)) * (height - top - bottom);
    const path = points.map((p, i) => `${i === 0 ? "M" : "L"}${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`);
    const dots = points.map(
      (p) =>
        `<circle cx="${px(p[0]).toFixed(1)}" cy="${py(p[1]).toFixed(1)}" r="3"><title>round ${p[0]}: ${p[1].toFixed(digits)}</title></circle>`,
    );
    const xTicks = [...new Set(xs)].map(
      (x) => `<text x="${px(x).toFixed(1)}" y="${height - 8}" text-anchor="middle">${x}</text>`,
    );
    const yTicks = [y0, (y0 + y1) / 2, y1].map(
      (y) =>
        `<text x="${left - 6}" y="${(py(y) + 4).toFixed(1)}" text-anchor="end">${y.toFixed(digits)}</text>` +
        `<line x1="${left}" x2="${width - right}" y1="${py(y).toFixed(1)}" y2="${py(y).toFixed(1)}" class="grid"/>`,
    );
    return (
      `${head}<svg viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(title)} by training round">` +
      `${yTicks.join("")}${xTicks.join("")}<path d="${path.join("")}"/>${dots.join("")}</svg></figure>`
    );
  };

  const progress = (run: Run): string => {
    const stage = run.inProgress;
    if (stage === null) return "";
    const seconds = Math.max(0, Math.round((Date.parse(stage.deadlineAt) - now) / 1000));
    return (
      `<p class="progress" id="in-progress" data-round="${stage.round}">Round ${stage.round} · ${esc(roundLabel(run, stage.round, stage.kind, false))}, ` +
      `try ${stage.attempt}: stage <b>${esc(stage.stage)}</b>, deadline ${time(stage.deadlineAt)} (in ${seconds} s)</p>`
    );
  };

  const roundsTable = (run: Run): string => {
    const rows = run.rounds.map(
      (r) =>
        `<tr data-round="${r.round}" data-kind="${esc(r.kind)}" data-outcome="${esc(r.outcome)}">` +
        `<td>${r.round}</td><td>${esc(roundLabel(run, r.round, r.kind, r.outcome === "completed"))}</td><td>${r.attempt}</td><td>${esc(r.outcome)}</td>` +
        `<td>${r.participants}</td><td>${r.dropouts}</td><td>${bytes(r.bytesIn)}</td><td>${bytes(r.bytesOut)}</td>` +
        `<td>${num(r.loss, 4)}</td><td>${num(r.accuracy, 3)}</td></tr>`,
    );
    return (
      `<table class="rounds"><thead><tr><th>round</th><th>what</th><th>try</th><th>outcome</th><th>sites</th>` +
      `<th>dropouts</th><th>bytes in</th><th>bytes out</th><th>loss</th><th>accuracy</th></tr></thead>` +
      `<tbody>${rows.length === 0 ? '<tr><td colspan="10">no round yet</td></tr>' : rows.join("")}</tbody></table>`
    );
  };

  const runSection = (run: Run, current: boolean): string => {
    const evaluated = run.rounds.filter((r) => r.kind === "eval" && r.outcome === "completed");
    const series = (key: "loss" | "accuracy"): [number, number][] =>
      evaluated.flatMap((r) => {
        const value = r[key];
        return value === null ? [] : [[trainingRoundOf(run, r.round), value] as [number, number]];
      });
    const summary =
      `Run ${esc(run.id)} · <span class="state ${esc(run.state)}">${esc(run.state)}</span> · ${esc(run.privacyMode)} · ` +
      `${esc(run.strategy)} · ${run.completedTrainingRounds}/${run.trainingRounds} training rounds`;
    const body =
      progress(run) +
      `<div class="charts">${chart(`chart-loss-${run.id}`, "Global loss", series("loss"), 4)}` +
      `${chart(`chart-accuracy-${run.id}`, "Global accuracy", series("accuracy"), 3)}</div>` +
      roundsTable(run);
    return current
      ? `<section class="run" data-run="${esc(run.id)}" data-state="${esc(run.state)}"><h2>${summary}</h2>${body}</section>`
      : `<details class="run" data-run="${esc(run.id)}" data-state="${esc(run.state)}"><summary>${summary}</summary>${body}</details>`;
  };

  const siteRows = snapshot.sites.map(
    (s) =>
      `<tr data-site="${esc(s.siteId)}"><td>${esc(s.siteId)}</td><td>${time(s.joinedAt)}</td><td>${time(s.lastSeen)}</td>` +
      `<td class="${s.online ? "yes" : "no"}">${s.online ? "online" : "offline"}</td>` +
      `<td class="${s.standing === "active" ? "" : "no"}">${s.standing}</td>` +
      `<td>${s.roundsContributed}</td><td>${s.roundsDropped}</td>` +
      `<td>${s.epsilonSpent === null ? "—" : `≤ ${s.epsilonSpent.toFixed(2)}`}</td>` +
      `<td>${s.epsilonReported === null ? "—" : s.epsilonReported.toFixed(2)}</td></tr>`,
  );
  const [first, ...past] = snapshot.runs;
  return (
    `<header><h1>${esc(snapshot.federation)}</h1><p>as of ${time(snapshot.generatedAt)}</p></header>` +
    (first === undefined ? "<p>no run yet</p>" : runSection(first, true)) +
    (past.length === 0 ? "" : `<h2>Past runs</h2>${past.map((run) => runSection(run, false)).join("")}`) +
    `<h2>Sites</h2><table id="sites"><thead><tr><th>site</th><th>joined</th><th>last seen</th><th>online</th>` +
    `<th>standing</th><th>rounds contributed</th><th>rounds dropped</th><th>ε bound (site-level DP)</th>` +
    `<th>ε its ledger reports</th></tr></thead>` +
    `<tbody>${siteRows.length === 0 ? '<tr><td colspan="9">no site has joined</td></tr>' : siteRows.join("")}</tbody></table>`
  );
}

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem auto;max-width:70rem;padding:0 1rem;color:#1b1f24}
header{display:flex;align-items:baseline;gap:1rem}h1{margin:0}header p{color:#57606a;margin:0}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}th,td{padding:.25rem .5rem;border-bottom:1px solid #d0d7de;text-align:right}
th:first-child,td:first-child,.rounds th:nth-child(2),.rounds td:nth-child(2){text-align:left}
th{background:#f6f8fa}td{white-space:nowrap}
.yes{color:#1a7f37}.no{color:#cf222e}.state.running{color:#0969da}.state.failed,.state.aborted{color:#cf222e}
.progress{background:#ddf4ff;padding:.5rem .75rem;border-radius:6px}
.charts{display:flex;gap:1.5rem;flex-wrap:wrap}.chart{margin:0;flex:1;min-width:18rem}
.chart svg{width:100%;height:auto}.chart path{fill:none;stroke:#0969da;stroke-width:2}.chart circle{fill:#0969da}
.chart text{font-size:10px;fill:#57606a}.chart .grid{stroke:#eaeef2}.empty{color:#57606a}
#stale{color:#cf222e}
`;

// esbuild's keepNames (tsx) wraps nested functions in __name(); the browser has no such helper.
const SCRIPT = `var __name = function (f) { return f; };
var renderStatusBody = ${renderStatusBody.toString()};
var main = document.getElementById("status");
var stale = document.getElementById("stale");
async function refresh() {
  try {
    var response = await fetch("/api/status", { cache: "no-store", credentials: "same-origin" });
    if (!response.ok) throw new Error("HTTP " + response.status);
    main.innerHTML = renderStatusBody(await response.json());
    stale.textContent = "";
  } catch (error) {
    stale.textContent = "not updating: " + error.message;
  }
}
setInterval(refresh, ${POLL_INTERVAL_MS});
`;

/** The script's hash for the Content-Security-Policy, which then allows no other script. */
export const STATUS_SCRIPT_CSP_HASH = `sha256-${createHash("sha256").update(SCRIPT).digest("base64")}`;

export function renderStatusPage(snapshot: StatusSnapshot): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>fedtune status</title>
<style>${STYLE}</style></head>
<body><main id="status">${renderStatusBody(snapshot)}</main><p id="stale"></p>
<script>${SCRIPT}</script></body></html>
`;
}
