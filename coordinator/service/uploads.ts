// SubmitUpdate: one site's (protected) update, staged through the upload gate and handed to the try's mode.
import { collectChunks } from "../../proto/chunks.ts";
import { FederationError } from "../../proto/errors.ts";
import type { Ack, RoundRef, UpdatePart } from "../../proto/messages.ts";
import type { HandlerContext, Peer } from "../../proto/rpc.ts";
import { checkTurn, markAnswered } from "../round/stages.ts";
import type { RoundContext } from "./round-context.ts";
import type { Transfer } from "./transfer-gate.ts";

export function refText(ref: RoundRef): string {
  return `round ${ref.round} try ${ref.attempt}`;
}

/**
 * The slot is taken before the first message is read: a transport reads ahead into its buffers as
 * soon as a stream is consumed (grpc-js: up to 16 messages), so a stream must not be touched while
 * it waits, or every waiting site's whole update would sit in memory. A site holds one upload at a
 * time, and one that sends nothing (no header, or no next chunk) in time is cancelled (transfer-gate.ts).
 */
export async function submitUpdate(
  round: RoundContext,
  peer: Peer,
  parts: AsyncIterable<UpdatePart>,
  ctx: HandlerContext,
): Promise<Ack> {
  round.checkStopped();
  round.sites.seen(peer);
  const transfer = await round.uploads.open(peer.name, ctx.signal);
  try {
    return await receiveUpdate(round, peer, parts[Symbol.asyncIterator](), transfer, ctx);
  } finally {
    transfer.close();
  }
}

async function receiveUpdate(
  round: RoundContext,
  peer: Peer,
  iterator: AsyncIterator<UpdatePart>,
  transfer: Transfer,
  ctx: HandlerContext,
): Promise<Ack> {
  round.checkStopped();
  const { headerTimeoutMs, stallTimeoutMs } = round.uploads.limits;
  const first = await transfer.step(iterator.next(), headerTimeoutMs, "no header arrived", ctx.signal);
  if (first.done === true || first.value.part !== "header") {
    throw new FederationError("invalid_argument", "an update stream starts with its header");
  }
  const header = first.value.header;
  const work = round.attempt?.work;
  const upload = work?.upload;
  if (work === undefined || upload === undefined) {
    // Out of phase: the round machine names the stage it is in.
    checkTurn(round.state, peer.name, header.ref, "collect_updates");
    throw new FederationError("failed_precondition", "no training round is collecting updates");
  }
  checkTurn(round.state, peer.name, header.ref, upload.stage);
  if (header.encoding !== upload.encoding) {
    throw new FederationError(
      "invalid_argument",
      `this round expects a ${upload.encoding} update, got ${header.encoding}`,
    );
  }
  if (upload.length !== undefined && header.length !== upload.length) {
    throw new FederationError(
      "invalid_argument",
      `update must hold exactly ${upload.length} values, announced ${header.length}`,
    );
  }
  const unit = upload.encoding === "ciphertext" ? 1 : 4;
  const chunks = (async function* () {
    for (;;) {
      const next = await transfer.step(iterator.next(), stallTimeoutMs, "no chunk arrived", ctx.signal);
      if (next.done === true) return;
      yield next.value.part === "chunk" ? next.value.chunk : undefined;
    }
  })();
  // A site that trickles its upload must not hold its slot past the stage's deadline.
  const running = round.state.phase === "running" ? round.state : undefined;
  const bytes = await beforeDeadline(
    collectChunks(chunks, header.length * unit, unit),
    (running?.stage.deadlineAt ?? Date.now()) - Date.now(),
  );
  if (ctx.signal.aborted) throw new FederationError("cancelled", "upload cancelled");
  round.emit({ type: "bytes", direction: "in", bytes: bytes.length });
  // The stage may have moved while the bytes arrived: check again, then commit in one synchronous step.
  const state = checkTurn(round.state, peer.name, header.ref, upload.stage);
  if (round.attempt?.work !== work) throw new FederationError("failed_precondition", "the round moved on");
  work.acceptUpload(peer.name, header, bytes);
  round.state = markAnswered(state, peer.name);
  round.notify();
  return { note: `update for ${refText(header.ref)} accepted` };
}

/** Settles with `work`, or rejects with DEADLINE_EXCEEDED after `ms`. */
async function beforeDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new FederationError("deadline_exceeded", "the stage's deadline passed during the upload")),
      Math.max(0, ms),
    );
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}
