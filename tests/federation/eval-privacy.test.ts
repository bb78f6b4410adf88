// In secagg and he modes the coordinator learns the consortium's evaluation totals only: nothing it receives,
// stores (every byte of its state folder), logs or exposes on /metrics, the status page or /api/status holds one
// site's evaluation figures.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino, type Logger } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SiteEvent } from "../../client/node/site-client.ts";
import { syntheticTrainer, type TrainerFactory } from "../../client/node/trainer.ts";
import { createCkksContext, loadSeal, type CkksContext } from "../../crypto/ckks/context.ts";
import { seededRng } from "../../crypto/rng.ts";
import type { PrivacyMode } from "../../proto/messages.ts";
import { MAX_EXAMPLES } from "../../strategies/weighted-update.ts";
import { createFederation } from "./helpers/federation.ts";

/** Sites with very different validation results, so that each one's figures are distinctive. */
const SITES = [
  { name: "alpha", numExamples: 37, accuracy: 29 / 37, loss: Math.sqrt(17) / 10 },
  { name: "beta", numExamples: 23, accuracy: 5 / 23, loss: Math.E },
  { name: "gamma", numExamples: 43, accuracy: 41 / 43, loss: Math.PI / 2 },
] as const;
type SiteFigures = (typeof SITES)[number];

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** A float64 in both byte orders (SQLite stores REAL big-endian). */
function float64Bytes(value: number): Buffer[] {
  const little = Buffer.alloc(8);
  little.writeDoubleLE(value);
  const big = Buffer.alloc(8);
  big.writeDoubleBE(value);
  return [little, big];
}

/**
 * What one site's figures would leave behind: each figure and its counts (n·value, and w·value with
 * w = n/MAX_EXAMPLES as the site encodes it) as float64 and decimal text, and the site's [w·value, w]
 * float32 pair as its report vector lays it out.
 */
function fingerprints(site: SiteFigures): Buffer[] {
  const weight = site.numExamples / MAX_EXAMPLES;
  return [site.accuracy, site.loss].flatMap((value) => [
    Buffer.from(String(value)),
    Buffer.from(value.toFixed(4)),
    ...float64Bytes(value),
    ...float64Bytes(site.numExamples * value),
    ...float64Bytes(weight * value),
    Buffer.from(Float32Array.of(weight * value, weight).buffer),
  ]);
}

function leaks(haystacks: readonly Buffer[], patterns: readonly Buffer[]): number {
  return patterns.filter((pattern) => haystacks.some((hay) => hay.includes(pattern))).length;
}

/** A request as bytes: its JSON text (numbers in decimal) and every byte array it carries. */
function requestBytes(message: unknown): Buffer[] {
  const arrays: Buffer[] = [];
  const text = JSON.stringify(message, (_key, value: unknown) => {
    if (!(value instanceof Uint8Array)) return value;
    arrays.push(Buffer.from(value));
    return null;
  });
  return [Buffer.from(text ?? ""), ...arrays];
}

function lineSink(lines: string[]): Logger {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString("utf8"));
      done();
    },
  });
  return pino({ level: "trace" }, sink);
}

/** A synthetic trainer whose evaluation reports `site`'s figures. */
function figuresTrainer(site: SiteFigures): TrainerFactory {
  return (_lora, vectorLength) =>
    Promise.resolve({
      ...syntheticTrainer({ vectorLength, numExamples: 10, rng: seededRng(`train-${site.name}`) }),
      evaluate: () =>
        Promise.resolve({
          numExamples: site.numExamples,
          metrics: { accuracy: site.accuracy, loss: site.loss },
        }),
    });
}

let ckks: CkksContext;
beforeAll(async () => {
  ckks = createCkksContext(await loadSeal());
});
afterAll(() => ckks.dispose());

describe.each<PrivacyMode>(["secagg", "he"])("evaluation reports in mode %s", (mode) => {
  it("reach the coordinator as totals only: nothing it receives, stores, logs or exposes holds one site's figures", async () => {
    const coordinatorLog: string[] = [];
    const siteLog: string[] = [];
    const received: Buffer[] = [];
    const federation = await createFederation({
      sites: SITES.map((site) => site.name),
      transport: "grpc",
      config: { rounds: 1, privacy: { mode }, sitesPerRound: { fraction: 1, minimum: 3 }, metricsPort: 0 },
      logger: lineSink(coordinatorLog),
      observeRequests: (_method, message) => received.push(...requestBytes(message)),
      ...(mode === "he" ? { ckks } : {}),
    });
    const siteLogger = lineSink(siteLog);
    const running = SITES.map((site) =>
      federation.startSite(site.name, { logger: siteLogger, createTrainer: figuresTrainer(site) }),
    );
    const summary = await federation.coordinator.done;
    await Promise.all(running.map((site) => site.done));
    const port = federation.coordinator.metricsPort;
    if (port === undefined) throw new Error("no metrics port");
    const metricsText = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const pageText = await (await fetch(`http://127.0.0.1:${port}/`)).text();
    const statusJson = await (await fetch(`http://127.0.0.1:${port}/api/status`)).text();
    await federation.coordinator.stop();

    expect(summary.rounds.map((r) => [r.kind, r.outcome])).toEqual([
      ["train", "completed"],
      ["eval", "completed"],
    ]);
    // The totals are there: example-weighted means over the three sites, up to the fixed-point step.
    const examples = SITES.reduce((sum, site) => sum + site.numExamples, 0);
    const totals = summary.rounds[1]?.metrics ?? {};
    const expectedAccuracy = SITES.reduce((sum, s) => sum + s.numExamples * s.accuracy, 0) / examples;
    const expectedLoss = SITES.reduce((sum, s) => sum + s.numExamples * s.loss, 0) / examples;
    expect(Math.abs((totals["accuracy"] ?? 0) - expectedAccuracy)).toBeLessThan(1e-4);
    expect(Math.abs((totals["loss"] ?? 0) - expectedLoss)).toBeLessThan(1e-4);
    expect(totals["examples"]).toBe(examples);
    const stored = filesUnder(federation.config.storageDir).map((file) => readFileSync(file));
    expect(leaks(stored, float64Bytes(totals["accuracy"] ?? 0))).toBeGreaterThan(0);
    const completed = coordinatorLog
      .map((line) => JSON.parse(line) as { msg: string; metrics?: Record<string, number> })
      .filter((entry) => entry.msg === "round completed");
    expect(completed.at(-1)?.metrics?.["accuracy"]).toBe(totals["accuracy"]);
    expect(metricsText).toContain("fedtune_");
    // The page and its data show the totals, at the precision the page prints them.
    expect(JSON.parse(statusJson)).toMatchObject({
      runs: [{ rounds: [{}, { accuracy: totals["accuracy"], loss: totals["loss"] }] }],
    });
    expect(pageText).toContain((totals["accuracy"] ?? 0).toFixed(3));
    expect(pageText).toContain((totals["loss"] ?? 0).toFixed(4));

    // No single site's figures anywhere at the coordinator.
    const haystacks = [
      ...received,
      ...stored,
      Buffer.from(coordinatorLog.join("")),
      Buffer.from(metricsText),
      Buffer.from(statusJson),
    ];
    for (const site of SITES) {
      expect(leaks(haystacks, fingerprints(site)), site.name).toBe(0);
      // The page prints accuracy to 3 places (its timestamps carry no fractions of a second to confuse this).
      const printed = [Buffer.from(site.accuracy.toFixed(3)), ...fingerprints(site)];
      expect(leaks([Buffer.from(pageText)], printed), `${site.name} on the page`).toBe(0);
    }

    // Each site's own output still holds its own figures (what the simulation shows per site).
    for (const site of SITES) {
      const events: SiteEvent[] = federation.siteEvents.get(site.name) ?? [];
      const evaluated = events.find((event) => event.type === "evaluated");
      expect(evaluated?.type === "evaluated" ? evaluated.metrics["accuracy"] : undefined).toBe(site.accuracy);
      expect(leaks([Buffer.from(siteLog.join(""))], fingerprints(site))).toBeGreaterThan(0);
    }
    // The detector finds a site's figures where they are.
    const planted = Buffer.concat([stored[0] ?? Buffer.alloc(0), Buffer.from(JSON.stringify(SITES[1]))]);
    expect(leaks([planted], fingerprints(SITES[1]))).toBeGreaterThan(0);
  });
});

describe("an evaluation round under SecAgg+", () => {
  it("survives a site that drops out after sharing its keys: the totals are the survivors'", async () => {
    const federation = await createFederation({
      sites: SITES.map((site) => site.name),
      transport: "in-memory",
      config: {
        rounds: 1,
        privacy: { mode: "secagg" },
        sitesPerRound: { fraction: 1, minimum: 2 },
        deadlines: {
          joinMs: 20_000,
          trainMs: 10_000,
          advertiseKeysMs: 5_000,
          shareKeysMs: 4_000,
          unmaskMs: 5_000,
          evalMs: 10_000,
          keyCeremonyMs: 5_000,
        },
      },
    });
    const [alpha, beta, gamma] = SITES;
    const running = SITES.map((site) =>
      federation.startSite(site.name, {
        createTrainer: figuresTrainer(site),
        faults: {
          // gamma's masks are in the other sites' shares: SecAgg+ removes them at the unmask stage.
          beforeStage: (stage, ref) =>
            site === gamma && ref.round === 2 && stage === "masked_input" ? "drop" : "continue",
        },
      }),
    );
    const summary = await federation.coordinator.done;
    await Promise.all(running.map((site) => site.stop()));
    await federation.coordinator.stop();
    const evaluation = summary.rounds.find((r) => r.kind === "eval");
    expect(evaluation?.outcome).toBe("completed");
    expect(evaluation?.dropouts).toBe(1);
    const survivors = [alpha, beta];
    const examples = survivors.reduce((sum, s) => sum + s.numExamples, 0);
    const accuracy = survivors.reduce((sum, s) => sum + s.numExamples * s.accuracy, 0) / examples;
    expect(Math.abs((evaluation?.metrics["accuracy"] ?? 0) - accuracy)).toBeLessThan(1e-4);
    expect(evaluation?.metrics["examples"]).toBe(examples);
  });
});
