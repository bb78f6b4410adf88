// Byte framing of a threshold decryption share: header (fingerprint, holder, participant set, length, aggregate digest) and one polynomial of N u64 words per ciphertext.
import { equalBytes } from "../keys.ts";
import { polyBytes, type Poly } from "./modular.ts";
import type { HolderIndex } from "./threshold-keys.ts";
import type { PolyTools } from "./threshold-params.ts";
import { chunkCount, CkksFormatError } from "./wire.ts";
import { FINGERPRINT_BYTES } from "./params.ts";

const MAGIC = [0x46, 0x54, 0x44, 0x53]; // "FTDS"
// 2: the digest is over the aggregate's c1s (threshold-decryption.ts secondPolynomials); version 1's was over
// the whole aggregate, so a version-1 share is refused by name rather than as "for another aggregate".
const VERSION = 2;
const DIGEST_BYTES = 32;
/** The most holders a share may name (u32 each in the header). */
const MAX_PARTICIPANTS = 4096;

export interface DecryptionShareHeader {
  readonly x: HolderIndex;
  /** The answering set T the Lagrange weight was computed over, ascending. */
  readonly participants: readonly HolderIndex[];
  /** Number of values of the aggregate. */
  readonly length: number;
  readonly aggregateDigest: Uint8Array;
}

export interface DecodedDecryptionShare extends DecryptionShareHeader {
  readonly polys: readonly Poly[];
}

// magic 4 | version 1 | reserved 3 | fingerprint 16 | x 4 | participant count 4 | participants 4·k | length 4 | digest 32
const headerBytes = (participants: number) => 8 + FINGERPRINT_BYTES + 8 + 4 * participants + 4 + DIGEST_BYTES;

export function encodeDecryptionShare(
  tools: PolyTools,
  header: DecryptionShareHeader,
  polys: readonly Poly[],
): Uint8Array {
  const participants = [...header.participants].sort((a, b) => a - b);
  const offset0 = headerBytes(participants.length);
  const out = new Uint8Array(offset0 + polys.length * tools.degree * 8);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[4] = VERSION;
  out.set(tools.fingerprint, 8);
  let offset = 8 + FINGERPRINT_BYTES;
  view.setUint32(offset, header.x, true);
  view.setUint32(offset + 4, participants.length, true);
  offset += 8;
  for (const x of participants) {
    view.setUint32(offset, x, true);
    offset += 4;
  }
  view.setUint32(offset, header.length, true);
  out.set(header.aggregateDigest, offset + 4);
  offset += 4 + DIGEST_BYTES;
  for (const poly of polys) {
    out.set(polyBytes(poly), offset);
    offset += poly.byteLength;
  }
  return out;
}

/** Parses a share and checks it against the aggregate it should decrypt: parameters, length, digest, reduced coefficients. */
export function decodeDecryptionShare(
  tools: PolyTools,
  bytes: Uint8Array,
  expected: { readonly length: number; readonly aggregateDigest: Uint8Array },
): DecodedDecryptionShare {
  const fixed = headerBytes(0);
  if (bytes.length < fixed) throw new CkksFormatError(`decryption share too short: ${bytes.length} bytes`);
  if (!MAGIC.every((b, i) => bytes[i] === b)) throw new CkksFormatError("not a decryption share (bad magic)");
  if (bytes[4] !== VERSION) throw new CkksFormatError(`unsupported decryption-share version ${bytes[4]}`);
  if (!equalBytes(bytes.subarray(8, 8 + FINGERPRINT_BYTES), tools.fingerprint))
    throw new CkksFormatError("decryption share was made under other CKKS parameters");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 8 + FINGERPRINT_BYTES;
  const x = view.getUint32(offset, true);
  const count = view.getUint32(offset + 4, true);
  if (count === 0 || count > MAX_PARTICIPANTS)
    throw new CkksFormatError(`decryption share names ${count} participants`);
  const chunks = chunkCount(expected.length, tools.degree);
  const size = headerBytes(count) + chunks * tools.degree * 8;
  if (bytes.length !== size)
    throw new CkksFormatError(`decryption share has ${bytes.length} bytes, expected ${size}`);
  offset += 8;
  const participants: number[] = [];
  for (let i = 0; i < count; i++) participants.push(view.getUint32(offset + 4 * i, true));
  offset += 4 * count;
  if (
    participants.some((p, i) => p === 0 || (i > 0 && p <= (participants[i - 1] as number))) ||
    !participants.includes(x)
  )
    throw new CkksFormatError("decryption share's participant set is not ascending, or omits its sender");
  if (view.getUint32(offset, true) !== expected.length)
    throw new CkksFormatError(
      `decryption share is for ${view.getUint32(offset, true)} values, expected ${expected.length}`,
    );
  if (!equalBytes(bytes.subarray(offset + 4, offset + 4 + DIGEST_BYTES), expected.aggregateDigest))
    throw new CkksFormatError("decryption share is for another aggregate");
  offset += 4 + DIGEST_BYTES;
  const polys: Poly[] = [];
  for (let c = 0; c < chunks; c++) {
    const poly = new Uint32Array(Uint8Array.from(bytes.subarray(offset, offset + tools.degree * 8)).buffer);
    if (!tools.modulus.isReduced(poly))
      throw new CkksFormatError(`decryption share chunk ${c}: coefficients not reduced mod q`);
    polys.push(poly);
    offset += tools.degree * 8;
  }
  return {
    x,
    participants,
    length: expected.length,
    aggregateDigest: new Uint8Array(expected.aggregateDigest),
    polys,
  };
}
