// safetensors: f16/bf16/f32 decoding, bf16 rounding, exact validation of headers and offsets, sharded folders.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  SafetensorsError,
  parseSafetensors,
  readCheckpointFolder,
  serializeSafetensors,
  writeCheckpointFolder,
  type TensorMap,
} from "../../model/safetensors.ts";

/** A safetensors file from a header object and raw data bytes, built by hand (independent of the writer). */
function handmade(header: Record<string, unknown>, data: Uint8Array, headerPadding = 0): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header) + " ".repeat(headerPadding));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function uint16le(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  values.forEach((v, i) => new DataView(out.buffer).setUint16(2 * i, v, true));
  return out;
}

describe("safetensors", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "fedtune-st-"));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it("decodes IEEE half precision, including subnormals, infinities and negative zero", () => {
    // 1, -2, 0.5, 65504 (max), 2^-24 (smallest subnormal), +inf, -0
    const bits = [0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0x7c00, 0x8000];
    const file = handmade({ h: { dtype: "F16", shape: [7], data_offsets: [0, 14] } }, uint16le(bits), 3);
    const data = parseSafetensors(file).tensors.get("h")?.data ?? [];
    expect([...data]).toEqual([1, -2, 0.5, 65504, 2 ** -24, Infinity, -0]);
    expect(Object.is(data[6], -0)).toBe(true);
  });

  it("decodes bfloat16 and writes it rounding to nearest even", () => {
    // bf16 0x3f80 = 1, 0xc040 = -3, 0x4049 = 3.140625
    const file = handmade(
      { b: { dtype: "BF16", shape: [3], data_offsets: [0, 6] } },
      uint16le([0x3f80, 0xc040, 0x4049]),
    );
    expect([...(parseSafetensors(file).tensors.get("b")?.data ?? [])]).toEqual([1, -3, 3.140625]);
    // 1 + 2^-8 is halfway between bf16 1 and 1 + 2^-7: ties go to the even mantissa (1).
    const halfway = 1 + 2 ** -8;
    const written = serializeSafetensors(
      [["x", { shape: [2], data: new Float32Array([halfway, Math.PI]) }]],
      {
        dtype: "BF16",
      },
    );
    const readBack = parseSafetensors(written).tensors.get("x")?.data ?? [];
    expect([...readBack]).toEqual([1, 3.140625]);
  });

  it("round-trips float32 tensors, metadata and an 8-byte aligned header", () => {
    const tensors: TensorMap = new Map([
      ["a", { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, -6.5]) }],
      ["empty", { shape: [0, 4], data: new Float32Array(0) }],
      ["s", { shape: [], data: Float32Array.from([7]) }],
    ]);
    const bytes = serializeSafetensors(tensors, { metadata: { format: "pt" } });
    expect(Number(new DataView(bytes.buffer).getBigUint64(0, true)) % 8).toBe(0);
    const parsed = parseSafetensors(bytes);
    expect(parsed.metadata).toEqual({ format: "pt" });
    for (const [name, tensor] of tensors) {
      expect(parsed.tensors.get(name)?.shape).toEqual(tensor.shape);
      expect([...(parsed.tensors.get(name)?.data ?? [])]).toEqual([...tensor.data]);
    }
  });

  it("rejects truncated, inconsistent and unsupported files with the reason", () => {
    const good = { t: { dtype: "F32", shape: [2], data_offsets: [0, 8] } };
    const data = new Uint8Array(8);
    expect(() => parseSafetensors(new Uint8Array(5))).toThrow(/shorter than the 8-byte header length/);
    const oversized = handmade(good, data);
    new DataView(oversized.buffer).setBigUint64(0, 10_000n, true);
    expect(() => parseSafetensors(oversized)).toThrow(/header length 10000 exceeds/);
    expect(() => parseSafetensors(handmade(good, data.subarray(0, 4)))).toThrow(
      /outside the 4-byte data buffer/,
    );
    expect(() => parseSafetensors(handmade({ t: { ...good.t, shape: [3] } }, data))).toThrow(
      /needs 12 bytes/,
    );
    expect(() => parseSafetensors(handmade({ t: { ...good.t, dtype: "I64" } }, data))).toThrow(
      /unsupported dtype/,
    );
    const twoWithHole = {
      a: { dtype: "F32", shape: [1], data_offsets: [0, 4] },
      b: { dtype: "F32", shape: [1], data_offsets: [8, 12] },
    };
    expect(() => parseSafetensors(handmade(twoWithHole, new Uint8Array(12)))).toThrow(/hole or overlap/);
    expect(() => parseSafetensors(handmade(good, new Uint8Array(12)))).toThrow(/cover 8/);
    const notJson = handmade(good, data);
    notJson[8] = 0x7b + 1;
    expect(() => parseSafetensors(notJson, "x.safetensors")).toThrow(SafetensorsError);
  });

  it("writes and reads a sharded checkpoint through its index, and rejects an inconsistent index", async () => {
    const tensors: TensorMap = new Map(
      Array.from(
        { length: 5 },
        (_, i) => [`w${i}`, { shape: [4, 4], data: new Float32Array(16).fill(i) }] as const,
      ),
    );
    const files = await writeCheckpointFolder(dir, tensors, { maxShardBytes: 100 });
    expect(files.map((f) => f.slice(dir.length + 1))).toEqual([
      "model-00001-of-00005.safetensors",
      "model-00002-of-00005.safetensors",
      "model-00003-of-00005.safetensors",
      "model-00004-of-00005.safetensors",
      "model-00005-of-00005.safetensors",
    ]);
    const read = await readCheckpointFolder(dir);
    expect([...read.tensors.keys()].sort()).toEqual([...tensors.keys()]);
    expect(read.tensors.get("w3")?.data[0]).toBe(3);
    await writeFile(
      join(dir, "model.safetensors.index.json"),
      JSON.stringify({
        weight_map: { w0: "model-00001-of-00005.safetensors", w9: "model-00001-of-00005.safetensors" },
      }),
    );
    await expect(readCheckpointFolder(dir)).rejects.toThrow(/w9" is missing from its shard/);
  });
});
