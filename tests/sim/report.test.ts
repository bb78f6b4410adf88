// The report: metrics.json, a self-contained report.html and valid PNG charts with text, from synthetic metrics.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { seededRng } from "../../crypto/rng.ts";
import { niceTicks } from "../../sim/report/charts.ts";
import { buildCharts, renderHtml } from "../../sim/report/html.ts";
import type { RoundMetrics, SimMetrics } from "../../sim/report/metrics.ts";
import { summaryLines } from "../../sim/report/table.ts";
import { svgToPng, writeReport } from "../../sim/report/write-report.ts";

function syntheticMetrics(): SimMetrics {
  const rng = seededRng("report");
  const sites = ["site-01-general", "site-02-childrens", "site-03-cardiac"];
  const rounds: RoundMetrics[] = [];
  for (let r = 1; r <= 6; r++) {
    const acc = 0.3 + 0.1 * r * (0.9 + 0.2 * rng.nextFloat64());
    rounds.push({
      round: r,
      global: { accuracy: Math.min(acc, 0.95), loss: 2.5 / r },
      perSite: Object.fromEntries(
        sites.map((s) => [s, { accuracy: Math.min(acc + 0.05, 1), loss: 2.4 / r }]),
      ),
      epsilon: 0.4 * Math.sqrt(r),
      bytesSent: 3 * 120_000,
      bytesReceived: 3 * 100_000,
      participants: 3,
      dropouts: r === 4 ? 1 : 0,
      stageDurationsMs: { train: 4000 + 100 * r, "share-keys": 300, unmask: 200, evaluate: 900 },
      wallTimeMs: 5500,
    });
  }
  return {
    version: 1,
    title: "Synthetic <test> run",
    settings: {
      seed: 1,
      sites: 3,
      rounds: 6,
      privacy: "secagg",
      strategy: "fedavg",
      dp: "none",
      dropout: 0,
      model: "builtin",
    },
    sites: sites.map((siteId) => ({
      siteId,
      kind: "x",
      displayName: "X & Y",
      trainRecords: 100,
      validationRecords: 20,
    })),
    rounds,
    comparison: [
      {
        setting: "local-only",
        globalAccuracy: 0.41,
        siteAccuracy: { [sites[0] ?? ""]: 0.7 },
        epsilon: null,
        bytesSent: 0,
        wallTimeMs: 9000,
      },
      {
        setting: "centralized",
        globalAccuracy: 0.88,
        siteAccuracy: {},
        epsilon: null,
        bytesSent: 0,
        wallTimeMs: 12000,
      },
      {
        setting: "federated secagg",
        globalAccuracy: 0.85,
        siteAccuracy: {},
        epsilon: 2.1,
        bytesSent: 2e6,
        wallTimeMs: 30000,
        targetEpsilon: 3,
        leakage: {
          siteId: sites[0] ?? "",
          canaries: [16, 0].map((repetitions) => ({
            patient: "P",
            repetitions,
            ranking: {
              rank: 1,
              candidates: 1000,
              exposure: repetitions === 16 ? 9.97 : 1.5,
              method: "exact",
            },
          })),
          membership: { auc: 0.612, members: 100, nonMembers: 100, memberLoss: 0.4, nonMemberLoss: 0.6 },
        },
      },
    ],
    wallTimeMs: 33000,
    baseline: { accuracy: 0.27, loss: 3.1 },
    leakage: null,
    sitePrivacy: [
      {
        siteId: sites[0] ?? "",
        epsilon: 3.21,
        delta: 1e-5,
        samplingRates: [0.04],
        noiseMultiplier: 1.1,
        steps: 144,
        rounds: 12,
      },
      {
        siteId: sites[1] ?? "",
        epsilon: 4.56,
        delta: 1e-5,
        samplingRates: [0.06],
        noiseMultiplier: 1.1,
        steps: 144,
        rounds: 12,
      },
    ],
  };
}

function pngSize(png: Buffer): { width: number; height: number } {
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe("writeReport", () => {
  it("writes metrics.json, a self-contained report.html and one PNG per chart", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fedtune-report-"));
    try {
      const metrics = syntheticMetrics();
      const files = await writeReport(dir, metrics);
      expect(JSON.parse(await readFile(files.metrics, "utf8"))).toEqual(metrics);
      const html = await readFile(files.html, "utf8");
      expect(html.startsWith("<!doctype html>")).toBe(true);
      expect(html).not.toMatch(/<script|<link|<img|@import|url\(/i);
      expect(html.replace(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g, "")).not.toMatch(/https?:\/\//);
      expect((html.match(/<svg /g) ?? []).length).toBe(files.pngs.length);
      expect(html).toContain("Synthetic &lt;test&gt; run");
      expect(html).toContain("X &amp; Y");
      expect(html).toContain("federated secagg");
      expect(html).toContain("<h2>Leakage</h2>");
      expect(html).toContain("ε ≤ 3");
      expect(html).toContain("<td>9.97</td>");
      expect(html).toContain("<td>0.612</td>");
      expect(html).toContain("<td>consortium (largest ε)</td><td>4.56</td>");
      expect(files.pngs.map((p) => p.split("/").pop())).toEqual([
        "accuracy.png",
        "loss.png",
        "epsilon.png",
        "bytes.png",
        "stages.png",
        "comparison.png",
        "epsilon-sweep.png",
      ]);
      for (const file of files.pngs) {
        const png = await readFile(file);
        expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
        expect(pngSize(png)).toEqual({ width: 1280, height: 720 });
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("draws text into the PNG: a title changes pixels in the title band", () => {
    const svg = (title: string): string =>
      `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40"><rect width="200" height="40" fill="#fff"/><text x="4" y="28" font-size="20" font-family="DejaVu Sans">${title}</text></svg>`;
    expect(svgToPng(svg("Accuracy")).equals(svgToPng(svg("")))).toBe(false);
  });
});

describe("terminal summary", () => {
  it("prints one aligned row per round and the comparison table", () => {
    const lines = summaryLines(syntheticMetrics());
    expect(lines[0]).toContain("27.0%");
    expect(lines.filter((l) => /^\d+\s/.test(l))).toHaveLength(6);
    expect(lines.some((l) => l.startsWith("centralized") && l.includes("88.0%"))).toBe(true);
    expect(
      lines.some((l) => l.startsWith("federated secagg") && l.includes("9.97") && l.endsWith("0.612")),
    ).toBe(true);
    const widths = new Set(lines.slice(1, 9).map((l) => l.length));
    expect(widths.size).toBeLessThanOrEqual(2);
  });
});

describe("niceTicks", () => {
  it("covers the range with steps of 1, 2 or 5 × 10^k", () => {
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0, 37)).toEqual([0, 10, 20, 30]);
  });
});

/** The x-axis tick labels of a line chart (the labels under its bottom axis). */
function xTicks(svg: string): string[] {
  return [...svg.matchAll(/y="329" text-anchor="middle" fill="#444">([^<]*)</g)].map((m) => m[1] ?? "");
}

/** Legend entries: name → colour. */
function legendColors(svg: string): Map<string, string> {
  return new Map(
    [
      ...svg.matchAll(
        /stroke="(#[0-9a-f]{6})" stroke-width="3"(?: stroke-dasharray="5 3")?\/><text [^>]*>([^<]*)</g,
      ),
    ].map((m) => [m[2] ?? "", m[1] ?? ""]),
  );
}

describe("the report's charts", () => {
  it("share one round axis, keep each site's colour across charts, and leave out ε without DP", () => {
    const full = syntheticMetrics();
    // One evaluated round (round 2) and no DP: the case a short run without DP produces.
    const metrics: SimMetrics = {
      ...full,
      rounds: full.rounds.slice(1, 2).map((r) => ({ ...r, epsilon: null })),
      sitePrivacy: [],
    };
    const charts = new Map(buildCharts(metrics).map((c) => [c.name, c.svg]));
    expect(charts.has("epsilon")).toBe(false);
    const accuracy = charts.get("accuracy") ?? "";
    const loss = charts.get("loss") ?? "";
    expect(xTicks(accuracy)).toEqual(["2"]);
    expect(xTicks(loss)).toEqual(xTicks(accuracy));
    const accuracyColors = legendColors(accuracy);
    const lossColors = legendColors(loss);
    for (const site of metrics.sites) {
      expect(accuracyColors.get(site.siteId)).toMatch(/^#/);
      expect(lossColors.get(site.siteId)).toBe(accuracyColors.get(site.siteId));
    }
    expect(renderHtml(metrics, buildCharts(metrics))).toContain("no DP in this run");
    // With DP the ε chart is there, over the same rounds.
    const withDp = buildCharts(full).find((c) => c.name === "epsilon");
    expect(xTicks(withDp?.svg ?? "")).toEqual(
      xTicks(buildCharts(full).find((c) => c.name === "loss")?.svg ?? ""),
    );
  });
});
