// A site's AdamW moments between rounds, in its state folder: a trainer built for each round continues from them.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { writeFileAtomic } from "../../durable/atomic-file.ts";
import type { AdamWState } from "../training/adamw.ts";

/** Where a trainer built for each round finds the moments the last one left (EngineTrainerOptions.optimizerStore). */
export interface OptimizerStore {
  load(): AdamWState | undefined;
  save(state: AdamWState): void;
}

const FORMAT = 1;

/**
 * The moments in one file, written atomically (durable/atomic-file.ts): little-endian uint32 format,
 * steps, variable count and each variable's length, then every m and every v as float32, exact.
 */
export class OptimizerFile implements OptimizerStore {
  constructor(readonly path: string) {}

  load(): AdamWState | undefined {
    if (!existsSync(this.path)) return undefined;
    const bytes = readFileSync(this.path);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const word = (i: number): number => view.getUint32(4 * i, true);
    if (bytes.byteLength < 12 || word(0) !== FORMAT) throw new Error(`${this.path}: not an optimizer state`);
    const count = word(2);
    const lengths = Array.from({ length: count }, (_, i) => word(3 + i));
    const floats = lengths.reduce((a, b) => a + b, 0);
    if (bytes.byteLength !== 4 * (3 + count + 2 * floats)) throw new Error(`${this.path}: truncated`);
    let at = 4 * (3 + count);
    const read = (length: number): Float32Array => {
      const out = new Float32Array(length);
      for (let i = 0; i < length; i++, at += 4) out[i] = view.getFloat32(at, true);
      return out;
    };
    const m = lengths.map(read);
    const v = lengths.map(read);
    return { steps: word(1), m, v };
  }

  save(state: AdamWState): void {
    const moments = [...state.m, ...state.v];
    const floats = moments.reduce((sum, a) => sum + a.length, 0);
    const view = new DataView(new ArrayBuffer(4 * (3 + state.m.length + floats)));
    const header = [FORMAT, state.steps, state.m.length, ...state.m.map((a) => a.length)];
    header.forEach((value, i) => view.setUint32(4 * i, value, true));
    let at = 4 * header.length;
    for (const values of moments)
      for (let i = 0; i < values.length; i++, at += 4) view.setFloat32(at, values[i] ?? 0, true);
    writeFileAtomic(this.path, new Uint8Array(view.buffer));
  }

  /** Forgets the moments: the next trainer starts a fresh AdamW. */
  clear(): void {
    rmSync(this.path, { force: true });
  }
}
