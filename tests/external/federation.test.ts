// End to end over gRPC: one site trains with the reference Python trainer, the others with the built-in engine.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { externalTrainerFactory } from "../../client/external/external-trainer.ts";
import { engineTrainerFactory } from "../../client/node/engine-trainer.ts";
import type { LocalTrainer, LocalUpdate, TrainerFactory } from "../../client/node/trainer.ts";
import type { Example } from "../../client/data/rows.ts";
import { createCkksContext, loadSeal, type CkksContext } from "../../crypto/ckks/context.ts";
import { toHfConfig } from "../../model/config.ts";
import { LlamaModel, randomLlamaWeights } from "../../model/llama.ts";
import { serializeSafetensors } from "../../model/safetensors.ts";
import type { PrivacyMode } from "../../proto/messages.ts";
import { charTokenizer } from "../client/fake-tokenizer.ts";
import { silentLogger, startBackend } from "../client/fixtures.ts";
import { TINY_MODEL, createFederation, expectedFedAvg } from "../federation/helpers/federation.ts";
import { SKIP_WITHOUT_TORCH, pythonTrainer } from "./python.ts";

const SITES = ["alpha", "beta", "gamma"];
const PYTHON_SITE = "alpha";
/**
 * The global adapter every site evaluates against FedAvg of the recorded updates: secagg's codec
 * step (≈1e-6 here, after dividing by Σw) and CKKS noise (<1e-5) against Δ entries of ≈1e-2.
 */
const TOLERANCE = 1e-4;

/** Token-id rows over TINY_MODEL's 32-token vocabulary: a repeating pattern to learn. */
function rows(site: string, count: number): Example[] {
  return Array.from({ length: count }, (_, i) => ({
    kind: "input_ids",
    inputIds: Array.from({ length: 12 }, (_, t) => 3 + ((i + t * ((site.length % 3) + 1)) % 29)),
    source: { file: `${site}.jsonl`, line: i + 1 },
  }));
}

let ckks: CkksContext;
let model: LlamaModel;
let modelDir: string;
beforeAll(async () => {
  await startBackend();
  ckks = createCkksContext(await loadSeal());
  const weights = randomLlamaWeights(TINY_MODEL, 5, { std: 0.2 });
  model = LlamaModel.fromWeights(TINY_MODEL, weights);
  modelDir = mkdtempSync(join(tmpdir(), "fedtune-tiny-model-"));
  writeFileSync(join(modelDir, "config.json"), JSON.stringify(toHfConfig(TINY_MODEL)));
  writeFileSync(join(modelDir, "model.safetensors"), serializeSafetensors(weights));
});
afterAll(() => {
  ckks.dispose();
  model.dispose();
});

/** Records each Δ and each evaluated global adapter of the trainer the factory builds. */
function recording(
  factory: TrainerFactory,
  updates: LocalUpdate[],
  evaluated: Float32Array[],
): TrainerFactory {
  return async (lora, vectorLength) => {
    const trainer: LocalTrainer = await factory(lora, vectorLength);
    return {
      ...trainer,
      train: async (input) => {
        const update = await trainer.train(input);
        updates.push(update);
        return update;
      },
      evaluate: (input) => {
        evaluated.push(Float32Array.from(input.global));
        return trainer.evaluate(input);
      },
    };
  };
}

describe.skipIf(SKIP_WITHOUT_TORCH)("a federation with one site on the Python trainer", () => {
  for (const mode of ["secagg", "he"] as PrivacyMode[]) {
    it(`${mode} over gRPC: every round completes and the aggregate is FedAvg of all three sites`, async () => {
      const federation = await createFederation({
        sites: SITES,
        transport: "grpc",
        config: { rounds: 2, privacy: { mode }, sitesPerRound: { fraction: 1, minimum: 3 } },
        ...(mode === "he" ? { ckks } : {}),
      });
      const evaluated = new Map<string, Float32Array[]>();
      const handles = SITES.map((site) => {
        const updates: LocalUpdate[] = [];
        federation.updates.set(site, updates);
        const seen: Float32Array[] = [];
        evaluated.set(site, seen);
        const common = { train: rows(site, 10), validation: rows(site, 4), logger: silentLogger };
        const factory =
          site === PYTHON_SITE
            ? externalTrainerFactory({
                ...common,
                trainer: pythonTrainer(),
                baseModelDir: modelDir,
                modelConfig: TINY_MODEL,
                tokenizer: charTokenizer,
                workDir: join(federation.dir, "sites", site, "trainer-tasks"),
              })
            : engineTrainerFactory({ ...common, model, tokenizer: { ...charTokenizer, padId: 0 } });
        return federation.startSite(site, { createTrainer: recording(factory, updates, seen) });
      });
      const summary = await federation.coordinator.done;
      const sites = await Promise.all(handles.map((handle) => handle.done));
      await federation.coordinator.stop();
      expect(summary.rounds.map((r) => [r.round, r.kind, r.outcome])).toEqual([
        [1, "train", "completed"],
        [2, "train", "completed"],
        [3, "eval", "completed"],
      ]);
      expect(sites.map((s) => [s.outcome, s.roundsContributed])).toEqual(SITES.map(() => ["finished", 2]));
      expect(summary.rounds[2]?.metrics["loss"]).toBeGreaterThan(0);
      const expected = expectedFedAvg(federation, SITES, 2);
      for (const site of SITES) {
        const global = evaluated.get(site)?.[0];
        if (global === undefined) throw new Error(`${site} did not evaluate`);
        const gap = Math.max(...global.map((v, i) => Math.abs(v - (expected[i] ?? 0))));
        expect(gap).toBeLessThan(TOLERANCE);
      }
      expect(Math.max(...expected.map(Math.abs))).toBeGreaterThan(1e-3);
    }, 180_000);
  }
});
