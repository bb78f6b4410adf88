// Mask expansion (the PRG of SecAgg): 32-byte seeds to Z_2^32 masks via the AES-256-CTR keystream of node:crypto.
import { createCipheriv } from "node:crypto";
import { ParameterError } from "./errors.ts";

const PRG_SEED_BYTES = 32;

/** Keystream is produced this many bytes at a time: large enough to amortise the call, small enough to stay in L2. */
const CHUNK_BYTES = 64 * 1024;
const CHUNK_WORDS = CHUNK_BYTES / 4;
const ZERO_IV = new Uint8Array(16);

// Masks are read as little-endian words on every site (WebAssembly is little-endian too); a big-endian host would disagree.
if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) {
  throw new Error("crypto/prg: a little-endian host is required");
}

/** A stateful keystream reader for one seed. The key is used for one mask only, so a zero IV is safe. */
function keystream(seed: Uint8Array): (zeros: Uint8Array) => Uint8Array {
  if (seed.length !== PRG_SEED_BYTES) {
    throw new ParameterError(`prg: seed must be ${PRG_SEED_BYTES} bytes, got ${seed.length}`);
  }
  const cipher = createCipheriv("aes-256-ctr", seed, ZERO_IV);
  // CTR encryption of zeros is the keystream itself.
  return (zeros) => cipher.update(zeros);
}

/** The slice of the WebAssembly JS API used here (the project's lib settings do not declare it). */
interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object) => { readonly exports: unknown };
}
const wasm = (globalThis as unknown as { readonly WebAssembly: WasmApi }).WebAssembly;

/**
 * A WebAssembly module with one 128 KiB memory (a target slice at 0, a keystream slice at
 * 64 KiB) and add(dst, src, bytes) / sub(dst, src, bytes), which run i32x4.add / i32x4.sub
 * over 16-byte lanes: four words per instruction where a JavaScript loop does one, which is
 * what brings masking near the keystream rate (bench/secagg-mask.ts). Assembled by hand from
 * the WebAssembly 2.0 binary format (§5.4.6 and the SIMD opcodes 0xfd 0x00, 0x0b, 0xae, 0xb1).
 */
function laneArithmeticModule(): object {
  const vec = (items: number[][]) => [items.length, ...items.flat()];
  const section = (id: number, body: number[]) => [id, body.length, ...body];
  const name = (s: string) => [s.length, ...Array.from(s, (c) => c.charCodeAt(0))];
  const get = (i: number) => [0x20, i];
  const memarg = [0x04, 0x00]; // align 2^4, offset 0
  // locals: 0 dst, 1 src, 2 bytes, 3 i
  const body = (laneOp: number[]) => {
    const code = [
      [0x01, 0x01, 0x7f], // one extra i32 local (i)
      [0x02, 0x40, 0x03, 0x40], // block, loop
      [...get(3), ...get(2), 0x4f, 0x0d, 0x01], // br_if (i >= bytes) out of the block
      [...get(0), ...get(3), 0x6a], // store address dst + i
      [...get(0), ...get(3), 0x6a, 0xfd, 0x00, ...memarg], // v128.load dst + i
      [...get(1), ...get(3), 0x6a, 0xfd, 0x00, ...memarg], // v128.load src + i
      laneOp,
      [0xfd, 0x0b, ...memarg], // v128.store
      [...get(3), 0x41, 0x10, 0x6a, 0x21, 0x03], // i += 16
      [0x0c, 0x00, 0x0b, 0x0b, 0x0b], // br loop; end loop; end block; end func
    ].flat();
    return [code.length, ...code];
  };
  const bytes = [
    [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    section(1, vec([[0x60, 0x03, 0x7f, 0x7f, 0x7f, 0x00]])), // type (i32, i32, i32) -> ()
    section(3, vec([[0x00], [0x00]])), // two functions of that type
    section(5, vec([[0x00, 0x02]])), // memory, 2 pages
    section(
      7,
      vec([
        [...name("memory"), 0x02, 0x00],
        [...name("add"), 0x00, 0x00],
        [...name("sub"), 0x00, 0x01],
      ]),
    ),
    section(10, [2, ...body([0xfd, 0xae, 0x01]), ...body([0xfd, 0xb1, 0x01])]), // i32x4.add, i32x4.sub
  ].flat();
  return new wasm.Module(Uint8Array.from(bytes));
}

const LANE_MODULE = laneArithmeticModule();
const KEYSTREAM_OFFSET = CHUNK_BYTES;

interface LaneArithmetic {
  readonly memory: { readonly buffer: ArrayBuffer };
  readonly add: (dst: number, src: number, bytes: number) => void;
  readonly sub: (dst: number, src: number, bytes: number) => void;
}

/** One mask to add (+1) or subtract (−1). */
export interface SignedMask {
  readonly seed: Uint8Array;
  readonly sign: 1 | -1;
}

/**
 * target[i] += Σ_m sign_m · PRG(seed_m)[i] mod 2^32. Masks are streamed, never materialised,
 * and applied slice by slice: a 64 KiB slice of the target is copied into WebAssembly memory,
 * every mask's keystream for that slice is added there with SIMD, and the slice is copied
 * back, so the cost per mask is one keystream pass, one memcpy and a quarter-word add.
 */
export function applyMasks(target: Uint32Array, masks: readonly SignedMask[]): void {
  const streams = masks.map((m) => ({ next: keystream(m.seed), sign: m.sign }));
  // A fresh instance per call: its memory is scratch space owned by this call alone.
  const lanes = new wasm.Instance(LANE_MODULE).exports as LaneArithmetic;
  const heap = new Uint8Array(lanes.memory.buffer);
  const heapWords = new Uint32Array(lanes.memory.buffer, 0, CHUNK_WORDS);
  const targetBytes = new Uint8Array(target.buffer, target.byteOffset, target.byteLength);
  const zeros = new Uint8Array(Math.min(CHUNK_BYTES, target.length * 4));
  for (let base = 0; base < target.length; base += CHUNK_WORDS) {
    const words = Math.min(CHUNK_WORDS, target.length - base);
    const input = words === CHUNK_WORDS ? zeros : zeros.subarray(0, words * 4);
    // Lanes past the slice's end (at most 3 words) hold stale bytes and are never copied back.
    const laneBytes = Math.ceil(words / 4) * 16;
    heap.set(targetBytes.subarray(base * 4, (base + words) * 4), 0);
    for (const { next, sign } of streams) {
      heap.set(next(input), KEYSTREAM_OFFSET);
      if (sign === 1) lanes.add(0, KEYSTREAM_OFFSET, laneBytes);
      else lanes.sub(0, KEYSTREAM_OFFSET, laneBytes);
    }
    target.set(heapWords.subarray(0, words), base);
  }
}

/** The mask PRG(seed) of `length` words, materialised (tests and tools; protocol code uses {@link applyMasks}). */
export function expandMask(seed: Uint8Array, length: number): Uint32Array {
  if (!Number.isSafeInteger(length) || length < 0) throw new ParameterError(`prg: bad mask length ${length}`);
  return new Uint32Array(Uint8Array.from(keystream(seed)(new Uint8Array(length * 4))).buffer);
}
