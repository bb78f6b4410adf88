// The coordinator's status page in a real browser: opened before any site joins, it shows a three-site
// federation's rounds, sites and loss/accuracy charts as they happen, polling /api/status, never reloading.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "puppeteer-core";
import type { StatusSnapshot } from "../../coordinator/status/snapshot.ts";
import { browserTestsRun, launchChromium } from "./helpers/chromium.ts";
import { createFederation } from "./helpers/federation.ts";

const SITES = ["alpha", "beta", "gamma"];

interface PageView {
  readonly loadedOnce: string | undefined;
  readonly rows: readonly { round: string; kind: string; outcome: string; cells: string[] }[];
  readonly sites: readonly string[];
  readonly lossPoints: string | null;
  readonly accuracyPoints: string | null;
}

/** Read in the page (a string: the tests compile without the DOM's types). */
const READ_VIEW = `({
  loadedOnce: document.body.dataset.loadedOnce,
  rows: [...document.querySelectorAll("tr[data-round]")].map((row) => ({
    round: row.dataset.round,
    kind: row.dataset.kind,
    outcome: row.dataset.outcome,
    cells: [...row.querySelectorAll("td")].map((cell) => cell.textContent),
  })),
  sites: [...document.querySelectorAll("tr[data-site]")].map((row) => row.textContent),
  lossPoints: document.querySelector('figure[id^="chart-loss-"]')?.getAttribute("data-points") ?? null,
  accuracyPoints: document.querySelector('figure[id^="chart-accuracy-"]')?.getAttribute("data-points") ?? null,
})`;

describe.runIf(browserTestsRun())("the status page in headless Chromium", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser.close();
  });

  it("shows a live three-site run's rounds, sites and charts without a reload", async () => {
    const federation = await createFederation({
      sites: SITES,
      transport: "grpc",
      config: {
        rounds: 2,
        privacy: { mode: "secagg" },
        sitesPerRound: { fraction: 1, minimum: 3 },
        evaluation: { everyRounds: 1 },
        dp: { level: "site", clipNorm: 1, noiseMultiplier: 1, epsilonBudget: 100 },
        metricsPort: 0,
      },
    });
    const port = federation.coordinator.metricsPort;
    if (port === undefined) throw new Error("no HTTP port");
    const page = await browser.newPage();
    const navigations: string[] = [];
    page.on("framenavigated", (frame) => navigations.push(frame.url()));
    const scriptErrors: string[] = [];
    page.on("pageerror", (error) => scriptErrors.push(String(error)));
    await page.goto(`http://127.0.0.1:${port}/`);
    const navigationsAtLoad = navigations.length;
    // Before any site joins, the server-rendered page shows the run waiting.
    const initial = (await page.evaluate(READ_VIEW)) as PageView;
    expect(initial.sites).toEqual([]);
    expect(initial.rows).toEqual([]);
    await page.evaluate('document.body.dataset.loadedOnce = "yes"');

    const running = SITES.map((name) => federation.startSite(name));
    // The first training round, then its evaluation (a point on each chart), appear as the page polls.
    await page.waitForSelector('tr[data-kind="train"][data-outcome="completed"]', { timeout: 90_000 });
    await page.waitForSelector('figure[id^="chart-loss-"] circle', { timeout: 90_000 });
    const summary = await federation.coordinator.done;
    await Promise.all(running.map((site) => site.done));
    await page.waitForSelector('section.run[data-state="finished"]', { timeout: 10_000 });
    federation.revoke("gamma");
    await page.waitForFunction(
      `document.querySelector('tr[data-site="gamma"]')?.textContent.includes("revoked")`,
      { timeout: 10_000 },
    );
    const api = (await page.evaluate(
      'fetch("/api/status").then((response) => response.json())',
    )) as StatusSnapshot;
    const view = (await page.evaluate(READ_VIEW)) as PageView;
    await federation.coordinator.stop();

    expect(summary.outcome).toBe("completed");
    // Still the page first loaded: the figures came by polling, not by navigation.
    expect(view.loadedOnce).toBe("yes");
    expect(navigations).toHaveLength(navigationsAtLoad);
    expect(scriptErrors).toEqual([]);
    expect(view.rows.map((row) => [row.round, row.kind, row.outcome])).toEqual([
      ["1", "train", "completed"],
      ["2", "eval", "completed"],
      ["3", "train", "completed"],
      ["4", "eval", "completed"],
    ]);
    // Each round's bytes (in and out) and the evaluation figures, as /api/status has them.
    const [firstEval] = api.runs[0]?.rounds.filter((round) => round.kind === "eval") ?? [];
    expect(firstEval?.loss).toBeTypeOf("number");
    const evalCells = view.rows[1]?.cells ?? [];
    expect(evalCells[1]).toBe("evaluation of 1");
    expect(evalCells[8]).toBe(firstEval?.loss?.toFixed(4));
    for (const row of view.rows) expect(row.cells[6]).toMatch(/^\d+(\.\d)? k?B$/);
    expect(view.lossPoints).toBe("2");
    expect(view.accuracyPoints).toBe("2");
    expect(view.sites).toHaveLength(3);
    expect(view.sites.map((row) => row.includes("revoked"))).toEqual([false, false, true]);
    for (const [index, name] of SITES.entries()) {
      expect(view.sites[index]).toContain(name);
      // The coordinator's ε bound is what each site's own ledger charged: both training rounds.
      const charged = (federation.siteEvents.get(name) ?? []).flatMap((event) =>
        event.type === "privacy" ? [event.epsilon] : [],
      );
      expect(charged).toHaveLength(2);
      const bound = api.sites[index]?.epsilonSpent;
      expect(bound).toBeCloseTo(charged.at(-1) ?? 0, 9);
      expect(view.sites[index]).toContain(`≤ ${bound?.toFixed(2) ?? ""}`);
      // Last seen as of the site's latest call, long after it joined (not the store's 30 s refresh).
      const row = api.sites[index];
      expect(Date.parse(row?.lastSeen ?? "")).toBeGreaterThan(Date.parse(row?.joinedAt ?? ""));
      // And what the site's ledger reported with its polls.
      expect(api.sites[index]?.epsilonReported).toBeCloseTo(charged.at(-1) ?? 0, 9);
    }
  });
});
