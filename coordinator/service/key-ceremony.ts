// he mode's key ceremony at the coordinator: one dealer site seals the consortium CKKS key to every online
// site, and key holders hand it on to sites that join later (crypto/ckks/key-ceremony.ts). The coordinator
// only relays sealed envelopes. Used by coordinator/modes/he.ts alone, so that another key scheme replaces both.
import {
  acceptHandoff,
  deliverHandoffs,
  deliveredHandoffs,
  holdsKey,
  keyHolders,
  planHandoffs,
  type KeyHolders,
} from "../../crypto/ckks/key-ceremony.ts";
import { chunkBytes, collectChunks } from "../../proto/chunks.ts";
import { FederationError } from "../../proto/errors.ts";
import { MAX_CHUNK_BYTES } from "../../proto/limits.ts";
import type { Ack, HeSettings, KeyPart, PollResponse } from "../../proto/messages.ts";
import type { HandlerContext, Peer } from "../../proto/rpc.ts";
import { MAX_EXAMPLES } from "../../strategies/weighted-update.ts";
import type { ModeHost } from "../modes/mode.ts";
import { pickParticipants } from "../round/plan.ts";
import type { SiteId } from "../round/stages.ts";

interface CeremonyState {
  readonly keyId: string;
  readonly dealer: SiteId;
  readonly recipients: readonly SiteId[];
  readonly deadlineAt: number;
  delivered: boolean;
  done: boolean;
}

export class KeyCeremony {
  private ceremony: CeremonyState | undefined;
  /** After the ceremony: who holds the consortium key, and handoffs to sites that joined later. */
  private holders: KeyHolders | undefined;

  constructor(private readonly host: ModeHost) {}

  keyId(): string {
    return `${this.host.config.name}/ckks/1`;
  }

  /** A site that joined after the ceremony is picked only once a handoff has keyed it. */
  eligible(online: readonly SiteId[]): SiteId[] {
    const holders = this.holders;
    return holders === undefined ? [] : online.filter((site) => holdsKey(holders, site));
  }

  /** he mode: one dealer site seals the consortium key to every online site (crypto/ckks/key-ceremony.ts). */
  async ensure(): Promise<void> {
    const { config, store, rng } = this.host;
    const keyId = this.keyId();
    const keyed = this.host.knownSites().filter((site) => store.envelope(keyId, site) !== undefined);
    // The dealer is stored with the envelopes, in one transaction (durable-state.ts saveEnvelopes).
    const dealer = store.ceremonyDealer(keyId);
    if (keyed.length >= config.sitesPerRound.minimum && dealer !== undefined) {
      this.ceremony = { keyId, dealer, recipients: keyed, deadlineAt: 0, delivered: true, done: true };
      this.holders = keyHolders(keyId, keyed);
      return;
    }
    for (let attempt = 1; attempt <= config.maxAttemptsPerRound; attempt++) {
      // Wait for the expected sites (up to joinMs) so that every site that starts together gets a key.
      const wanted = Math.max(config.sitesPerRound.minimum, this.host.sitesToStart ?? 0);
      await this.host.waitFor(
        () => (this.host.onlineSites().length >= wanted ? true : undefined),
        config.deadlines.joinMs,
      );
      const present = this.host.onlineSites();
      const online = present.length >= config.sitesPerRound.minimum ? present : undefined;
      if (online === undefined)
        throw new FederationError("unavailable", "too few sites joined for the key ceremony");
      const dealer = pickParticipants(online, 0, 1, rng)?.[0] as SiteId;
      this.ceremony = {
        keyId,
        dealer,
        recipients: online,
        deadlineAt: Date.now() + config.deadlines.keyCeremonyMs,
        delivered: false,
        done: false,
      };
      this.host.emit({ type: "key_ceremony", keyId, dealer, outcome: "started" });
      this.host.notify();
      const done = await this.host.waitFor(
        () => (this.ceremony?.done === true ? true : undefined),
        config.deadlines.keyCeremonyMs,
      );
      if (done === true) {
        this.holders = keyHolders(keyId, online);
        store.audit("key_ceremony", { keyId, dealer, recipients: online });
        this.host.emit({ type: "key_ceremony", keyId, dealer, outcome: "completed" });
        return;
      }
      this.host.emit({ type: "key_ceremony", keyId, dealer, outcome: "failed" });
    }
    throw new FederationError("unavailable", "the key ceremony failed");
  }

  /** The he settings of a task (or an export) from global version `version`. */
  heSettings(version: number): HeSettings {
    const strategy = this.host.config.strategy;
    const versions = this.host.store.trainedRounds().filter((round) => round <= version);
    const dealer = this.ceremony?.dealer;
    if (dealer === undefined) throw new FederationError("failed_precondition", "no he key ceremony has run");
    return {
      keyId: this.keyId(),
      versions,
      serverLearningRate: "serverLearningRate" in strategy ? strategy.serverLearningRate : 1,
      maxExamples: MAX_EXAMPLES,
      dealerSiteId: dealer,
      dealerEnvelopePublicKey: this.host.record(dealer)?.envelopeKey ?? new Uint8Array(32),
    };
  }

  /** The dealer's ceremony step, or after the ceremony a handoff to make; undefined when none. */
  step(site: SiteId): PollResponse | undefined {
    const ceremony = this.ceremony;
    const record = ceremony === undefined ? undefined : this.host.record(ceremony.dealer);
    if (ceremony === undefined) return undefined;
    const keyCeremony = (): PollResponse => ({
      step: "keyCeremony",
      keyCeremony: {
        dealer: true,
        keyId: ceremony.keyId,
        dealerSiteId: ceremony.dealer,
        dealerEnvelopePublicKey: record?.envelopeKey ?? new Uint8Array(32),
        recipients: ceremony.recipients.map((siteId) => ({
          siteId,
          envelopePublicKey: this.host.record(siteId)?.envelopeKey ?? new Uint8Array(32),
        })),
        deadlineMs: Math.max(1, ceremony.deadlineAt - Date.now()),
      },
    });
    if (ceremony.done) return this.handoffStep(site, ceremony);
    if (site !== ceremony.dealer || ceremony.delivered || Date.now() > ceremony.deadlineAt) {
      return undefined;
    }
    ceremony.delivered = true;
    return keyCeremony();
  }

  /**
   * After the ceremony: plans a handoff for every online site without the key (crypto/ckks/key-ceremony.ts
   * planHandoffs) and hands `site` the handoffs it was asked to make. Only holders that owe the running
   * round nothing are asked: they are the ones polling now.
   */
  private handoffStep(site: SiteId, ceremony: CeremonyState): PollResponse | undefined {
    const before = this.holders;
    if (before === undefined) return undefined;
    const now = Date.now();
    const online = this.host.onlineSites();
    const busy = new Set(this.host.busySites());
    const planned = planHandoffs(before, {
      waiting: online.filter((s) => !holdsKey(before, s)),
      candidates: online.filter((s) => holdsKey(before, s) && !busy.has(s)),
      now,
      deadlineMs: this.host.config.deadlines.keyCeremonyMs,
    });
    const delivery = deliverHandoffs(planned, site, now);
    this.holders = delivery.state;
    // Wake the other pollers only when the plan changed (a handoff may now wait for one of them).
    if (planned !== before) this.host.notify();
    if (delivery.recipients.length === 0) return undefined;
    this.host.logger.info(
      { keyId: ceremony.keyId, holder: site, recipients: delivery.recipients },
      "asking a key holder to hand the consortium key on",
    );
    return {
      step: "keyCeremony",
      keyCeremony: {
        dealer: false,
        keyId: ceremony.keyId,
        dealerSiteId: ceremony.dealer,
        dealerEnvelopePublicKey: this.host.record(ceremony.dealer)?.envelopeKey ?? new Uint8Array(32),
        recipients: delivery.recipients.map((siteId) => ({
          siteId,
          envelopePublicKey: this.host.record(siteId)?.envelopeKey ?? new Uint8Array(32),
        })),
        deadlineMs: Math.max(1, delivery.deadlineAt - now),
      },
    };
  }

  /**
   * The dealer's envelopes of a running ceremony, or after it a key holder's handoff envelopes for the
   * late sites it was asked to key (crypto/ckks/key-ceremony.ts acceptHandoff).
   */
  async publishKeys(peer: Peer, parts: AsyncIterable<KeyPart>, ctx: HandlerContext): Promise<Ack> {
    const ceremony = this.ceremony;
    const dealing =
      ceremony !== undefined && !ceremony.done && ceremony.dealer === peer.name && ceremony.delivered;
    const handoffs =
      ceremony?.done === true && this.holders !== undefined
        ? deliveredHandoffs(this.holders, peer.name, Date.now())
        : [];
    if (ceremony === undefined || (!dealing && handoffs.length === 0)) {
      throw new FederationError(
        "failed_precondition",
        "this site is not the dealer of a running key ceremony, nor asked to hand the key on",
      );
    }
    const expected = dealing ? ceremony.recipients : handoffs;
    const envelopes = await this.readEnvelopes(peer, parts, ceremony.keyId, expected, ctx);
    if (!dealing) return this.completeHandoff(peer, ceremony.keyId, envelopes);
    if (envelopes.size !== ceremony.recipients.length) {
      throw new FederationError("invalid_argument", "one envelope per recipient is required");
    }
    if (Date.now() > ceremony.deadlineAt || this.ceremony !== ceremony) {
      throw new FederationError("failed_precondition", "the key ceremony is over");
    }
    this.host.store.saveEnvelopes(ceremony.keyId, ceremony.dealer, envelopes);
    ceremony.done = true;
    this.host.notify();
    return { note: "envelopes stored" };
  }

  /** Reads a PublishKeys stream: per envelope a header naming an expected recipient, then its chunks. */
  private async readEnvelopes(
    peer: Peer,
    parts: AsyncIterable<KeyPart>,
    ceremonyKeyId: string,
    expected: readonly SiteId[],
    ctx: HandlerContext,
  ): Promise<Map<SiteId, Uint8Array>> {
    const iterator = parts[Symbol.asyncIterator]();
    const envelopes = new Map<SiteId, Uint8Array>();
    let pending = await iterator.next();
    while (pending.done !== true) {
      const part = pending.value;
      if (part.part !== "header")
        throw new FederationError("invalid_argument", "each envelope starts with its header");
      const { keyId, recipient, length, sealerSiteId } = part.header;
      if (keyId !== ceremonyKeyId)
        throw new FederationError("invalid_argument", "envelope for another ceremony");
      if (sealerSiteId !== "" && sealerSiteId !== peer.name)
        throw new FederationError("invalid_argument", "an uploaded envelope's sealer is its uploader");
      if (!expected.includes(recipient) || envelopes.has(recipient)) {
        throw new FederationError("invalid_argument", "envelope for an unexpected or repeated recipient");
      }
      let nextHeader: IteratorResult<KeyPart> | undefined;
      const chunks = (async function* () {
        for (;;) {
          const next = await iterator.next();
          if (next.done === true || next.value.part === "header") {
            nextHeader = next;
            return;
          }
          yield next.value.chunk;
        }
      })();
      envelopes.set(recipient, await collectChunks(chunks, length, 1));
      if (ctx.signal.aborted) throw new FederationError("cancelled", "upload cancelled");
      pending = nextHeader ?? { done: true, value: undefined };
    }
    return envelopes;
  }

  /** Stores a handoff's envelopes (with the audit entry) and makes their recipients key holders. */
  private completeHandoff(peer: Peer, keyId: string, envelopes: ReadonlyMap<SiteId, Uint8Array>): Ack {
    const holders = this.holders;
    if (holders === undefined || holders.keyId !== keyId)
      throw new FederationError("failed_precondition", "no key handoff is running");
    // A refused handoff throws a CryptoError, translated at the gRPC edge (coordinator/transport/edge.ts).
    const next = acceptHandoff(holders, peer.name, [...envelopes.keys()], Date.now());
    this.host.store.saveHandoff(keyId, peer.name, envelopes);
    this.holders = next;
    this.host.logger.info({ keyId, holder: peer.name, recipients: [...envelopes.keys()] }, "key handed on");
    this.host.notify();
    return { note: "envelopes stored" };
  }

  /** A site's own envelope, with its sealer (the dealer, or the holder that keyed it late). */
  async *fetchKeys(peer: Peer, keyId: string): AsyncGenerator<KeyPart> {
    const { store } = this.host;
    const envelope = store.envelope(keyId, peer.name);
    if (envelope === undefined) throw new FederationError("not_found", "no key envelope for this site");
    const sealer = store.envelopeSealer(keyId, peer.name);
    const sealerKey = sealer === undefined ? undefined : this.host.record(sealer)?.envelopeKey;
    if (sealer === undefined || sealerKey === undefined)
      throw new FederationError("internal", "the key envelope's sealer is unknown");
    yield {
      part: "header",
      header: {
        keyId,
        recipient: peer.name,
        length: envelope.length,
        sealerSiteId: sealer,
        sealerEnvelopePublicKey: sealerKey,
      },
    };
    for (const chunk of chunkBytes(envelope, MAX_CHUNK_BYTES, 1)) yield { part: "chunk", chunk };
    await Promise.resolve();
  }
}
