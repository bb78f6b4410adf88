// Reading and writing SEAL 4.1's serialized Ciphertext, PublicKey, Plaintext and SecretKey (uncompressed), so polynomials can be computed on here and handed back to SEAL.
//
// Layout (SEAL 4.1, native/src/seal/serialization.h, ciphertext.cpp, plaintext.cpp, dynarray.h): a 16-byte
// SEALHeader {magic u16 = 0xA15E, header size u8 = 16, version major u8, version minor u8, compression
// u8, reserved u16, total size u64}, then the object's members. A Ciphertext (and a PublicKey, which is
// one) is parms_id (4 × u64), is_ntt_form u8, size u64, poly_modulus_degree u64, coeff_modulus_size u64,
// scale f64, correction_factor u64 and a nested DynArray (its own SEALHeader, count u64, count × u64).
// A Plaintext (and a SecretKey) is parms_id, coeff_count u64, scale f64 and the DynArray. All little-endian.
// Anything else — another version, compression, other sizes — is refused with a CkksFormatError: SEAL
// can re-save a compressed object with compr_mode none, and that is what fedtune itself writes.
import { polyBytes, type Poly } from "./modular.ts";
import { CkksFormatError } from "./wire.ts";

const SEAL_MAGIC = 0xa15e;
const SEAL_HEADER_BYTES = 16;
const SEAL_VERSION = [4, 1] as const;
const COMPRESSION_NONE = 0;
export const PARMS_ID_BYTES = 32;
/** Ciphertext members before the DynArray: parms_id, is_ntt_form, size, degree, modulus count, scale, correction factor. */
const CIPHERTEXT_MEMBERS_BYTES = PARMS_ID_BYTES + 1 + 8 * 5;
/** Plaintext members before the DynArray: parms_id, coeff_count, scale. */
const PLAINTEXT_MEMBERS_BYTES = PARMS_ID_BYTES + 8 + 8;
const DYNARRAY_PREFIX_BYTES = SEAL_HEADER_BYTES + 8;

/** What a ciphertext or public key must be to be ours: one prime, NTT form, two polynomials of degree N. */
export interface SealPolyExpectation {
  readonly degree: number;
  /** The context's parms_id (its first and key level are the same with one prime). */
  readonly parmsId: Uint8Array;
}

export interface SealCiphertextData {
  /** Two polynomials (c0, c1), copied out of the input. */
  readonly polys: readonly [Poly, Poly];
  readonly scale: number;
}

/** Checks a SEALHeader at `offset` and returns the object's total size. */
function readHeader(view: DataView, offset: number, what: string): number {
  if (view.byteLength < offset + SEAL_HEADER_BYTES)
    throw new CkksFormatError(`${what}: shorter than a SEAL header`);
  if (view.getUint16(offset, true) !== SEAL_MAGIC)
    throw new CkksFormatError(`${what}: not a SEAL object (bad magic)`);
  if (view.getUint8(offset + 2) !== SEAL_HEADER_BYTES)
    throw new CkksFormatError(`${what}: unknown SEAL header size`);
  const major = view.getUint8(offset + 3);
  const minor = view.getUint8(offset + 4);
  if (major !== SEAL_VERSION[0] || minor !== SEAL_VERSION[1])
    throw new CkksFormatError(
      `${what}: SEAL version ${major}.${minor}, only ${SEAL_VERSION.join(".")} is read`,
    );
  const compression = view.getUint8(offset + 5);
  if (compression !== COMPRESSION_NONE)
    throw new CkksFormatError(`${what}: compressed (mode ${compression}); save it with compr_mode none`);
  if (view.getUint16(offset + 6, true) !== 0) throw new CkksFormatError(`${what}: reserved header bytes set`);
  const size = view.getBigUint64(offset + 8, true);
  if (size !== BigInt(view.byteLength - offset))
    throw new CkksFormatError(`${what}: header says ${size} bytes, got ${view.byteLength - offset}`);
  return Number(size);
}

function writeHeader(view: DataView, offset: number, size: number): void {
  view.setUint16(offset, SEAL_MAGIC, true);
  view.setUint8(offset + 2, SEAL_HEADER_BYTES);
  view.setUint8(offset + 3, SEAL_VERSION[0]);
  view.setUint8(offset + 4, SEAL_VERSION[1]);
  view.setUint8(offset + 5, COMPRESSION_NONE);
  view.setUint16(offset + 6, 0, true);
  view.setBigUint64(offset + 8, BigInt(size), true);
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function checkParmsId(bytes: Uint8Array, offset: number, expected: Uint8Array, what: string): void {
  for (let i = 0; i < PARMS_ID_BYTES; i++)
    if (bytes[offset + i] !== expected[i])
      throw new CkksFormatError(`${what}: made under other SEAL parameters`);
}

/** Reads the DynArray at `offset` holding exactly `count` u64 words; returns them as an aligned copy. */
function readWords(bytes: Uint8Array, offset: number, count: number, what: string): Uint32Array {
  const view = viewOf(bytes.subarray(offset));
  readHeader(view, 0, `${what} data`);
  if (view.getBigUint64(SEAL_HEADER_BYTES, true) !== BigInt(count))
    throw new CkksFormatError(
      `${what}: data holds ${view.getBigUint64(SEAL_HEADER_BYTES, true)} words, expected ${count}`,
    );
  const start = offset + DYNARRAY_PREFIX_BYTES;
  // SEAL's data starts at an odd offset; one copy aligns it for Uint32Array access.
  return new Uint32Array(Uint8Array.from(bytes.subarray(start, start + count * 8)).buffer);
}

/** Byte offset of a serialized ciphertext's coefficient data, for readers that add it in place (aggregate-stream.ts). */
export const CIPHERTEXT_DATA_OFFSET = SEAL_HEADER_BYTES + CIPHERTEXT_MEMBERS_BYTES + DYNARRAY_PREFIX_BYTES;

/** Size of a serialized two-polynomial ciphertext of degree N under one prime. */
export function ciphertextBytes(degree: number): number {
  return CIPHERTEXT_DATA_OFFSET + 2 * degree * 8;
}

/**
 * Checks everything but the coefficients of a serialized ciphertext or public key: version, no
 * compression, sizes, parms_id, NTT form, two polynomials, one prime, a CKKS scale ≥ 1.
 */
export function checkCiphertextHeader(
  bytes: Uint8Array,
  expected: SealPolyExpectation,
  what: string,
): number {
  if (bytes.length !== ciphertextBytes(expected.degree))
    throw new CkksFormatError(
      `${what}: ${bytes.length} bytes, a ciphertext here has ${ciphertextBytes(expected.degree)}`,
    );
  const view = viewOf(bytes);
  readHeader(view, 0, what);
  let offset = SEAL_HEADER_BYTES;
  checkParmsId(bytes, offset, expected.parmsId, what);
  offset += PARMS_ID_BYTES;
  if (view.getUint8(offset) !== 1) throw new CkksFormatError(`${what}: not in NTT form`);
  const size = view.getBigUint64(offset + 1, true);
  const degree = view.getBigUint64(offset + 9, true);
  const primes = view.getBigUint64(offset + 17, true);
  const scale = view.getFloat64(offset + 25, true);
  const correction = view.getBigUint64(offset + 33, true);
  if (size !== 2n || degree !== BigInt(expected.degree) || primes !== 1n || correction !== 1n)
    throw new CkksFormatError(
      `${what}: size ${size}, degree ${degree}, ${primes} primes; expected 2, ${expected.degree}, 1`,
    );
  if (!(scale >= 1 && Number.isFinite(scale))) throw new CkksFormatError(`${what}: bad scale ${scale}`);
  return scale;
}

/** Parses a serialized ciphertext or public key into its two polynomials (NTT form). */
export function readCiphertext(
  bytes: Uint8Array,
  expected: SealPolyExpectation,
  what: string,
): SealCiphertextData {
  const scale = checkCiphertextHeader(bytes, expected, what);
  const words = readWords(bytes, SEAL_HEADER_BYTES + CIPHERTEXT_MEMBERS_BYTES, 2 * expected.degree, what);
  const n2 = 2 * expected.degree;
  return { polys: [words.subarray(0, n2), words.subarray(n2, 2 * n2)], scale };
}

/** Serializes two NTT-form polynomials as a SEAL ciphertext (or, at scale 1, a SEAL PublicKey). */
export function writeCiphertext(
  polys: readonly [Poly, Poly],
  parmsId: Uint8Array,
  scale: number,
): Uint8Array {
  const degree = polys[0].length / 2;
  const out = new Uint8Array(ciphertextBytes(degree));
  const view = viewOf(out);
  writeHeader(view, 0, out.length);
  let offset = SEAL_HEADER_BYTES;
  out.set(parmsId, offset);
  offset += PARMS_ID_BYTES;
  view.setUint8(offset, 1);
  view.setBigUint64(offset + 1, 2n, true);
  view.setBigUint64(offset + 9, BigInt(degree), true);
  view.setBigUint64(offset + 17, 1n, true);
  view.setFloat64(offset + 25, scale, true);
  view.setBigUint64(offset + 33, 1n, true);
  offset += CIPHERTEXT_MEMBERS_BYTES - PARMS_ID_BYTES;
  writeHeader(view, offset, DYNARRAY_PREFIX_BYTES + 2 * degree * 8);
  view.setBigUint64(offset + SEAL_HEADER_BYTES, BigInt(2 * degree), true);
  offset += DYNARRAY_PREFIX_BYTES;
  for (const poly of polys) {
    out.set(polyBytes(poly), offset);
    offset += poly.byteLength;
  }
  return out;
}

/** Parses a serialized SEAL SecretKey (a Plaintext in NTT form) into its polynomial. */
export function readSecretKey(bytes: Uint8Array, expected: SealPolyExpectation): Poly {
  const what = "secret key";
  const view = viewOf(bytes);
  readHeader(view, 0, what);
  checkParmsId(bytes, SEAL_HEADER_BYTES, expected.parmsId, what);
  const count = view.getBigUint64(SEAL_HEADER_BYTES + PARMS_ID_BYTES, true);
  if (count !== BigInt(expected.degree))
    throw new CkksFormatError(`${what}: ${count} coefficients, expected ${expected.degree}`);
  const expectedBytes =
    SEAL_HEADER_BYTES + PLAINTEXT_MEMBERS_BYTES + DYNARRAY_PREFIX_BYTES + expected.degree * 8;
  if (bytes.length !== expectedBytes)
    throw new CkksFormatError(`${what}: ${bytes.length} bytes, expected ${expectedBytes}`);
  return readWords(bytes, SEAL_HEADER_BYTES + PLAINTEXT_MEMBERS_BYTES, expected.degree, what);
}
