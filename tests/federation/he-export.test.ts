// `fedtune export --site-config` in he mode: a site rebuilds a round's global adapter from the encrypted aggregates and writes the PEFT folder.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportCommand } from "../../cli/commands/export.ts";
import { ParsedArgs, type CliContext } from "../../cli/command.ts";
import { rebuildGlobalAtSite, SiteExportError, type SiteExportRequest } from "../../client/node/he-export.ts";
import { loadOrCreateSiteKeys } from "../../client/node/site-state.ts";
import { createCkksContext, loadSeal, type CkksContext } from "../../crypto/ckks/context.ts";
import { createCa } from "../../coordinator/pki/index.ts";
import { NO_REVOCATIONS, normaliseSerialNumber } from "../../crypto/pki/identity.ts";
import { seededRng } from "../../crypto/rng.ts";
import { flattenLoraTensors } from "../../model/lora-layout.ts";
import { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, readPeftAdapter } from "../../model/peft.ts";
import { serializeSafetensors } from "../../model/safetensors.ts";
import type { Connection } from "../../proto/transport.ts";
import {
  TINY_MODEL,
  createFederation,
  expectedFedAvg,
  quietLogger,
  type Federation,
} from "./helpers/federation.ts";

const SITES = ["alpha", "beta", "gamma"];

let ckks: CkksContext;
let federation: Federation;
let connection: Connection;

beforeAll(async () => {
  ckks = createCkksContext(await loadSeal());
  federation = await createFederation({
    sites: SITES,
    transport: "grpc",
    ckks,
    config: { rounds: 2, privacy: { mode: "he" }, sitesPerRound: { fraction: 1, minimum: 3 } },
  });
  const sites = SITES.map((name) => federation.startSite(name));
  const summary = await federation.coordinator.done;
  await Promise.all(sites.map((site) => site.done));
  if (summary.outcome !== "completed") throw new Error(`federation ${summary.outcome}: ${summary.reason}`);
  // The coordinator keeps serving after its run: that is where a site fetches the aggregates from.
  const tls = federation.pki.sites.get("alpha");
  if (tls === undefined) throw new Error("no alpha certificate");
  connection = federation.dial({ address: federation.coordinator.address, tls });
}, 30_000);

afterAll(async () => {
  connection.close();
  await federation.coordinator.stop();
  ckks.dispose();
});

/** A site config for `name` as `fedtune client start` reads it, next to a base model folder of TINY_MODEL. */
function writeSiteConfig(name: string, stateDir: string): string {
  const dir = join(federation.dir, "export", name);
  mkdirSync(join(dir, "model"), { recursive: true });
  const tls = federation.pki.sites.get(name);
  if (tls === undefined) throw new Error(`no certificate for ${name}`);
  writeFileSync(join(dir, "ca.pem"), tls.caPem);
  writeFileSync(join(dir, "site.pem"), tls.certPem);
  writeFileSync(join(dir, "site.key"), tls.keyPem);
  writeFileSync(
    join(dir, "model", "config.json"),
    JSON.stringify({
      hidden_size: TINY_MODEL.hiddenSize,
      intermediate_size: TINY_MODEL.intermediateSize,
      num_hidden_layers: TINY_MODEL.numLayers,
      num_attention_heads: TINY_MODEL.numHeads,
      vocab_size: TINY_MODEL.vocabSize,
    }),
  );
  // The export hashes the base model's weights for its model card; the layout comes from config.json.
  writeFileSync(join(dir, "model", "model.safetensors"), serializeSafetensors([]));
  const path = join(dir, "site.yaml");
  writeFileSync(
    path,
    [
      `coordinator: "${federation.coordinator.address}"`,
      "tls: { caCert: ca.pem, cert: site.pem, key: site.key }",
      "baseModel: model",
      "data: { train: rows.jsonl }",
      `stateDir: ${JSON.stringify(stateDir)}`,
    ].join("\n"),
  );
  return path;
}

async function runExport(values: Record<string, string>): Promise<{ code: number; printed: string[] }> {
  const printed: string[] = [];
  const ctx: CliContext = { logger: quietLogger(), print: (line) => printed.push(line) };
  const code = await exportCommand.run(new ParsedArgs(values, []), ctx);
  return { code, printed };
}

function siteRequest(round: number, overrides: Partial<SiteExportRequest> = {}): SiteExportRequest {
  const keys = loadOrCreateSiteKeys(join(federation.dir, "sites", "alpha"), seededRng("unused"));
  return {
    federation: connection.federation,
    options: { deadlineMs: 20_000 },
    ctx: ckks,
    envelopeSecretKey: keys.envelopeSecretKey,
    trust: { caCert: federation.pki.ca.certPem, revocations: NO_REVOCATIONS },
    round,
    runId: 0,
    initialGlobal: (_lora, vectorLength) => new Float32Array(vectorLength),
    ...overrides,
  };
}

async function exportError(request: SiteExportRequest): Promise<string> {
  try {
    await rebuildGlobalAtSite(request);
  } catch (error) {
    if (error instanceof SiteExportError) return error.code;
    throw error;
  }
  return "exported";
}

describe("fedtune export --site-config in he mode", () => {
  it("writes the PEFT folder of each round, equal to the plain FedAvg of the sites' updates within CKKS error", async () => {
    for (const round of [1, 2]) {
      const out = join(federation.dir, "export", `round-${round}`);
      const config = writeSiteConfig("alpha", join(federation.dir, "sites", "alpha"));
      const { code, printed } = await runExport({ "site-config": config, round: String(round), out });
      expect(code).toBe(0);
      const result = JSON.parse(printed[0] ?? "{}") as { round: number; site: string; aggregates: unknown[] };
      expect(result).toMatchObject({ round, site: "alpha" });
      expect(result.aggregates).toHaveLength(round);
      expect(existsSync(join(out, ADAPTER_WEIGHTS_FILE))).toBe(true);
      const adapterConfig = JSON.parse(readFileSync(join(out, ADAPTER_CONFIG_FILE), "utf8")) as Record<
        string,
        unknown
      >;
      expect(adapterConfig).toMatchObject({ peft_type: "LORA", r: 2 });
      expect([...(adapterConfig["target_modules"] as string[])].sort()).toEqual(["q_proj", "v_proj"]);
      const adapter = await readPeftAdapter(out);
      const exported = flattenLoraTensors(TINY_MODEL, { ...federation.config.lora }, adapter.tensors);
      const expected = expectedFedAvg(federation, SITES, round);
      expect(exported.length).toBe(expected.length);
      let moved = 0;
      for (let i = 0; i < expected.length; i++) {
        expect(Math.abs((exported[i] ?? 0) - (expected[i] ?? 0))).toBeLessThan(1e-5);
        moved = Math.max(moved, Math.abs(expected[i] ?? 0));
      }
      expect(moved).toBeGreaterThan(1e-3);
    }
    // Without --round: the last completed training round.
    const latest = await rebuildGlobalAtSite(siteRequest(0));
    expect(latest.manifest.round).toBe(2);
    expect(latest.manifest.versions).toEqual([1, 2]);
  });

  it("refuses a round that is not a completed training round", async () => {
    expect(await exportError(siteRequest(3))).toBe("wrong-round"); // the evaluation round
    expect(await exportError(siteRequest(9))).toBe("wrong-round");
    const out = join(federation.dir, "export", "wrong-round");
    const config = writeSiteConfig("alpha", join(federation.dir, "sites", "alpha"));
    expect((await runExport({ "site-config": config, round: "9", out })).code).toBe(1);
    expect(existsSync(out)).toBe(false);
  });

  it("refuses without the site's key: no state folder, or an envelope key that does not open its envelope", async () => {
    const out = join(federation.dir, "export", "no-key");
    const config = writeSiteConfig("alpha", join(federation.dir, "export", "empty-state"));
    expect((await runExport({ "site-config": config, out })).code).toBe(1);
    expect(existsSync(out)).toBe(false);
    const strangerKey = new Uint8Array(32).fill(7);
    expect(await exportError(siteRequest(2, { envelopeSecretKey: strangerKey }))).toBe("no-key");
  });

  it("refuses key holders whose keys its CA did not certify, or whose certificate its CRL revokes", async () => {
    const foreignCa = await createCa({ commonName: "elsewhere" });
    const foreign = { caCert: foreignCa.certPem, revocations: NO_REVOCATIONS };
    expect(await exportError(siteRequest(2, { trust: foreign }))).toBe("untrusted-key");
    const beta = federation.pki.sites.get("beta");
    const revoked = new Set([normaliseSerialNumber(beta?.serialNumber ?? "")]);
    const revoking = {
      caCert: federation.pki.ca.certPem,
      revocations: { fingerprints: new Set<string>(), serialNumbers: revoked },
    };
    expect(await exportError(siteRequest(2, { trust: revoking }))).toBe("untrusted-key");
  });

  it("refuses an aggregate whose bytes do not match the SHA-256 the coordinator recorded", async () => {
    const stub = connection.federation;
    const tampering: SiteExportRequest["federation"] = {
      ...stub,
      exportAggregates: async function* (request, options) {
        let flipped = false;
        for await (const part of stub.exportAggregates(request, options)) {
          if (part.part === "chunk" && !flipped) {
            flipped = true;
            const data = Uint8Array.from(part.chunk.data);
            data[data.length - 1] = (data[data.length - 1] ?? 0) ^ 1;
            yield { part: "chunk", chunk: { offset: part.chunk.offset, data } };
          } else yield part;
        }
      },
    };
    expect(await exportError(siteRequest(2, { federation: tampering }))).toBe("hash-mismatch");
  });

  it("keeps --config (at the coordinator) and --site-config apart", async () => {
    await expect(
      runExport({ config: "coordinator.yaml", "site-config": "site.yaml", out: join(federation.dir, "x") }),
    ).rejects.toThrow(/not both/);
  });
});
