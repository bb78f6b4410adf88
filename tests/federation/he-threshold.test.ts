// he mode on threshold CKKS over gRPC: t of n key holders decrypt, one offline holder is not needed, fewer than t is a
// refused and retried try, reveal "sites" leaves no plaintext aggregate at the coordinator, and a tampered transcript is caught.
import { X509Certificate } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchCollectiveKey, heTools } from "../../client/node/he-keys.ts";
import { parseSiteId } from "../../crypto/site-id.ts";
import { loadOrCreateSiteKeys } from "../../client/node/site-state.ts";
import type { LocalUpdate } from "../../client/node/trainer.ts";
import { describeAdapter } from "../../coordinator/server.ts";
import { DurableState } from "../../coordinator/service/durable-state.ts";
import { resolveHeThreshold } from "../../coordinator/service/key-ceremony.ts";
import type { CoordinatorEvent } from "../../coordinator/service/records.ts";
import { createCkksContext, loadSeal, type CkksContext } from "../../crypto/ckks/context.ts";
import { ProtocolError } from "../../crypto/errors.ts";
import { signSiteKeys } from "../../crypto/pki/key-binding.ts";
import { seededRng } from "../../crypto/rng.ts";
import type { HeSettings } from "../../proto/messages.ts";
import type { FederationStub } from "../../proto/rpc.ts";
import { MAX_EXAMPLES } from "../../strategies/weighted-update.ts";
import {
  BASE_MODEL_HASH,
  TINY_MODEL,
  createFederation,
  fedAvgOf,
  type Federation,
} from "./helpers/federation.ts";

let ckks: CkksContext;
beforeAll(async () => {
  ckks = createCkksContext(await loadSeal());
});
afterAll(() => ckks.dispose());

const SHORT_DEADLINES = {
  joinMs: 20_000,
  trainMs: 6_000,
  evalMs: 20_000,
  keyCeremonyMs: 20_000,
  decryptionMs: 6_000,
};

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/**
 * Whether `bytes` hold `values` (≥ 8 entries, each |v| > 1e-4) as consecutive float32 or float64 within
 * `tolerance`, at any byte offset: how a plaintext adapter or aggregate would sit in a file.
 */
function holdsVector(bytes: Uint8Array, values: Float64Array, tolerance: number): boolean {
  const probe = Array.from(values.subarray(0, 8));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const width of [4, 8]) {
    for (let offset = 0; offset + width * probe.length <= bytes.length; offset++) {
      const matches = probe.every((v, i) => {
        const at = offset + width * i;
        const read = width === 4 ? view.getFloat32(at, true) : view.getFloat64(at, true);
        return Math.abs(read - v) <= tolerance;
      });
      if (matches) return true;
    }
  }
  return false;
}

/** Whether any number written in `text` is within `tolerance` of one of `values` (entries with |v| > 1e-3). */
function mentionsAny(text: string, values: Float64Array, tolerance: number): boolean {
  const targets = Array.from(values).filter((v) => Math.abs(v) > 1e-3);
  const numbers = (text.match(/-?\d+\.\d+(e-?\d+)?/g) ?? []).map(Number);
  return numbers.some((n) => targets.some((v) => Math.abs(n - v) <= tolerance));
}

/** Σ (n_k / MAX_EXAMPLES)·Δ_k: the aggregate's plaintext (without its weight entry). */
function weightedSum(updates: readonly LocalUpdate[]): Float64Array {
  const d = updates[0]?.delta.length ?? 0;
  const sum = new Float64Array(d);
  for (const update of updates)
    for (let i = 0; i < d; i++)
      sum[i] = (sum[i] ?? 0) + (update.numExamples / MAX_EXAMPLES) * (update.delta[i] ?? 0);
  return sum;
}

function lastUpdate(federation: Federation, site: string): LocalUpdate {
  const update = federation.updates.get(site)?.at(-1);
  if (update === undefined) throw new Error(`${site} produced no update`);
  return update;
}

async function plainCheckpoint(federation: Federation, version: number): Promise<Float32Array> {
  const adapter = describeAdapter(TINY_MODEL, { ...federation.config.lora }, BASE_MODEL_HASH, null);
  const state = DurableState.open(federation.config.storageDir, adapter.spec);
  try {
    const checkpoint = await state.checkpoint(version);
    if (checkpoint?.model.kind !== "plain") throw new Error(`no plain checkpoint for round ${version}`);
    expect(state.verifyAudit().ok).toBe(true);
    return checkpoint.model.vector;
  } finally {
    state.close();
  }
}

/** Runs a he federation of `sites` in which `offline` stops right after the key ceremony. */
async function runWithOfflineHolder(input: {
  readonly sites: readonly string[];
  readonly offline: string;
  readonly threshold: number;
  /** Restart the offline holder once a try has been refused (its keys are in its state folder). */
  readonly restartAfterRefusal: boolean;
}) {
  const handles = new Map<string, ReturnType<Federation["startSite"]>>();
  const events: CoordinatorEvent[] = [];
  // Set once createFederation returns; the events that restart a site come later.
  const started: { federation?: Federation } = {};
  const federation = await createFederation({
    sites: input.sites,
    transport: "grpc",
    ckks,
    onlineWindowMs: 3_000,
    config: {
      rounds: 1,
      maxAttemptsPerRound: 5,
      privacy: { mode: "he", he: { threshold: input.threshold, reveal: "coordinator" } },
      sitesPerRound: { fraction: 1, minimum: 3 },
      deadlines: SHORT_DEADLINES,
    },
    onCoordinatorEvent: (event) => {
      events.push(event);
      if (event.type === "key_ceremony" && event.outcome === "completed")
        void handles.get(input.offline)?.stop();
      const firstRefusal =
        event.type === "round_abandoned" && events.filter((e) => e.type === "round_abandoned").length === 1;
      if (firstRefusal && input.restartAfterRefusal && started.federation !== undefined)
        handles.set(input.offline, started.federation.startSite(input.offline));
    },
  });
  started.federation = federation;
  for (const site of input.sites) handles.set(site, federation.startSite(site));
  const summary = await federation.coordinator.done;
  await federation.coordinator.stop();
  await Promise.all([...handles.values()].map((h) => h.stop()));
  return { federation, summary, events };
}

describe("the decryption threshold", () => {
  it("defaults to a majority of the key holders, allows n-of-n, and refuses t > n with a clear error", () => {
    expect(resolveHeThreshold(undefined, 4)).toBe(3);
    expect(resolveHeThreshold(4, 4)).toBe(4);
    expect(() => resolveHeThreshold(5, 4)).toThrow(/threshold 5 exceeds the 4 key holders/);
  });
});

describe("he mode: t-of-n decryption over gRPC", () => {
  it("decrypts with t of n holders while one holder is offline, and the coordinator (reveal coordinator) holds the FedAvg", async () => {
    const { federation, summary, events } = await runWithOfflineHolder({
      sites: ["alpha", "beta", "gamma", "delta"],
      offline: "delta",
      threshold: 3,
      restartAfterRefusal: false,
    });
    expect(summary.outcome).toBe("completed");
    const ceremony = events.find((e) => e.type === "key_ceremony" && e.outcome === "completed");
    expect(ceremony).toMatchObject({ holders: ["alpha", "beta", "delta", "gamma"], threshold: 3 });
    const completed = events.find((e) => e.type === "round_completed" && e.kind === "train");
    if (completed?.type !== "round_completed") throw new Error("round 1 did not complete");
    expect([...completed.survivors].sort()).toEqual(["alpha", "beta", "gamma"]);
    const expected = fedAvgOf([completed.survivors.map((site) => lastUpdate(federation, site))]);
    const global = await plainCheckpoint(federation, 1);
    for (let i = 0; i < expected.length; i++)
      expect(Math.abs((global[i] ?? 0) - (expected[i] ?? 0))).toBeLessThan(1e-5);
    // The positive control of the leak scan below: a plaintext global is found where it is stored.
    const stored = filesUnder(federation.config.storageDir).map((file) => readFileSync(file));
    expect(stored.some((bytes) => holdsVector(bytes, expected, 1e-5))).toBe(true);
  }, 120_000);

  it("refuses the try when fewer than t holders can answer, and retries it once they can", async () => {
    const { federation, summary, events } = await runWithOfflineHolder({
      sites: ["alpha", "beta", "gamma", "delta"],
      offline: "delta",
      threshold: 4,
      restartAfterRefusal: true,
    });
    expect(summary.outcome).toBe("completed");
    const abandoned = events.filter((e) => e.type === "round_abandoned");
    expect(abandoned.length).toBeGreaterThanOrEqual(1);
    const [first] = abandoned;
    expect(first?.type === "round_abandoned" ? first.reason : "").toMatch(
      /too-few-sites: 3 key holders online, 4 needed/,
    );
    const completed = events.find((e) => e.type === "round_completed" && e.kind === "train");
    if (completed?.type !== "round_completed") throw new Error("round 1 did not complete");
    expect(completed.ref.attempt).toBeGreaterThan(1);
    const expected = fedAvgOf([completed.survivors.map((site) => lastUpdate(federation, site))]);
    const global = await plainCheckpoint(federation, 1);
    for (let i = 0; i < expected.length; i++)
      expect(Math.abs((global[i] ?? 0) - (expected[i] ?? 0))).toBeLessThan(1e-5);
  }, 120_000);
});

describe("he mode with reveal: sites", () => {
  const SITES = ["alpha", "beta", "gamma"];
  let federation: Federation;
  const logLines: string[] = [];
  const events: CoordinatorEvent[] = [];

  beforeAll(async () => {
    const logger = pino(
      { level: "debug" },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          logLines.push(chunk.toString());
          done();
        },
      }),
    );
    federation = await createFederation({
      sites: SITES,
      transport: "grpc",
      ckks,
      logger,
      config: {
        rounds: 1,
        privacy: { mode: "he", he: { threshold: 2, reveal: "sites" } },
        sitesPerRound: { fraction: 1, minimum: 3 },
      },
      onCoordinatorEvent: (event) => events.push(event),
    });
    const sites = SITES.map((name) => federation.startSite(name));
    const summary = await federation.coordinator.done;
    await Promise.all(sites.map((site) => site.done));
    if (summary.outcome !== "completed") throw new Error(`federation ${summary.outcome}: ${summary.reason}`);
  }, 60_000);

  afterAll(async () => {
    await federation.coordinator.stop();
  });

  it("leaves no plaintext aggregate or global adapter in the coordinator's storage, logs, events or metrics", () => {
    const updates = SITES.map((site) => lastUpdate(federation, site));
    const global = fedAvgOf([updates]);
    const aggregate = weightedSum(updates);
    // The sites did rebuild it: what they evaluated is the FedAvg.
    const evaluated = federation.evaluated.get("alpha")?.[0];
    if (evaluated === undefined) throw new Error("alpha did not evaluate");
    for (let i = 0; i < global.length; i++)
      expect(Math.abs((evaluated[i] ?? 0) - (global[i] ?? 0))).toBeLessThan(1e-5);
    expect(Array.from(global.subarray(0, 8)).every((v) => Math.abs(v) > 1e-4)).toBe(true);
    for (const file of filesUnder(federation.config.storageDir)) {
      const bytes = readFileSync(file);
      expect(holdsVector(bytes, global, 1e-5), file).toBe(false);
      expect(holdsVector(bytes, aggregate, 1e-6), file).toBe(false);
    }
    const text = logLines.join("") + JSON.stringify(events);
    expect(mentionsAny(text, global, 1e-6)).toBe(false);
    const trained = events.find((e) => e.type === "round_completed" && e.kind === "train");
    expect(trained?.type === "round_completed" ? trained.metrics : undefined).toEqual({});
  });

  it("a site refuses a collective key whose transcript carries a tampered public-key share", async () => {
    const tls = federation.pki.sites.get("alpha");
    if (tls === undefined) throw new Error("no alpha certificate");
    const connection = federation.dial({ address: federation.coordinator.address, tls });
    try {
      const stub = connection.federation;
      const options = { deadlineMs: 20_000 };
      const keyId = events.find((e) => e.type === "key_ceremony")?.keyId ?? "";
      const holders = SITES.map((siteId) => {
        const keys = loadOrCreateSiteKeys(join(federation.dir, "sites", siteId), seededRng("unused"));
        const site = federation.pki.sites.get(siteId);
        if (site === undefined) throw new Error(`no ${siteId} certificate`);
        return {
          siteId: parseSiteId(siteId),
          identityKey: keys.identityKey,
          envelopePublicKey: keys.envelopePublicKey,
          certificate: new Uint8Array(new X509Certificate(site.certPem).raw),
          certificateKeySignature: signSiteKeys(
            site.certPem,
            site.keyPem,
            keys.identityKey,
            keys.envelopePublicKey,
          ),
        };
      });
      const he: HeSettings = {
        keyId,
        versions: [],
        serverLearningRate: 1,
        maxExamples: MAX_EXAMPLES,
        threshold: 2,
        reveal: "sites",
        holders,
      };
      const tools = heTools(ckks);
      const honest = await fetchCollectiveKey(stub, options, tools, he);
      expect(honest.length).toBeGreaterThan(0);
      /** The same stream with one low bit of `kind`'s blob (of `siteId`, when given) flipped. */
      const tampered = (kind: string, siteId?: string): FederationStub => ({
        ...stub,
        fetchKeys: async function* (request, callOptions) {
          let inTarget = false;
          let flipped = false;
          for await (const part of stub.fetchKeys(request, callOptions)) {
            if (part.part === "header") {
              inTarget =
                part.header.kind === kind && (siteId === undefined || part.header.recipient === siteId);
              yield part;
            } else if (inTarget && !flipped) {
              flipped = true;
              const data = Uint8Array.from(part.chunk.data);
              const at = data.length - 100; // inside the polynomials, past any header
              data[at] = (data[at] ?? 0) ^ 1;
              yield { part: "chunk", chunk: { offset: part.chunk.offset, data } };
            } else yield part;
          }
        },
      });
      const refusal = async (federationStub: FederationStub): Promise<string> => {
        try {
          await fetchCollectiveKey(federationStub, options, tools, he);
        } catch (error) {
          if (error instanceof ProtocolError) return error.code;
          throw error;
        }
        return "accepted";
      };
      expect(await refusal(tampered("public-key-share", "beta"))).toBe("bad-signature");
      expect(await refusal(tampered("public-key"))).toBe("malformed");
      // A holder list other than the one the task names (a key without one holder's share) is refused too.
      expect(await refusal(stub)).toBe("accepted");
      const fewer = { ...he, holders: holders.slice(0, 2) };
      await expect(fetchCollectiveKey(stub, options, tools, fewer)).rejects.toThrow(ProtocolError);
    } finally {
      connection.close();
    }
  });
  it("a restart with another reveal setting than the ceremony's is refused with a clear error", async () => {
    await federation.coordinator.stop();
    await expect(
      createFederation({
        sites: SITES,
        transport: "grpc",
        ckks,
        dir: federation.dir,
        pki: federation.pki,
        config: {
          rounds: 1,
          privacy: { mode: "he", he: { threshold: 2, reveal: "coordinator" } },
          sitesPerRound: { fraction: 1, minimum: 3 },
        },
      }),
    ).rejects.toThrow(/ran with threshold 2 and reveal sites/);
  });
});
