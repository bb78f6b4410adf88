// FetchAdapter: the global adapter of a version, streamed in chunks, as the privacy mode keeps it.
import { chunkBytes } from "../../proto/chunks.ts";
import { FLOAT_CHUNK_ELEMENTS, MAX_CHUNK_BYTES } from "../../proto/limits.ts";
import type { DataChunk } from "../../proto/messages.ts";
import type { HandlerContext, Peer } from "../../proto/rpc.ts";
import type { RoundContext } from "./round-context.ts";

export async function* fetchAdapter(
  round: RoundContext,
  peer: Peer,
  version: number,
  ctx: HandlerContext,
): AsyncGenerator<DataChunk> {
  round.checkStopped();
  round.sites.seen(peer);
  const { bytes, unit } = await round.driver.adapterDownload(version);
  // Plain adapters travel in whole float32 elements; ciphertexts in bytes.
  const chunkLength = unit === 4 ? FLOAT_CHUNK_ELEMENTS * 4 : MAX_CHUNK_BYTES;
  yield* round.countedOut(chunkBytes(bytes, chunkLength, unit), peer, ctx);
}
