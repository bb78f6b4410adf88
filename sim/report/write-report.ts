// Writes a run's report: metrics.json, report.html and a PNG of every chart (rendered with resvg).
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Resvg } from "@resvg/resvg-js";
import { buildCharts, renderHtml } from "./html.ts";
import type { SimMetrics } from "./metrics.ts";

export interface ReportFiles {
  readonly metrics: string;
  readonly html: string;
  readonly pngs: readonly string[];
}

/**
 * Renders an SVG to PNG at twice its size. resvg draws text only with fonts it can find, so
 * it loads the system's fonts and falls back to DejaVu Sans, which most Linux images ship.
 */
export function svgToPng(svg: string): Buffer {
  const resvg = new Resvg(svg, {
    fitTo: { mode: "zoom", value: 2 },
    background: "#ffffff",
    font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans", sansSerifFamily: "DejaVu Sans" },
  });
  return resvg.render().asPng();
}

export async function writeReport(outDir: string, metrics: SimMetrics): Promise<ReportFiles> {
  await mkdir(join(outDir, "charts"), { recursive: true });
  const charts = buildCharts(metrics);
  const metricsFile = join(outDir, "metrics.json");
  const htmlFile = join(outDir, "report.html");
  await writeFile(metricsFile, JSON.stringify(metrics, null, 2) + "\n");
  await writeFile(htmlFile, renderHtml(metrics, charts));
  const pngs: string[] = [];
  for (const chart of charts) {
    const file = join(outDir, "charts", `${chart.name}.png`);
    await writeFile(file, svgToPng(chart.svg));
    pngs.push(file);
  }
  return { metrics: metricsFile, html: htmlFile, pngs };
}
