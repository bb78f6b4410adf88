// Checkpoints: a flat global vector round-trips through a PEFT folder; hashes are checked on read.
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  CheckpointError,
  readAdapterCheckpoint,
  readCiphertextCheckpoint,
  readSealedShare,
  writeAdapterCheckpoint,
  writeCiphertextCheckpoint,
  writeSealedShare,
} from "../../coordinator/checkpoints.ts";
import { MODEL_CARD_FILE, initialGlobalVector, type AdapterSpec } from "../../model/peft-export.ts";
import { BUILTIN_MODEL_DIR } from "../../model/model-dir.ts";
import { parseLlamaConfig } from "../../model/config.ts";
import { readPeftAdapter } from "../../model/peft.ts";

const model = parseLlamaConfig({
  hidden_size: 8,
  intermediate_size: 16,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  vocab_size: 32,
});
const spec = (mode: "ffa" | "standard"): AdapterSpec => ({
  model,
  lora: { r: 2, alpha: 4, dropout: 0, targetModules: ["q_proj", "v_proj"], mode, seed: 7 },
  baseModelNameOrPath: "builtin",
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "fedtune-ckpt-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("adapter checkpoints", () => {
  it("start from PEFT's initialisation: zero B in ffa mode, seeded A as well in standard mode", () => {
    // ffa: B only, 2 layers × (q: 8×2 + v: 8×2) = 64 zeros.
    expect(Array.from(initialGlobalVector(spec("ffa")))).toEqual(new Array<number>(64).fill(0));
    const standard = initialGlobalVector(spec("standard"));
    expect(standard).toHaveLength(128);
    expect(standard.some((value) => value !== 0)).toBe(true);
    expect(initialGlobalVector(spec("standard"))).toEqual(standard);
  });

  it.each(["ffa", "standard"] as const)(
    "round-trip a %s vector through a PEFT folder with its SHA-256",
    async (mode) => {
      const length = initialGlobalVector(spec(mode)).length;
      const vector = Float32Array.from({ length }, (_, i) => (i - 10) / 7);
      const ref = await writeAdapterCheckpoint(dir, 3, vector, spec(mode));
      expect(ref.path).toBe(join(dir, "round-000003"));
      expect(readdirSync(dir)).toEqual(["round-000003"]);
      const weights = readFileSync(join(ref.path, "adapter_model.safetensors"));
      expect(ref.sha256).toBe(createHash("sha256").update(weights).digest("hex"));
      expect((await readPeftAdapter(ref.path)).lora.mode).toBe(mode);
      expect(await readAdapterCheckpoint(ref, spec(mode))).toEqual(vector);
    },
  );

  it("writes a model card: base model folder and hash, rounds, privacy mode and ε", async () => {
    const withProvenance: AdapterSpec = {
      ...spec("ffa"),
      provenance: {
        baseModelSha256: "ab".repeat(32),
        privacyMode: "secagg",
        dp: { level: "site", clipNorm: 1, noiseMultiplier: 0.8, delta: 1e-5, epsilonBudget: 6 },
      },
    };
    const vector = initialGlobalVector(withProvenance);
    const ref = await writeAdapterCheckpoint(dir, 4, vector, withProvenance);
    const card = readFileSync(join(ref.path, MODEL_CARD_FILE), "utf8");
    expect(card).toContain(BUILTIN_MODEL_DIR);
    expect(card).toContain("ab".repeat(32));
    expect(card).toMatch(/training rounds aggregated \| 4 \|/);
    expect(card).toMatch(/privacy mode \| secagg \|/);
    expect(card).toMatch(/ε = 6/);
    expect(card).toMatch(/δ = 0\.00001/);
    // Without DP, the card says so rather than leaving ε out.
    const plain = await writeAdapterCheckpoint(dir, 5, vector, {
      ...withProvenance,
      provenance: { baseModelSha256: "cd".repeat(32), privacyMode: "none", dp: null },
    });
    expect(readFileSync(join(plain.path, MODEL_CARD_FILE), "utf8")).toMatch(
      /differential privacy \| none: no ε bound/,
    );
  });

  it("replaces a folder left by an uncommitted try, and refuses one whose bytes changed", async () => {
    const length = initialGlobalVector(spec("ffa")).length;
    await writeAdapterCheckpoint(dir, 1, new Float32Array(length).fill(1), spec("ffa"));
    const ref = await writeAdapterCheckpoint(dir, 1, new Float32Array(length).fill(2), spec("ffa"));
    expect((await readAdapterCheckpoint(ref, spec("ffa")))[0]).toBe(2);
    const file = join(ref.path, "adapter_model.safetensors");
    const bytes = readFileSync(file);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff;
    writeFileSync(file, bytes);
    await expect(readAdapterCheckpoint(ref, spec("ffa"))).rejects.toMatchObject({ code: "hash-mismatch" });
  });
});

describe("ciphertext checkpoints (he mode)", () => {
  it("store the aggregate bytes as they are, hash-checked", () => {
    const ciphertext = Uint8Array.from({ length: 1000 }, (_, i) => (i * 31) & 0xff);
    const ref = writeCiphertextCheckpoint(dir, 2, ciphertext);
    expect(ref.path).toBe(join(dir, "round-000002.ckks"));
    expect(readCiphertextCheckpoint(ref)).toEqual(ciphertext);
    expect(() => readCiphertextCheckpoint({ ...ref, sha256: "0".repeat(64) })).toThrow(CheckpointError);
    expect(() => readCiphertextCheckpoint({ ...ref, path: join(dir, "gone.ckks") })).toThrow(/missing/);
  });

  it("keep each holder's sealed decryption share of a round as a file of its own, replaced by a retried try", () => {
    writeSealedShare(dir, 3, "site-a", Uint8Array.of(1, 2, 3));
    writeSealedShare(dir, 3, "site-b", Uint8Array.of(4));
    writeSealedShare(dir, 3, "site-a", Uint8Array.of(5, 6));
    expect(readSealedShare(dir, 3, "site-a")).toEqual(Uint8Array.of(5, 6));
    expect(readSealedShare(dir, 3, "site-b")).toEqual(Uint8Array.of(4));
    expect(readSealedShare(dir, 4, "site-a")).toBeUndefined();
    expect(readdirSync(dir).sort()).toEqual([
      "round-000003.share-site-a.sealed",
      "round-000003.share-site-b.sealed",
    ]);
  });
});
