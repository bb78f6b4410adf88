// he mode key streams (PublishKeys, FetchKeys): blobs, each a KeyBlobHeader followed by its chunks; both ends use these.
import type { SiteId } from "../crypto/site-id.ts";
import { chunkBytes, collectChunks } from "./chunks.ts";
import { FederationError } from "./errors.ts";
import { MAX_CHUNK_BYTES } from "./limits.ts";
import type { KeyBlobHeader, KeyBlobKind, KeyPart, RoundRef } from "./messages.ts";

export interface KeyBlob {
  readonly header: KeyBlobHeader;
  readonly bytes: Uint8Array;
}

/** A header for a blob of `bytes`: unsealed, unaddressed and outside a round unless given. */
export function blobHeader(
  keyId: string,
  kind: KeyBlobKind,
  bytes: Uint8Array,
  fields: { readonly recipient?: SiteId | ""; readonly ref?: RoundRef; readonly sealer?: SiteId } = {},
): KeyBlobHeader {
  return {
    keyId,
    kind,
    recipient: fields.recipient ?? "",
    length: bytes.length,
    sealerSiteId: fields.sealer ?? "",
    ref: fields.ref ?? null,
  };
}

/** The parts of one blob: its header, then its bytes in chunks. */
export function* blobParts(blob: KeyBlob): Generator<KeyPart> {
  yield { part: "header", header: blob.header };
  for (const chunk of chunkBytes(blob.bytes, MAX_CHUNK_BYTES, 1)) yield { part: "chunk", chunk };
}

/**
 * Reads a key stream to the end: per blob a header, then exactly its announced bytes. At most `maxBlobs`
 * blobs; a stream that does not start with a header, or a blob whose chunks do not add up, is refused.
 */
export async function readKeyBlobs(
  parts: AsyncIterable<KeyPart>,
  maxBlobs: number,
  signal?: AbortSignal,
): Promise<KeyBlob[]> {
  const iterator = parts[Symbol.asyncIterator]();
  const blobs: KeyBlob[] = [];
  let pending = await iterator.next();
  while (pending.done !== true) {
    const part = pending.value;
    if (part.part !== "header")
      throw new FederationError("invalid_argument", "each blob starts with its header");
    if (blobs.length >= maxBlobs)
      throw new FederationError("invalid_argument", `more than ${maxBlobs} blobs in one key stream`);
    let following: IteratorResult<KeyPart> | undefined;
    const chunks = (async function* () {
      for (;;) {
        const next = await iterator.next();
        if (next.done === true || next.value.part === "header") {
          following = next;
          return;
        }
        yield next.value.chunk;
      }
    })();
    blobs.push({ header: part.header, bytes: await collectChunks(chunks, part.header.length, 1) });
    if (signal?.aborted === true) throw new FederationError("cancelled", "stream cancelled");
    pending = following ?? { done: true, value: undefined };
  }
  return blobs;
}
