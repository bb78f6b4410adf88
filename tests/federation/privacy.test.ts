// In secagg and he modes, nothing the coordinator stores or logs contains any site's plaintext update.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCkksContext, loadSeal, type CkksContext } from "../../crypto/ckks/context.ts";
import { MAX_EXAMPLES } from "../../strategies/weighted-update.ts";
import type { PrivacyMode } from "../../proto/messages.ts";
import { createFederation } from "./helpers/federation.ts";

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Byte patterns a plaintext update would leave: consecutive float32 values of Δ and of w·Δ, and decimal text. */
function fingerprints(delta: Float32Array, numExamples: number): Buffer[] {
  const weight = numExamples / MAX_EXAMPLES;
  const scaled = Float32Array.from(delta, (value) => value * weight);
  const patterns: Buffer[] = [];
  for (const vector of [delta, scaled]) {
    for (let i = 0; i + 2 <= vector.length; i += 8) {
      patterns.push(Buffer.from(vector.buffer, vector.byteOffset + i * 4, 8));
      patterns.push(Buffer.from(String(vector[i]), "utf8"));
    }
  }
  return patterns;
}

function leaks(haystacks: readonly Buffer[], patterns: readonly Buffer[]): number {
  return patterns.filter((pattern) => haystacks.some((hay) => hay.includes(pattern))).length;
}

let ckks: CkksContext;
beforeAll(async () => {
  ckks = createCkksContext(await loadSeal());
});
afterAll(() => ckks.dispose());

describe.each<PrivacyMode>(["secagg", "he"])("the coordinator's stores and logs in mode %s", (mode) => {
  it("hold no site's plaintext update", async () => {
    const logLines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString("utf8"));
        done();
      },
    });
    const sites = ["alpha", "beta", "gamma"];
    const federation = await createFederation({
      sites,
      transport: "grpc",
      config: { rounds: 1, privacy: { mode }, sitesPerRound: { fraction: 1, minimum: 3 } },
      logger: pino({ level: "trace" }, sink),
      ...(mode === "he" ? { ckks } : {}),
    });
    const running = sites.map((name) => federation.startSite(name));
    const summary = await federation.coordinator.done;
    await Promise.all(running.map((site) => site.done));
    await federation.coordinator.stop();
    expect(summary.outcome).toBe("completed");
    const stored = filesUnder(federation.config.storageDir).map((file) => readFileSync(file));
    expect(stored.length).toBeGreaterThan(1);
    const haystacks = [...stored, Buffer.from(logLines.join(""), "utf8")];
    const patterns = sites.flatMap((site) => {
      const update = federation.updates.get(site)?.[0];
      if (update === undefined) throw new Error(`${site} sent no update`);
      return fingerprints(update.delta, update.numExamples);
    });
    expect(patterns.length).toBeGreaterThan(40);
    expect(leaks(haystacks, patterns)).toBe(0);
    // The detector itself finds a leak when one is there.
    const planted = federation.updates.get("alpha")?.[0];
    if (planted === undefined) throw new Error("no update");
    const leaked = Buffer.concat([stored[0] ?? Buffer.alloc(0), Buffer.from(planted.delta.buffer)]);
    expect(leaks([leaked], fingerprints(planted.delta, planted.numExamples))).toBeGreaterThan(0);
  });
});
