// he mode's t-of-n decryption at the coordinator (docs/he-threshold.md, Protocol 5): t online key holders are
// asked for decryption shares of a round's aggregate; each checks the aggregate against the accepted uploads
// first. Fewer than t answering is a refusal (the try is retried), never a wrong aggregate.
import { decodeDecryptionShare } from "../../crypto/ckks/decryption-share-wire.ts";
import { aggregateDigest, secondPolynomials } from "../../crypto/ckks/threshold-decryption.ts";
import type { PolyTools } from "../../crypto/ckks/threshold-params.ts";
import { decodeEncryptedVector } from "../../crypto/ckks/wire.ts";
import { thresholdVectorExpectation } from "../../crypto/ckks/threshold-site.ts";
import { FederationError } from "../../proto/errors.ts";
import { blobHeader, type KeyBlob } from "../../proto/key-blobs.ts";
import type { EnvelopeRecipient, HeSettings, PollResponse, RoundRef } from "../../proto/messages.ts";
import type { Peer } from "../../proto/rpc.ts";
import type { ModeHost, Refusal } from "../modes/mode.ts";
import { pickParticipants } from "../round/plan.ts";
import type { SiteId } from "../round/stages.ts";
import type { KeyCeremony } from "./key-ceremony.ts";
import type { SealedShare } from "./durable-state.ts";
import { certifiedPeerOf } from "./records.ts";

/** A decryption's input: the aggregate and the accepted uploads it sums, one per site. */
export interface DecryptionInput {
  readonly ref: RoundRef;
  readonly he: HeSettings;
  readonly aggregate: Uint8Array;
  /** The uploads' c1s (threshold-decryption.ts secondPolynomials): all a holder needs of them. */
  readonly uploads: readonly { readonly siteId: SiteId; readonly upload: Uint8Array }[];
  readonly minUploads: number;
}

/** Each answering holder's share, by holder: under reveal "coordinator" `body` is the share itself, `keys` empty. */
export type DecryptionShares = ReadonlyMap<SiteId, SealedShare>;

interface Running extends DecryptionInput {
  /** The aggregate's c1s, what the holders check and the shares name. */
  readonly aggregateC1s: Uint8Array;
  /** T: the answering holders, by holder index. */
  readonly answering: ReadonlyMap<SiteId, number>;
  readonly recipients: readonly EnvelopeRecipient[];
  readonly deadlineAt: number;
  readonly answers: Map<SiteId, SealedShare>;
}

const sameRef = (a: RoundRef | null, b: RoundRef): boolean =>
  a !== null && a.round === b.round && a.attempt === b.attempt;

export class HeDecryptions {
  private running: Running | undefined;

  constructor(
    private readonly host: ModeHost,
    private readonly tools: PolyTools,
    private readonly ceremony: KeyCeremony,
  ) {}

  /**
   * Asks t online key holders for their shares and waits for all of them (deadlines.decryptionMs). A
   * refusal when fewer than t holders are online or answer in time: the round runner retries the try.
   */
  async run(input: DecryptionInput): Promise<DecryptionShares | Refusal> {
    const key = this.ceremony.collectiveKey();
    const online = new Set(this.host.onlineSites());
    const available = key.holders.filter((h) => online.has(h));
    const picked = pickParticipants(available, 0, key.threshold, this.host.rng);
    if (picked === undefined)
      return {
        refused: `too-few-sites: ${available.length} key holders online, ${key.threshold} needed to decrypt`,
      };
    const answering = new Map(picked.map((h) => [h, key.holders.indexOf(h) + 1]));
    const recipients =
      key.reveal === "sites"
        ? this.host.knownSites().flatMap((siteId) => {
            const record = this.host.record(siteId);
            return record === undefined ? [] : [certifiedPeerOf(record)];
          })
        : [];
    const running: Running = {
      ...input,
      aggregateC1s: secondPolynomials(this.tools, input.aggregate),
      answering,
      recipients,
      deadlineAt: Date.now() + this.host.config.deadlines.decryptionMs,
      answers: new Map(),
    };
    this.running = running;
    this.host.logger.info(
      { round: input.ref.round, attempt: input.ref.attempt, holders: [...answering.keys()] },
      "asking key holders for decryption shares",
    );
    this.host.notify();
    try {
      // A holder revoked or dropped before it answered ends the wait at once: the try is retried without it.
      const left = (): SiteId | undefined =>
        [...answering.keys()].find((h) => !running.answers.has(h) && this.host.isExcluded(h));
      const done = await this.host.waitFor(
        () => (running.answers.size === answering.size || left() !== undefined ? true : undefined),
        this.host.config.deadlines.decryptionMs,
      );
      const gone = left();
      if (gone !== undefined)
        return {
          refused: `too-few-sites: key holder ${gone} left the round before it answered the decryption`,
        };
      if (done !== true)
        return {
          refused: `too-few-sites: ${running.answers.size} of the ${key.threshold} key holders asked answered the decryption`,
        };
      return running.answers;
    } finally {
      this.running = undefined;
    }
  }

  /** The decryption step `site` owes now, handed again until answered. */
  step(site: SiteId): PollResponse | undefined {
    const running = this.running;
    if (running === undefined || !running.answering.has(site) || running.answers.has(site)) return undefined;
    if (Date.now() > running.deadlineAt) return undefined;
    return {
      step: "decrypt",
      decrypt: {
        ref: running.ref,
        he: running.he,
        participants: [...running.answering.values()].sort((a, b) => a - b),
        recipients: [...running.recipients],
        minUploads: running.minUploads,
        deadlineMs: Math.max(1, running.deadlineAt - Date.now()),
      },
    };
  }

  /** FetchKeys "decryption-input": the c1s of the aggregate and of the accepted uploads, for the holders asked only. */
  input(peer: Peer, ref: RoundRef | null): KeyBlob[] {
    const running = this.running;
    if (
      running === undefined ||
      !running.answering.has(peer.name) ||
      ref === null ||
      !sameRef(ref, running.ref)
    )
      throw new FederationError("not_found", "no decryption of this round is asked of this site");
    const keyId = running.he.keyId;
    return [
      { header: blobHeader(keyId, "aggregate", running.aggregateC1s, { ref }), bytes: running.aggregateC1s },
      ...running.uploads.map(({ siteId, upload }) => ({
        header: blobHeader(keyId, "upload", upload, { ref, recipient: siteId }),
        bytes: upload,
      })),
    ];
  }

  /**
   * A holder's answer: reveal "coordinator", one share, checked against the aggregate, the holder's index and
   * the answering set; reveal "sites", the share sealed once and its key sealed to each recipient (opaque
   * here). Otherwise refused, unchanged.
   */
  accept(peer: Peer, blobs: readonly KeyBlob[]): void {
    const running = this.running;
    const x = running?.answering.get(peer.name);
    if (running === undefined || x === undefined || Date.now() > running.deadlineAt)
      throw new FederationError("failed_precondition", "no decryption is asked of this site");
    if (running.answers.has(peer.name))
      throw new FederationError("failed_precondition", "this site already answered the decryption");
    if (blobs.some((b) => !sameRef(b.header.ref, running.ref)))
      throw new FederationError("invalid_argument", "expected decryption shares of the running decryption");
    const [share, ...keyBlobs] = blobs;
    if (share?.header.kind !== "decryption-share" || share.header.recipient !== "")
      throw new FederationError("invalid_argument", "a decryption answer starts with the unaddressed share");
    const keys = new Map<SiteId, Uint8Array>();
    for (const { header, bytes } of keyBlobs)
      if (header.kind === "share-key" && header.recipient !== "") keys.set(header.recipient, bytes);
    if (running.recipients.length === 0) {
      if (blobs.length !== 1)
        throw new FederationError("invalid_argument", "reveal coordinator: exactly one unsealed share");
      const { length } = decodeEncryptedVector(
        running.aggregate,
        thresholdVectorExpectation(this.tools),
      ).header;
      const decoded = decodeDecryptionShare(this.tools, share.bytes, {
        length,
        aggregateDigest: aggregateDigest(running.aggregateC1s),
      });
      const expected = [...running.answering.values()].sort((a, b) => a - b);
      if (decoded.x !== x || decoded.participants.join() !== expected.join())
        throw new FederationError("invalid_argument", "the share names another holder or answering set");
    } else if (
      keyBlobs.length !== running.recipients.length ||
      keys.size !== keyBlobs.length ||
      !running.recipients.every((r) => keys.has(r.siteId))
    )
      throw new FederationError(
        "invalid_argument",
        "reveal sites: the sealed share, and its key sealed to each recipient",
      );
    running.answers.set(peer.name, { body: share.bytes, keys });
    this.host.notify();
  }
}
