// Self-contained SVG charts (line, stacked bar, horizontal bar) as strings: no scripts, no external assets.

/** Tableau 10, a palette designed to stay distinguishable for common colour-vision deficiencies. */
export const PALETTE = [
  "#4e79a7",
  "#f28e2b",
  "#e15759",
  "#76b7b2",
  "#59a14f",
  "#edc948",
  "#b07aa1",
  "#ff9da7",
  "#9c755f",
  "#bab0ac",
] as const;

const FONT = "DejaVu Sans, Helvetica, Arial, sans-serif";
const WIDTH = 640;
const HEIGHT = 360;
const MARGIN = { top: 40, right: 170, bottom: 48, left: 64 } as const;

export interface Series {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
  /** Thick line for the headline series (e.g. the global test set). */
  readonly emphasis?: boolean;
  readonly dashed?: boolean;
  /** A fixed colour, so that one thing (e.g. a site) has one colour in every chart; else by position. */
  readonly color?: string;
}

export interface LineChartSpec {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  /** Fixed y range, e.g. [0, 1] for accuracy; otherwise fitted to the data. */
  readonly yRange?: readonly [number, number];
  /** Fixed x range, so that charts over the same rounds share one axis; otherwise fitted to the data. */
  readonly xRange?: readonly [number, number];
  readonly yFormat?: (y: number) => string;
}

export interface StackedBarSpec {
  readonly title: string;
  readonly yLabel: string;
  readonly categories: readonly string[];
  readonly stacks: readonly { readonly name: string; readonly values: readonly number[] }[];
  readonly yFormat?: (y: number) => string;
}

export interface BarSpec {
  readonly title: string;
  readonly xLabel: string;
  readonly bars: readonly { readonly label: string; readonly value: number }[];
  readonly xRange?: readonly [number, number];
  readonly valueFormat?: (v: number) => string;
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/**
 * Round tick positions covering [lo, hi]: steps of 1, 2 or 5 × 10^k (Heckbert, "Nice numbers
 * for graph labels", Graphics Gems, 1990).
 */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  const step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step)
    ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

export function compactNumber(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${(v / 1e9).toPrecision(3)}G`;
  if (a >= 1e6) return `${(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e3) return `${(v / 1e3).toPrecision(3)}k`;
  return Number(v.toPrecision(3)).toString();
}

function frame(title: string, body: string): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="${FONT}" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${MARGIN.left}" y="24" font-size="15" font-weight="bold" fill="#222">${escapeXml(title)}</text>`,
    body,
    "</svg>",
  ].join("\n");
}

function emptyNote(): string {
  const x = MARGIN.left + (WIDTH - MARGIN.left - MARGIN.right) / 2;
  return `<text x="${x}" y="${HEIGHT / 2}" text-anchor="middle" fill="#888">no data</text>`;
}

function paletteColor(i: number): string {
  return PALETTE[i % PALETTE.length] ?? "#000";
}

/**
 * An x range for integer positions (rounds) from `lo` to `hi`; a single position sits mid-axis rather than
 * at the left end of a made-up unit range.
 */
export function integerAxis(lo: number, hi: number): readonly [number, number] {
  return hi > lo ? [lo, hi] : [lo - 0.5, lo + 0.5];
}

function legend(
  names: readonly string[],
  dashed: readonly boolean[] = [],
  colors: readonly string[] = [],
): string {
  const x = WIDTH - MARGIN.right + 14;
  return names
    .map((name, i) => {
      const y = MARGIN.top + 8 + i * 18;
      const color = colors[i] ?? paletteColor(i);
      const dash = dashed[i] === true ? ` stroke-dasharray="5 3"` : "";
      const label = name.length > 22 ? `${name.slice(0, 21)}…` : name;
      return `<line x1="${x}" y1="${y}" x2="${x + 18}" y2="${y}" stroke="${color}" stroke-width="3"${dash}/><text x="${x + 24}" y="${y + 4}" fill="#333">${escapeXml(label)}</text>`;
    })
    .join("\n");
}

function axes(
  xTicks: readonly { pos: number; label: string }[],
  yTicks: readonly { pos: number; label: string }[],
  xLabel: string,
  yLabel: string,
): string {
  const left = MARGIN.left;
  const right = WIDTH - MARGIN.right;
  const bottom = HEIGHT - MARGIN.bottom;
  const parts = [
    `<line x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}" stroke="#444"/>`,
    `<line x1="${left}" y1="${MARGIN.top}" x2="${left}" y2="${bottom}" stroke="#444"/>`,
  ];
  for (const t of yTicks) {
    parts.push(
      `<line x1="${left}" y1="${t.pos}" x2="${right}" y2="${t.pos}" stroke="#e5e5e5"/>`,
      `<text x="${left - 6}" y="${t.pos + 4}" text-anchor="end" fill="#444">${escapeXml(t.label)}</text>`,
    );
  }
  for (const t of xTicks) {
    parts.push(
      `<line x1="${t.pos}" y1="${bottom}" x2="${t.pos}" y2="${bottom + 4}" stroke="#444"/>`,
      `<text x="${t.pos}" y="${bottom + 17}" text-anchor="middle" fill="#444">${escapeXml(t.label)}</text>`,
    );
  }
  parts.push(
    `<text x="${(left + right) / 2}" y="${HEIGHT - 10}" text-anchor="middle" fill="#222">${escapeXml(xLabel)}</text>`,
    `<text transform="translate(16 ${(MARGIN.top + bottom) / 2}) rotate(-90)" text-anchor="middle" fill="#222">${escapeXml(yLabel)}</text>`,
  );
  return parts.join("\n");
}

export function lineChart(spec: LineChartSpec): string {
  const points = spec.series
    .flatMap((s) => s.points)
    .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  if (points.length === 0) return frame(spec.title, emptyNote());
  const xs = points.map(([x]) => x);
  const ys = points.map(([, y]) => y);
  const [xLo, xHi] = spec.xRange ?? integerAxis(Math.min(...xs), Math.max(...xs));
  let [yLo, yHi] = spec.yRange ?? [Math.min(0, ...ys), Math.max(...ys)];
  if (!(yHi > yLo)) yHi = yLo + 1;
  const yTickValues = niceTicks(yLo, yHi);
  yLo = Math.min(yLo, yTickValues[0] ?? yLo);
  yHi = Math.max(yHi, yTickValues[yTickValues.length - 1] ?? yHi);
  const left = MARGIN.left;
  const right = WIDTH - MARGIN.right;
  const bottom = HEIGHT - MARGIN.bottom;
  const sx = (x: number): number => left + ((x - xLo) / (xHi - xLo)) * (right - left);
  const sy = (y: number): number => bottom - ((y - yLo) / (yHi - yLo)) * (bottom - MARGIN.top);
  const fmt = spec.yFormat ?? compactNumber;
  const xTickValues = niceTicks(xLo, xHi, Math.min(10, Math.max(1, Math.round(xHi - xLo)))).filter((t) =>
    Number.isInteger(t),
  );
  const parts = [
    axes(
      xTickValues.map((t) => ({ pos: sx(t), label: String(t) })),
      yTickValues.map((t) => ({ pos: sy(t), label: fmt(t) })),
      spec.xLabel,
      spec.yLabel,
    ),
  ];
  const colors = spec.series.map((s, i) => s.color ?? paletteColor(i));
  spec.series.forEach((s, i) => {
    const color = colors[i] ?? paletteColor(i);
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (pts.length === 0) return;
    const width = s.emphasis === true ? 3.5 : 1.8;
    const dash = s.dashed === true ? ` stroke-dasharray="5 3"` : "";
    const d = pts
      .map(([x, y], j) => `${j === 0 ? "M" : "L"}${sx(x).toFixed(1)} ${sy(y).toFixed(1)}`)
      .join(" ");
    parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="${width}"${dash}/>`);
    for (const [x, y] of pts) {
      parts.push(
        `<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="${s.emphasis === true ? 3.5 : 2.5}" fill="${color}"/>`,
      );
    }
  });
  parts.push(
    legend(
      spec.series.map((s) => s.name),
      spec.series.map((s) => s.dashed === true),
      colors,
    ),
  );
  return frame(spec.title, parts.join("\n"));
}

export function stackedBarChart(spec: StackedBarSpec): string {
  const n = spec.categories.length;
  if (n === 0 || spec.stacks.length === 0) return frame(spec.title, emptyNote());
  const totals = spec.categories.map((_, i) => spec.stacks.reduce((s, st) => s + (st.values[i] ?? 0), 0));
  const yTickValues = niceTicks(0, Math.max(...totals, 1e-9));
  const yHi = Math.max(yTickValues[yTickValues.length - 1] ?? 1, ...totals);
  const left = MARGIN.left;
  const right = WIDTH - MARGIN.right;
  const bottom = HEIGHT - MARGIN.bottom;
  const slot = (right - left) / n;
  const barWidth = Math.max(2, slot * 0.7);
  const sy = (y: number): number => bottom - (y / yHi) * (bottom - MARGIN.top);
  const fmt = spec.yFormat ?? compactNumber;
  const labelEvery = Math.max(1, Math.ceil(n / 12));
  const parts = [
    axes(
      spec.categories
        .map((c, i) => ({ pos: left + slot * (i + 0.5), label: c }))
        .filter((_, i) => i % labelEvery === 0),
      yTickValues.map((t) => ({ pos: sy(t), label: fmt(t) })),
      "round",
      spec.yLabel,
    ),
  ];
  for (let i = 0; i < n; i++) {
    let acc = 0;
    spec.stacks.forEach((st, k) => {
      const v = st.values[i] ?? 0;
      if (v <= 0) return;
      const y0 = sy(acc);
      const y1 = sy(acc + v);
      acc += v;
      const x = left + slot * i + (slot - barWidth) / 2;
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${y1.toFixed(1)}" width="${barWidth.toFixed(1)}" height="${(y0 - y1).toFixed(1)}" fill="${PALETTE[k % PALETTE.length] ?? "#000"}"/>`,
      );
    });
  }
  parts.push(legend(spec.stacks.map((s) => s.name)));
  return frame(spec.title, parts.join("\n"));
}

/** Horizontal bars, one per label (the comparison table's headline figure). */
export function barChart(spec: BarSpec): string {
  if (spec.bars.length === 0) return frame(spec.title, emptyNote());
  const labelWidth = 240;
  const maxLabel = 36;
  const left = labelWidth;
  const right = WIDTH - 40;
  const top = MARGIN.top + 4;
  const bottom = HEIGHT - MARGIN.bottom;
  const [lo, hi0] = spec.xRange ?? [0, Math.max(...spec.bars.map((b) => b.value), 1e-9)];
  const hi = hi0 > lo ? hi0 : lo + 1;
  const sx = (v: number): number => left + ((v - lo) / (hi - lo)) * (right - left);
  const slot = (bottom - top) / spec.bars.length;
  const fmt = spec.valueFormat ?? compactNumber;
  const parts: string[] = [];
  for (const t of niceTicks(lo, hi)) {
    parts.push(
      `<line x1="${sx(t)}" y1="${top}" x2="${sx(t)}" y2="${bottom}" stroke="#e5e5e5"/>`,
      `<text x="${sx(t)}" y="${bottom + 16}" text-anchor="middle" fill="#444">${escapeXml(fmt(t))}</text>`,
    );
  }
  spec.bars.forEach((b, i) => {
    const y = top + slot * i + slot * 0.15;
    const h = slot * 0.7;
    const w = Math.max(0, sx(Math.max(lo, Math.min(hi, b.value))) - left);
    parts.push(
      `<text x="${left - 8}" y="${(y + h / 2 + 4).toFixed(1)}" text-anchor="end" fill="#333">${escapeXml(b.label.length > maxLabel ? `${b.label.slice(0, maxLabel - 1)}…` : b.label)}</text>`,
      `<rect x="${left}" y="${y.toFixed(1)}" width="${w.toFixed(1)}" height="${h.toFixed(1)}" fill="${PALETTE[i % PALETTE.length] ?? "#000"}"/>`,
      `<text x="${(left + w + 4).toFixed(1)}" y="${(y + h / 2 + 4).toFixed(1)}" fill="#222">${escapeXml(fmt(b.value))}</text>`,
    );
  });
  parts.push(
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${bottom}" stroke="#444"/>`,
    `<text x="${(left + right) / 2}" y="${HEIGHT - 10}" text-anchor="middle" fill="#222">${escapeXml(spec.xLabel)}</text>`,
  );
  return frame(spec.title, parts.join("\n"));
}
