// Byte framing of an encrypted vector: a fixed header (parameters fingerprint, length, summands) and one SEAL ciphertext per chunk of N/2 values.
import { CryptoError } from "../errors.ts";
import { equalBytes } from "../keys.ts";
import { FINGERPRINT_BYTES } from "./params.ts";

/** An encrypted vector or key envelope that cannot be used: bad framing, other parameters, wrong length or scale. */
export class CkksFormatError extends CryptoError {
  constructor(message: string) {
    super("malformed", message);
  }
}

/** A value a site may not encrypt: it could overflow a full sum, or is not finite. */
export class CkksRangeError extends CryptoError {
  constructor(message: string) {
    super("out-of-range", message);
  }
}

/** A sum that would hold more vectors than the parameters allow (or none). */
export class CkksCapacityError extends CryptoError {
  constructor(message: string) {
    super("capacity-exceeded", message);
  }
}

/**
 * What an encrypted vector's chunks hold: whole SEAL ciphertexts (uploads, aggregates), or only each
 * ciphertext's second polynomial c1 as N u64 words (what a key holder checks and answers; a decryption share
 * depends on c1 alone, threshold-decryption.ts). The magic tells them apart.
 */
export type VectorForm = "ciphertexts" | "second-polynomials";
const MAGIC: Readonly<Record<VectorForm, readonly number[]>> = {
  ciphertexts: [0x46, 0x54, 0x48, 0x45], // "FTHE"
  "second-polynomials": [0x46, 0x54, 0x43, 0x31], // "FTC1"
};
const VERSION = 1;
// magic 4 | version 1 | reserved 3 | fingerprint 16 | length 4 | summands 4 | chunk count 4
export const HEADER_BYTES = 4 + 1 + 3 + FINGERPRINT_BYTES + 4 + 4 + 4;

export interface EncryptedVectorHeader {
  readonly fingerprint: Uint8Array;
  /** Number of float values the vector holds. */
  readonly length: number;
  /** How many site vectors were added into it (1 for what a site sends). */
  readonly summands: number;
}

export function chunkCount(length: number, slotCount: number): number {
  return Math.ceil(length / slotCount);
}

/** Writes the fixed header of an encrypted vector of `chunkTotal` ciphertexts into out[0, HEADER_BYTES). */
function writeHeader(
  out: Uint8Array,
  header: EncryptedVectorHeader,
  chunkTotal: number,
  form: VectorForm,
): void {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  out.set(MAGIC[form], 0);
  out[4] = VERSION;
  out.set(header.fingerprint, 8);
  const offset = 8 + FINGERPRINT_BYTES;
  view.setUint32(offset, header.length, true);
  view.setUint32(offset + 4, header.summands, true);
  view.setUint32(offset + 8, chunkTotal, true);
}

/**
 * Frames SEAL ciphertext bytes (or, in form "second-polynomials", c1 polynomials) behind the header. A chunk
 * may come in parts (e.g. a SEAL header and data held elsewhere), written back to back: one copy in all.
 */
export function encodeEncryptedVector(
  header: EncryptedVectorHeader,
  chunks: readonly (Uint8Array | readonly Uint8Array[])[],
  form: VectorForm = "ciphertexts",
): Uint8Array {
  const parts = chunks.map((chunk) => (chunk instanceof Uint8Array ? [chunk] : chunk));
  const lengths = parts.map((p) => p.reduce((sum, part) => sum + part.length, 0));
  const total = HEADER_BYTES + lengths.reduce((sum, length) => sum + 4 + length, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  writeHeader(out, header, chunks.length, form);
  let offset = HEADER_BYTES;
  parts.forEach((chunk, c) => {
    view.setUint32(offset, lengths[c] as number, true);
    offset += 4;
    for (const part of chunk) {
      out.set(part, offset);
      offset += part.length;
    }
  });
  return out;
}

export interface DecodedEncryptedVector {
  readonly header: EncryptedVectorHeader;
  /** Views into the input bytes, one per ciphertext. */
  readonly chunks: readonly Uint8Array[];
}

/**
 * Parses and checks the framing against what the reader expects: its own parameters' fingerprint, the
 * vector length, and the chunk count that length implies. Chunk bytes are checked later by SEAL itself.
 */
export function decodeEncryptedVector(
  bytes: Uint8Array,
  expected: {
    readonly fingerprint: Uint8Array;
    readonly slotCount: number;
    readonly length?: number;
    readonly maxChunkBytes: number;
    /** Absent: "ciphertexts". */
    readonly form?: VectorForm;
  },
): DecodedEncryptedVector {
  if (bytes.length < HEADER_BYTES)
    throw new CkksFormatError(`encrypted vector too short: ${bytes.length} bytes`);
  const form = expected.form ?? "ciphertexts";
  if (!MAGIC[form].every((b, i) => bytes[i] === b))
    throw new CkksFormatError(`not an encrypted vector of ${form} (bad magic)`);
  if (bytes[4] !== VERSION) throw new CkksFormatError(`unsupported encrypted-vector version ${bytes[4]}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fingerprint = bytes.subarray(8, 8 + FINGERPRINT_BYTES);
  if (!equalBytes(fingerprint, expected.fingerprint))
    throw new CkksFormatError("encrypted vector was made under other CKKS parameters");
  let offset = 8 + FINGERPRINT_BYTES;
  const length = view.getUint32(offset, true);
  const summands = view.getUint32(offset + 4, true);
  const count = view.getUint32(offset + 8, true);
  offset += 12;
  if (length === 0) throw new CkksFormatError("encrypted vector is empty");
  if (expected.length !== undefined && length !== expected.length)
    throw new CkksFormatError(`encrypted vector has length ${length}, expected ${expected.length}`);
  if (summands === 0) throw new CkksFormatError("encrypted vector claims 0 summands");
  if (count !== chunkCount(length, expected.slotCount))
    throw new CkksFormatError(
      `encrypted vector has ${count} chunks, length ${length} needs ${chunkCount(length, expected.slotCount)}`,
    );
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    if (offset + 4 > bytes.length) throw new CkksFormatError(`encrypted vector truncated in chunk ${i}`);
    const size = view.getUint32(offset, true);
    if (size === 0 || size > expected.maxChunkBytes)
      throw new CkksFormatError(`chunk ${i} has ${size} bytes (limit ${expected.maxChunkBytes})`);
    if (offset + 4 + size > bytes.length)
      throw new CkksFormatError(`encrypted vector truncated in chunk ${i}`);
    chunks.push(bytes.subarray(offset + 4, offset + 4 + size));
    offset += 4 + size;
  }
  if (offset !== bytes.length)
    throw new CkksFormatError(`${bytes.length - offset} trailing bytes after the last chunk`);
  return { header: { fingerprint: new Uint8Array(fingerprint), length, summands }, chunks };
}
