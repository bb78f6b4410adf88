// Reads and writes the safetensors format (single files and sharded HF checkpoints), converting to float32.
// Format: https://github.com/huggingface/safetensors#format — an 8-byte little-endian header length N,
// N bytes of JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {str: str}},
// then the byte buffer that the offsets index (relative to its start, little-endian elements).
import { readFile, writeFile, access } from "node:fs/promises";
import { endianness } from "node:os";
import { join, basename } from "node:path";

export interface NamedTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Tensors by name, in insertion order. */
export type TensorMap = Map<string, NamedTensor>;

export type SafetensorsDtype = "F32" | "F16" | "BF16";
const BYTES_PER_ELEMENT: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2 };

/** A malformed, truncated or inconsistent safetensors file or index; `source` names the file. */
export class SafetensorsError extends Error {
  override readonly name = "SafetensorsError";
  constructor(
    readonly source: string,
    message: string,
  ) {
    super(`${source}: ${message}`);
  }
}

// The reference implementation refuses headers above 100 MB; so do we, before allocating anything.
const MAX_HEADER_BYTES = 100_000_000;
const LITTLE_ENDIAN_HOST = endianness() === "LE";

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((product, dim) => product * dim, 1);
}

function isDtype(value: unknown): value is SafetensorsDtype {
  return value === "F32" || value === "F16" || value === "BF16";
}

/** IEEE 754 binary16 → float32 value. */
function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

function decode(bytes: Uint8Array, dtype: SafetensorsDtype, count: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (dtype) {
    case "F32": {
      if (LITTLE_ENDIAN_HOST) return new Float32Array(bytes.slice().buffer, 0, count);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
      return out;
    }
    case "F16": {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
      return out;
    }
    case "BF16": {
      // bfloat16 is the upper half of a float32.
      const bits = new Uint32Array(count);
      for (let i = 0; i < count; i++) bits[i] = view.getUint16(2 * i, true) << 16;
      return new Float32Array(bits.buffer);
    }
  }
}

/** float32 → bfloat16 bits with round-to-nearest-even (NaN stays NaN). */
function floatToBf16Bits(value: number, scratch: DataView): number {
  scratch.setFloat32(0, value, true);
  const bits = scratch.getUint32(0, true);
  if (Number.isNaN(value)) return 0x7fc0;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

export interface ParsedSafetensors {
  readonly tensors: TensorMap;
  readonly metadata: Readonly<Record<string, string>>;
  /** The stored dtype of each tensor, before conversion to float32. */
  readonly dtypes: ReadonlyMap<string, SafetensorsDtype>;
}

/** Parses one safetensors file held in memory, checking every length and offset exactly. */
export function parseSafetensors(bytes: Uint8Array, source = "<memory>"): ParsedSafetensors {
  const fail = (message: string): never => {
    throw new SafetensorsError(source, message);
  };
  if (bytes.byteLength < 8) fail(`file is ${bytes.byteLength} bytes, shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(Math.min(MAX_HEADER_BYTES, bytes.byteLength - 8))) {
    fail(`header length ${headerLength} exceeds the ${bytes.byteLength - 8} bytes that follow it`);
  }
  const dataStart = 8 + Number(headerLength);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, dataStart)));
  } catch (error) {
    fail(`header is not valid UTF-8 JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header))
    fail("header is not a JSON object");
  const dataLength = bytes.byteLength - dataStart;
  const entries: { name: string; dtype: SafetensorsDtype; shape: number[]; begin: number; end: number }[] =
    [];
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (typeof raw !== "object" || raw === null || Array.isArray(raw))
        fail("__metadata__ is not an object");
      for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof value !== "string") fail(`__metadata__.${key} is not a string`);
      }
      metadata = raw as Record<string, string>;
      continue;
    }
    if (typeof raw !== "object" || raw === null) fail(`tensor "${name}" has no description`);
    const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
    if (!isDtype(dtype))
      fail(`tensor "${name}" has unsupported dtype ${JSON.stringify(dtype)} (F32, F16, BF16)`);
    const validShape =
      Array.isArray(shape) &&
      shape.every((dim) => typeof dim === "number" && Number.isSafeInteger(dim) && dim >= 0);
    if (!validShape) fail(`tensor "${name}" has an invalid shape ${JSON.stringify(shape)}`);
    const validOffsets =
      Array.isArray(offsets) &&
      offsets.length === 2 &&
      offsets.every((offset) => typeof offset === "number" && Number.isSafeInteger(offset) && offset >= 0);
    if (!validOffsets) fail(`tensor "${name}" has invalid data_offsets ${JSON.stringify(offsets)}`);
    const [begin, end] = offsets as [number, number];
    const typedDtype = dtype as SafetensorsDtype;
    const typedShape = shape as number[];
    const expected = elementCount(typedShape) * BYTES_PER_ELEMENT[typedDtype];
    if (end < begin || end > dataLength) {
      fail(
        `tensor "${name}" data_offsets [${begin}, ${end}] fall outside the ${dataLength}-byte data buffer`,
      );
    }
    if (end - begin !== expected) {
      fail(
        `tensor "${name}" shape [${typedShape.join(", ")}] ${typedDtype} needs ${expected} bytes, offsets give ${end - begin}`,
      );
    }
    entries.push({ name, dtype: typedDtype, shape: typedShape, begin, end });
  }
  // The spec requires the buffer to be fully indexed without holes or overlaps.
  const byOffset = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const entry of byOffset) {
    if (entry.begin !== cursor) {
      fail(
        `tensor "${entry.name}" starts at byte ${entry.begin}, expected ${cursor} (hole or overlap in the data buffer)`,
      );
    }
    cursor = entry.end;
  }
  if (cursor !== dataLength) fail(`data buffer is ${dataLength} bytes but the tensors cover ${cursor}`);

  const tensors: TensorMap = new Map();
  const dtypes = new Map<string, SafetensorsDtype>();
  for (const entry of entries) {
    const slice = bytes.subarray(dataStart + entry.begin, dataStart + entry.end);
    tensors.set(entry.name, {
      shape: entry.shape,
      data: decode(slice, entry.dtype, elementCount(entry.shape)),
    });
    dtypes.set(entry.name, entry.dtype);
  }
  return { tensors, metadata, dtypes };
}

export interface SerializeOptions {
  /** Storage type for every tensor; float32 by default. */
  readonly dtype?: "F32" | "BF16";
  readonly metadata?: Readonly<Record<string, string>>;
}

/** Serialises tensors in the given order; the header is space-padded to 8 bytes as the reference writer does. */
export function serializeSafetensors(
  tensors: Iterable<readonly [string, NamedTensor]>,
  options: SerializeOptions = {},
): Uint8Array {
  const dtype = options.dtype ?? "F32";
  const width = BYTES_PER_ELEMENT[dtype];
  const header: Record<string, unknown> = {};
  if (options.metadata !== undefined) header["__metadata__"] = { ...options.metadata };
  const list = [...tensors];
  let offset = 0;
  for (const [name, tensor] of list) {
    if (name === "__metadata__")
      throw new SafetensorsError("<write>", `"__metadata__" is not a valid tensor name`);
    if (name in header) throw new SafetensorsError("<write>", `duplicate tensor name "${name}"`);
    const count = elementCount(tensor.shape);
    if (count !== tensor.data.length) {
      throw new SafetensorsError(
        "<write>",
        `tensor "${name}" shape [${tensor.shape.join(", ")}] has ${count} elements, data has ${tensor.data.length}`,
      );
    }
    header[name] = { dtype, shape: [...tensor.shape], data_offsets: [offset, offset + count * width] };
    offset += count * width;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let cursor = 8 + headerLength;
  const scratch = new DataView(new ArrayBuffer(4));
  for (const [, tensor] of list) {
    if (dtype === "F32") {
      for (let i = 0; i < tensor.data.length; i++) view.setFloat32(cursor + 4 * i, tensor.data[i] ?? 0, true);
    } else {
      for (let i = 0; i < tensor.data.length; i++)
        view.setUint16(cursor + 2 * i, floatToBf16Bits(tensor.data[i] ?? 0, scratch), true);
    }
    cursor += tensor.data.length * width;
  }
  return out;
}

export async function readSafetensors(path: string): Promise<ParsedSafetensors> {
  return parseSafetensors(new Uint8Array(await readFile(path)), path);
}

export async function writeSafetensors(
  path: string,
  tensors: Iterable<readonly [string, NamedTensor]>,
  options: SerializeOptions = {},
): Promise<void> {
  await writeFile(path, serializeSafetensors(tensors, options));
}

export const SINGLE_FILE = "model.safetensors";
export const INDEX_FILE = "model.safetensors.index.json";

/** Whether a path exists (used to tell a missing optional file from an unreadable one). */
export async function fileExists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

export interface CheckpointTensors {
  readonly tensors: TensorMap;
  /** The weight files read, in a stable order (the index's shard order, or the single file). */
  readonly files: readonly string[];
  readonly dtypes: ReadonlyMap<string, SafetensorsDtype>;
}

export interface CheckpointFiles {
  /** The weight files, in a stable order (the index's shards sorted by name, or the single file). */
  readonly files: readonly string[];
  /** For sharded checkpoints: which shard holds each tensor. */
  readonly weightMap: ReadonlyMap<string, string> | undefined;
}

/** Lists the weight files of an HF model folder without reading them (safetensors only). */
export async function checkpointFiles(dir: string): Promise<CheckpointFiles> {
  const indexPath = join(dir, INDEX_FILE);
  if (await fileExists(indexPath)) {
    let index: unknown;
    try {
      index = JSON.parse(await readFile(indexPath, "utf8"));
    } catch (error) {
      throw new SafetensorsError(
        indexPath,
        `not valid JSON (${error instanceof Error ? error.message : String(error)})`,
      );
    }
    const rawMap = (index as { weight_map?: unknown } | null)?.weight_map;
    if (typeof rawMap !== "object" || rawMap === null || Array.isArray(rawMap)) {
      throw new SafetensorsError(indexPath, "missing weight_map object");
    }
    const weightMap = new Map<string, string>();
    for (const [name, shard] of Object.entries(rawMap as Record<string, unknown>)) {
      if (typeof shard !== "string" || shard !== basename(shard) || !shard.endsWith(".safetensors")) {
        throw new SafetensorsError(
          indexPath,
          `tensor "${name}" maps to an invalid shard ${JSON.stringify(shard)}`,
        );
      }
      weightMap.set(name, shard);
    }
    const shards = [...new Set(weightMap.values())].sort();
    return { files: shards.map((shard) => join(dir, shard)), weightMap };
  }
  const single = join(dir, SINGLE_FILE);
  if (!(await fileExists(single))) {
    throw new SafetensorsError(
      dir,
      `no ${SINGLE_FILE} or ${INDEX_FILE} found (only safetensors weights are supported)`,
    );
  }
  return { files: [single], weightMap: undefined };
}

export interface CheckpointTensors extends CheckpointFiles {
  readonly tensors: TensorMap;
  readonly dtypes: ReadonlyMap<string, SafetensorsDtype>;
}

/**
 * Reads the weights of an HF model folder: `model.safetensors`, or the shards that
 * `model.safetensors.index.json` lists in its `weight_map` (every mapped tensor must be in its shard
 * and every shard tensor must be mapped).
 */
export async function readCheckpointFolder(dir: string): Promise<CheckpointTensors> {
  const listing = await checkpointFiles(dir);
  const tensors: TensorMap = new Map();
  const dtypes = new Map<string, SafetensorsDtype>();
  for (const path of listing.files) {
    const parsed = await readSafetensors(path);
    for (const [name, tensor] of parsed.tensors) {
      if (listing.weightMap !== undefined && listing.weightMap.get(name) !== basename(path)) {
        throw new SafetensorsError(path, `tensor "${name}" is not mapped to this shard in ${INDEX_FILE}`);
      }
      if (tensors.has(name)) throw new SafetensorsError(path, `tensor "${name}" appears in two shards`);
      tensors.set(name, tensor);
      dtypes.set(name, parsed.dtypes.get(name) ?? "F32");
    }
  }
  for (const name of listing.weightMap?.keys() ?? []) {
    if (!tensors.has(name)) {
      throw new SafetensorsError(join(dir, INDEX_FILE), `tensor "${name}" is missing from its shard`);
    }
  }
  return { ...listing, tensors, dtypes };
}

/**
 * Writes an HF checkpoint: one `model.safetensors`, or when `maxShardBytes` is given, shards named
 * `model-0000i-of-0000n.safetensors` with the index file, as transformers' `save_pretrained` does.
 */
export async function writeCheckpointFolder(
  dir: string,
  tensors: TensorMap,
  options: SerializeOptions & { readonly maxShardBytes?: number } = {},
): Promise<readonly string[]> {
  const width = BYTES_PER_ELEMENT[options.dtype ?? "F32"];
  if (options.maxShardBytes === undefined) {
    await writeSafetensors(join(dir, SINGLE_FILE), tensors, {
      ...options,
      metadata: { format: "pt", ...options.metadata },
    });
    return [join(dir, SINGLE_FILE)];
  }
  const groups: [string, NamedTensor][][] = [[]];
  let groupBytes = 0;
  let totalBytes = 0;
  for (const entry of tensors) {
    const size = entry[1].data.length * width;
    const current = groups[groups.length - 1] ?? [];
    if (current.length > 0 && groupBytes + size > options.maxShardBytes) {
      groups.push([entry]);
      groupBytes = size;
    } else {
      current.push(entry);
      groupBytes += size;
    }
    totalBytes += size;
  }
  const pad = (n: number): string => String(n).padStart(5, "0");
  const weightMap: Record<string, string> = {};
  const files: string[] = [];
  for (const [i, group] of groups.entries()) {
    const shard = `model-${pad(i + 1)}-of-${pad(groups.length)}.safetensors`;
    for (const [name] of group) weightMap[name] = shard;
    await writeSafetensors(join(dir, shard), group, {
      ...options,
      metadata: { format: "pt", ...options.metadata },
    });
    files.push(join(dir, shard));
  }
  const index = { metadata: { total_size: totalBytes }, weight_map: weightMap };
  await writeFile(join(dir, INDEX_FILE), JSON.stringify(index, null, 2) + "\n");
  return files;
}
