// Modular addition of u64 coefficient arrays in WebAssembly: the coordinator's ciphertext sum at memory speed, which JavaScript's split 32-bit arithmetic cannot reach.
//
// Assembled by hand from the WebAssembly 1.0 binary format (§5.4: i64.load 0x29, i64.store 0x37, i64.add
// 0x7c, i64.sub 0x7d, i64.ge_u 0x5a, select 0x1b), like crypto/prg.ts's SIMD module. Two functions over
// one growable memory:
//   reduced(src, bytes, q) → 1 if every u64 word in [src, src + bytes) is below q, else 0;
//   addmod(dst, src, bytes, q): dst[i] = dst[i] + src[i] − (q if that is ≥ q), for words below q < 2^63.
import { ParameterError } from "../errors.ts";

/** The slice of the WebAssembly JS API used here (the project's lib settings do not declare it). */
interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object) => { readonly exports: unknown };
}
const wasm = (globalThis as unknown as { readonly WebAssembly: WasmApi }).WebAssembly;

const PAGE_BYTES = 65536;

function leb128(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

function sumModule(): object {
  const section = (id: number, body: number[]) => [id, ...leb128(body.length), ...body];
  const vec = (items: number[][]) => [...leb128(items.length), ...items.flat()];
  const name = (s: string) => [s.length, ...Array.from(s, (c) => c.charCodeAt(0))];
  const get = (i: number) => [0x20, i];
  const load64 = [0x29, 0x03, 0x00]; // i64.load align 2^3 offset 0
  const i32 = 0x7f;
  const i64 = 0x7e;
  const loopHead = (counter: number, limit: number) => [
    [0x02, 0x40, 0x03, 0x40], // block, loop
    [...get(counter), ...get(limit), 0x4f, 0x0d, 0x01], // br_if (i >= bytes) out of the block
  ];
  const loopTail = (counter: number) => [
    [...get(counter), 0x41, 0x08, 0x6a, 0x21, counter], // i += 8
    [0x0c, 0x00, 0x0b, 0x0b], // br loop; end loop; end block
  ];
  // reduced: params 0 src, 1 bytes, 2 q; local 3 i.
  const reduced = [
    [0x01, 0x01, i32],
    ...loopHead(3, 1),
    [...get(0), ...get(3), 0x6a, ...load64, ...get(2), 0x5a], // src[i] >= q
    [0x04, 0x40, 0x41, 0x00, 0x0f, 0x0b], // if: return 0
    ...loopTail(3),
    [0x41, 0x01, 0x0b], // return 1
  ].flat();
  // addmod: params 0 dst, 1 src, 2 bytes, 3 q; locals 4 i, 5 s.
  const addmod = [
    [0x02, 0x01, i32, 0x01, i64],
    ...loopHead(4, 2),
    [...get(0), ...get(4), 0x6a], // store address
    [...get(0), ...get(4), 0x6a, ...load64, ...get(1), ...get(4), 0x6a, ...load64, 0x7c, 0x21, 0x05], // s = dst + src
    [...get(5), ...get(3), 0x7d, ...get(5), ...get(5), ...get(3), 0x5a, 0x1b], // s ≥ q ? s − q : s
    [0x37, 0x03, 0x00], // i64.store
    ...loopTail(4),
    [0x0b],
  ].flat();
  const bytes = [
    [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    section(
      1,
      vec([
        [0x60, 0x03, i32, i32, i64, 0x01, i32], // (i32, i32, i64) → i32
        [0x60, 0x04, i32, i32, i32, i64, 0x00], // (i32, i32, i32, i64) → ()
      ]),
    ),
    section(3, vec([[0x00], [0x01]])),
    section(5, vec([[0x00, 0x01]])), // one memory, 1 page, growable
    section(
      7,
      vec([
        [...name("memory"), 0x02, 0x00],
        [...name("reduced"), 0x00, 0x00],
        [...name("addmod"), 0x00, 0x01],
      ]),
    ),
    section(
      10,
      vec([
        [...leb128(reduced.length), ...reduced],
        [...leb128(addmod.length), ...addmod],
      ]),
    ),
  ].flat();
  return new wasm.Module(Uint8Array.from(bytes));
}

const SUM_MODULE = sumModule();

interface SumExports {
  readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  readonly reduced: (src: number, bytes: number, q: bigint) => number;
  readonly addmod: (dst: number, src: number, bytes: number, q: bigint) => void;
}

/** A running sum of `bytes`-long u64 arrays mod q, held in WebAssembly memory with a staging area for the next addend. */
export interface ModularSum {
  /** Where the next addend's bytes go (a view of WebAssembly memory). */
  readonly staging: Uint8Array;
  /** Whether every staged word is below q. */
  stagedIsReduced(): boolean;
  /** sum += staged, mod q. */
  addStaged(): void;
  /** The current sum (a view of WebAssembly memory: copy before the next add). */
  readonly sum: Uint8Array;
}

export function createModularSum(bytes: number, q: bigint): ModularSum {
  if (!Number.isSafeInteger(bytes) || bytes <= 0 || bytes % 8 !== 0)
    throw new ParameterError(`sum of ${bytes} bytes: not a positive multiple of 8`);
  if (q <= 0n || q >= 1n << 62n) throw new ParameterError("modulus must be below 2^62");
  // A fresh instance per sum: its memory is owned by this sum alone.
  const exports = new wasm.Instance(SUM_MODULE).exports as SumExports;
  const needed = Math.ceil((2 * bytes) / PAGE_BYTES);
  exports.memory.grow(needed);
  const memory = exports.memory.buffer;
  return {
    sum: new Uint8Array(memory, 0, bytes),
    staging: new Uint8Array(memory, bytes, bytes),
    stagedIsReduced: () => exports.reduced(bytes, bytes, q) === 1,
    addStaged: () => exports.addmod(0, bytes, bytes, q),
  };
}
