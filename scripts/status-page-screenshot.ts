// Takes docs/status-page.png: the status page of a live three-site secagg federation with client-level DP
// (real coordinator and site clients over gRPC with mutual TLS, as in tests/federation/), in headless Chromium.
// Each site "trains" on a toy least-squares objective in place of a model, so the charts show a real descent.
// Usage: node bin/run-ts.mjs scripts/status-page-screenshot.ts [out.png]
import { resolve } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import type { TrainerFactory } from "../client/node/trainer.ts";
import { seededRng } from "../crypto/rng.ts";
import { launchChromium } from "../tests/federation/helpers/chromium.ts";
import { createFederation } from "../tests/federation/helpers/federation.ts";

const SITES = ["st-olav", "karolinska", "charite"];
const OUT = resolve(process.argv[2] ?? "docs/status-page.png");

/** A site pulled toward its own optimum (a shared one plus a site offset); loss is the squared distance. */
function toyTrainer(site: string, examples: number): TrainerFactory {
  return (_lora, vectorLength) => {
    const rng = seededRng(`toy-${site}`);
    const target = Float32Array.from(
      { length: vectorLength },
      (_, i) => 0.3 * Math.sin(i) + 0.05 * (rng.nextFloat64() - 0.5),
    );
    const distance = (global: Float32Array): number =>
      global.reduce((sum, value, i) => sum + (value - (target[i] ?? 0)) ** 2, 0) / vectorLength;
    return Promise.resolve({
      vectorLength,
      trainExamples: examples,
      initialGlobal: () => new Float32Array(vectorLength),
      train: async ({ global }) => {
        await delay(1_500); // long enough for the page to catch a round in progress
        const delta = global.map((value, i) => 0.5 * ((target[i] ?? 0) - value));
        return { delta, numExamples: examples, trainLoss: distance(global) };
      },
      evaluate: ({ global }) => {
        const loss = 0.4 + 20 * distance(global);
        return Promise.resolve({
          numExamples: examples,
          metrics: { loss, accuracy: 0.25 + 0.7 * Math.exp(-loss + 0.4) },
        });
      },
      dispose: () => undefined,
    });
  };
}

const federation = await createFederation({
  sites: SITES,
  transport: "grpc",
  config: {
    name: "nordic-clinical-notes",
    rounds: 8,
    privacy: { mode: "secagg" },
    dp: { level: "site", clipNorm: 1, noiseMultiplier: 0.3, epsilonBudget: 1000 },
    sitesPerRound: { fraction: 1, minimum: 3 },
    evaluation: { everyRounds: 1 },
    metricsPort: 0,
  },
});
const port = federation.coordinator.metricsPort;
if (port === undefined) throw new Error("no HTTP port");
const browser = await launchChromium();
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1100, height: 1000, deviceScaleFactor: 1 });
  await page.goto(`http://127.0.0.1:${port}/`);
  const running = SITES.map((name, i) =>
    federation.startSite(name, { createTrainer: toyTrainer(name, 120 + 45 * i) }),
  );
  // Mid-run: five evaluations charted and a round in progress.
  await page.waitForFunction(
    'document.querySelectorAll("figure[id^=chart-loss-] circle").length >= 5 && document.getElementById("in-progress") !== null',
    { timeout: 120_000, polling: 200 },
  );
  await page.screenshot({ path: OUT, fullPage: true });
  console.log(`wrote ${OUT}`);
  await federation.coordinator.done;
  await Promise.all(running.map((site) => site.done));
} finally {
  await browser.close();
  await federation.coordinator.stop();
}
