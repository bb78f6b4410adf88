// HKDF-SHA256 (RFC 5869) over node:crypto, with a canonical encoding for the context fields bound into `info`.
import { hkdfSync } from "node:crypto";
import { ParameterError } from "./errors.ts";

/** RFC 5869 §2: HKDF-Extract then HKDF-Expand with SHA-256; at most 255 · 32 bytes. */
export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  if (!Number.isSafeInteger(length) || length < 1 || length > 255 * 32) {
    throw new ParameterError(`hkdf: output length must be in [1, 8160], got ${length}`);
  }
  return new Uint8Array(hkdfSync("sha256", ikm, salt, info, length));
}

/** A field of a bound context: text (UTF-8), a non-negative integer (8 bytes big-endian) or raw bytes. */
export type ContextField = string | number | Uint8Array;

const encoder = new TextEncoder();

/**
 * UTF-8 of `text`: ASCII (site names, labels) byte by byte here, anything else by TextEncoder. A
 * SecAgg+ round hashes its whole roster at every site, and TextEncoder's call into C++ costs more
 * than a short name's bytes.
 */
function utf8(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) return encoder.encode(text);
    bytes[i] = code;
  }
  return bytes;
}

/**
 * Injective encoding of a list of fields: each is tagged with its type and prefixed with its
 * 4-byte length, so no two different lists encode alike. Used for HKDF info and for signed messages.
 */
export function encodeContext(fields: readonly ContextField[]): Uint8Array {
  const parts = fields.map((f): [number, Uint8Array] => {
    if (typeof f === "string") return [1, utf8(f)];
    if (typeof f === "number") {
      if (!Number.isSafeInteger(f) || f < 0)
        throw new ParameterError(`context: integer field must be ≥ 0, got ${f}`);
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigUint64(0, BigInt(f));
      return [2, b];
    }
    return [3, f];
  });
  const out = new Uint8Array(parts.reduce((n, [, b]) => n + 5 + b.length, 0));
  const view = new DataView(out.buffer);
  let pos = 0;
  for (const [tag, bytes] of parts) {
    out[pos] = tag;
    view.setUint32(pos + 1, bytes.length);
    out.set(bytes, pos + 5);
    pos += 5 + bytes.length;
  }
  return out;
}
