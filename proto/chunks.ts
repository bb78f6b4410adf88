// Tensors as DataChunk streams: splitting on send, exact reassembly on receive.
import { FederationError } from "./errors.ts";
import type { DataChunk } from "./messages.ts";

/**
 * Collects consecutive chunks into one buffer of exactly `totalBytes`. Offsets count `unitBytes`-sized
 * units (4 for float32/uint32 vectors, 1 for encrypted bytes) and must follow each other without gap or
 * overlap; anything else, or a stream that ends early or runs long, is INVALID_ARGUMENT.
 */
export async function collectChunks(
  chunks: AsyncIterator<DataChunk | undefined>,
  totalBytes: number,
  unitBytes: 1 | 4,
): Promise<Uint8Array> {
  const buffer = new Uint8Array(totalBytes);
  let filled = 0;
  for (;;) {
    const next = await chunks.next();
    if (next.done === true) break;
    const chunk = next.value;
    if (chunk === undefined) throw new FederationError("invalid_argument", "expected a data chunk");
    if (chunk.data.length % unitBytes !== 0) {
      throw new FederationError("invalid_argument", `chunk length must be a multiple of ${unitBytes} bytes`);
    }
    if (chunk.offset * unitBytes !== filled) {
      throw new FederationError(
        "invalid_argument",
        `chunk offset ${chunk.offset} does not follow the previous chunk`,
      );
    }
    if (filled + chunk.data.length > totalBytes) {
      throw new FederationError("invalid_argument", "chunks run past the announced length");
    }
    buffer.set(chunk.data, filled);
    filled += chunk.data.length;
  }
  if (filled !== totalBytes) {
    throw new FederationError("invalid_argument", `stream ended after ${filled} of ${totalBytes} bytes`);
  }
  return buffer;
}

/** Little-endian float32 view of collected bytes (every supported platform is little-endian). */
export function asFloat32(bytes: Uint8Array): Float32Array {
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

export function asUint32(bytes: Uint8Array): Uint32Array {
  return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

/** Splits a byte buffer into DataChunks of at most `maxBytes`, offsets in `unitBytes` units. */
export function* chunkBytes(bytes: Uint8Array, maxBytes: number, unitBytes: 1 | 4): Generator<DataChunk> {
  const step = maxBytes - (maxBytes % unitBytes);
  for (let start = 0; start < bytes.length; start += step) {
    yield { offset: start / unitBytes, data: bytes.subarray(start, Math.min(bytes.length, start + step)) };
  }
}
