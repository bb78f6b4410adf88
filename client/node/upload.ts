// The site's transfers: an update upload (header, then chunks) and the global adapter download.
import { collectChunks } from "../../proto/chunks.ts";
import type { RoundRef, UpdateHeader, UpdatePart } from "../../proto/messages.ts";
import type { SiteSession } from "./session.ts";

/** DataChunks (offsets in bytes) of consecutive byte pieces. */
export function* offsetChunks(pieces: Iterable<Uint8Array>): Generator<{ offset: number; data: Uint8Array }> {
  let offset = 0;
  for (const data of pieces) {
    yield { offset, data };
    offset += data.length;
  }
}

export function float32Bytes(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/** Joins streamed chunks into one array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export interface UploadHeader {
  readonly ref: RoundRef;
  readonly encoding: UpdateHeader["encoding"];
  readonly length: number;
  readonly numExamples: number;
  readonly trainLoss: number;
}

/** SubmitUpdate: the header, then the chunks as the transport asks for them. */
export async function submitUpdate(
  session: SiteSession,
  upload: UploadHeader,
  chunks: Iterable<{ offset: number; data: Uint8Array }>,
): Promise<void> {
  // Only a plain update says its training loss: a protected one reveals nothing in the clear.
  const header: UpdateHeader = { ...upload, trainLoss: upload.encoding === "plain" ? upload.trainLoss : 0 };
  const parts = (function* (): Generator<UpdatePart> {
    yield { part: "header", header };
    for (const chunk of chunks) yield { part: "chunk", chunk };
  })();
  await session.connection.federation.submitUpdate(parts, session.streamOptions());
}

/** FetchAdapter: the global adapter (or an encrypted aggregate) of `version`, whole. */
export async function fetchAdapterBytes(
  session: SiteSession,
  version: number,
  expectedBytes: number | undefined,
  unit: 1 | 4,
): Promise<Uint8Array> {
  const stream = session.connection.federation.fetchAdapter({ version }, session.streamOptions());
  if (expectedBytes !== undefined) return collectChunks(stream[Symbol.asyncIterator](), expectedBytes, unit);
  const parts: Uint8Array[] = [];
  for await (const chunk of stream) parts.push(chunk.data);
  return concatBytes(parts);
}
