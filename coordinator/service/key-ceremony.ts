// he mode's threshold key ceremony at the coordinator (docs/he-threshold.md, Protocol 1–2): the sites present
// publish nonces, then signed public-key shares and Shamir shares sealed to each other; the coordinator sums the
// shares into the collective key and relays the sealed shares, which it cannot open. Used by coordinator/modes/he.ts.
import { randomBytes } from "node:crypto";
import {
  CEREMONY_NONCE_BYTES,
  collectivePublicKey,
  commonSeed,
  parsePolyBytes,
  shareStatement,
  type KeyTranscript,
  type PublicKeyShareEntry,
} from "../../crypto/ckks/collective-key.ts";
import { polyBytes } from "../../crypto/ckks/modular.ts";
import type { PolyTools } from "../../crypto/ckks/threshold-params.ts";
import { ED25519_SIGNATURE_BYTES, verifySignature } from "../../crypto/keys.ts";
import { FederationError } from "../../proto/errors.ts";
import { parseSiteId } from "../../crypto/site-id.ts";
import { blobHeader, type KeyBlob } from "../../proto/key-blobs.ts";
import type { HeReveal, KeyHolder, PollResponse } from "../../proto/messages.ts";
import type { Peer } from "../../proto/rpc.ts";
import type { ModeHost } from "../modes/mode.ts";
import type { SiteId } from "../round/stages.ts";
import { certifiedPeerOf } from "./records.ts";

/** The outcome of a ceremony: what every task names and every site checks. */
export interface CollectiveKey {
  readonly keyId: string;
  readonly threshold: number;
  readonly reveal: HeReveal;
  readonly holders: readonly SiteId[];
  readonly transcript: KeyTranscript;
  readonly publicKey: Uint8Array;
}

interface RunningCeremony {
  readonly keyId: string;
  readonly threshold: number;
  readonly holders: readonly SiteId[];
  stage: "nonce" | "share";
  deadlineAt: number;
  readonly nonces: Map<SiteId, Uint8Array>;
  readonly entries: Map<SiteId, PublicKeyShareEntry>;
  /** By recipient, then sender: the Shamir shares sealed to each holder. */
  readonly keyShares: Map<SiteId, Map<SiteId, Uint8Array>>;
}

interface StoredKey {
  readonly keyId: string;
  readonly threshold: number;
  readonly reveal: HeReveal;
  readonly holders: readonly SiteId[];
  readonly entries: readonly { siteId: string; nonce: string; share: string; signature: string }[];
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

/**
 * Why the federation's stored ceremony (`stored`, as DurableState.thresholdKey() returns it) cannot serve
 * `he` settings, or undefined: the Shamir shares were made for its t, and the sites hold what its reveal gave them.
 */
export function heKeyConflict(
  stored: unknown,
  he: { readonly threshold?: number | undefined; readonly reveal: HeReveal },
): string | undefined {
  const key = stored as StoredKey | undefined;
  if (key === undefined) return undefined;
  if ((he.threshold ?? key.threshold) === key.threshold && he.reveal === key.reveal) return undefined;
  return `the he key ceremony of this federation ran with threshold ${key.threshold} and reveal ${key.reveal}; the config now says ${he.threshold ?? "a majority"} and ${he.reveal}, which its keys cannot serve`;
}
const unhex = (value: string): Uint8Array => new Uint8Array(Buffer.from(value, "hex"));

/** Omitted threshold: a majority of the holders, as secagg's default. */
export function resolveHeThreshold(configured: number | undefined, holders: number): number {
  const threshold = configured ?? Math.floor(holders / 2) + 1;
  if (threshold > holders)
    throw new FederationError(
      "failed_precondition",
      `privacy.he.threshold ${threshold} exceeds the ${holders} key holders present at the ceremony: no aggregate could ever be decrypted`,
    );
  return threshold;
}

export class KeyCeremony {
  private running: RunningCeremony | undefined;
  private key: CollectiveKey | undefined;

  /** Refuses, before anything is resumed, a config whose t or reveal setting the stored ceremony cannot serve. */
  constructor(
    private readonly host: ModeHost,
    private readonly tools: PolyTools,
  ) {
    const conflict = heKeyConflict(host.store.thresholdKey(), host.config.privacy.he);
    if (conflict !== undefined) throw new FederationError("failed_precondition", conflict);
  }

  /** The collective key; throws before the ceremony completed. */
  collectiveKey(): CollectiveKey {
    if (this.key === undefined)
      throw new FederationError("unavailable", "the he key ceremony has not completed");
    return this.key;
  }

  /** The holders with the keys bound at their Join, in ceremony order. */
  keyHolders(holders: readonly SiteId[]): KeyHolder[] {
    return holders.map((siteId) => {
      const record = this.host.record(siteId);
      if (record === undefined) throw new FederationError("internal", `no record of key holder ${siteId}`);
      return certifiedPeerOf(record);
    });
  }

  /** Loads a completed ceremony, or runs one with the sites present (a coordinator killed mid-way restarts it). */
  async ensure(): Promise<void> {
    const { config, store } = this.host;
    const stored = store.thresholdKey() as StoredKey | undefined;
    if (stored !== undefined) {
      this.key = this.keyFrom(stored);
      return;
    }
    for (let attempt = 1; attempt <= config.maxAttemptsPerRound; attempt++) {
      const wanted = Math.max(config.sitesPerRound.minimum, this.host.sitesToStart ?? 0);
      await this.host.waitFor(
        () => (this.host.onlineSites().length >= wanted ? true : undefined),
        config.deadlines.joinMs,
      );
      const holders = this.host.onlineSites().sort();
      if (holders.length < config.sitesPerRound.minimum)
        throw new FederationError("unavailable", "too few sites joined for the key ceremony");
      const threshold = resolveHeThreshold(config.privacy.he.threshold, holders.length);
      const keyId = `${config.name}/ckks-threshold/${hex(randomBytes(8))}`;
      this.running = {
        keyId,
        threshold,
        holders,
        stage: "nonce",
        deadlineAt: Date.now() + config.deadlines.keyCeremonyMs,
        nonces: new Map(),
        entries: new Map(),
        keyShares: new Map(),
      };
      this.host.emit({ type: "key_ceremony", keyId, holders, threshold, outcome: "started" });
      this.host.notify();
      const done = await this.host.waitFor(
        () => (this.key?.keyId === keyId ? true : undefined),
        2 * config.deadlines.keyCeremonyMs,
      );
      this.running = undefined;
      if (done === true) {
        this.host.emit({ type: "key_ceremony", keyId, holders, threshold, outcome: "completed" });
        return;
      }
      this.host.emit({ type: "key_ceremony", keyId, holders, threshold, outcome: "failed" });
    }
    throw new FederationError("unavailable", "the key ceremony failed");
  }

  /** The ceremony step `site` owes now (handed again until answered, a lost Poll response costs nothing). */
  step(site: SiteId): PollResponse | undefined {
    const running = this.running;
    if (running === undefined || !running.holders.includes(site) || Date.now() > running.deadlineAt)
      return undefined;
    const answered = running.stage === "nonce" ? running.nonces.has(site) : running.entries.has(site);
    if (answered) return undefined;
    return {
      step: "keyCeremony",
      keyCeremony: {
        keyId: running.keyId,
        stage: running.stage,
        threshold: running.threshold,
        holders: this.keyHolders(running.holders),
        nonces:
          running.stage === "share" ? running.holders.map((h) => running.nonces.get(h) as Uint8Array) : [],
        deadlineMs: Math.max(1, running.deadlineAt - Date.now()),
      },
    };
  }

  /** A holder's nonce, or its signed public-key share with its sealed Shamir shares; anything else changes nothing. */
  accept(peer: Peer, blobs: readonly KeyBlob[]): void {
    const running = this.running;
    const site = peer.name;
    if (running === undefined || !running.holders.includes(site) || Date.now() > running.deadlineAt)
      throw new FederationError("failed_precondition", "no key ceremony stage is open for this site");
    if (blobs.some((b) => b.header.keyId !== running.keyId))
      throw new FederationError("invalid_argument", "blob for another ceremony");
    if (running.stage === "nonce") this.acceptNonce(running, site, blobs);
    else this.acceptShares(running, site, blobs);
    this.host.notify();
  }

  private acceptNonce(running: RunningCeremony, site: SiteId, blobs: readonly KeyBlob[]): void {
    const [nonce] = blobs;
    if (blobs.length !== 1 || nonce?.header.kind !== "nonce")
      throw new FederationError("invalid_argument", "the nonce stage takes exactly one nonce");
    if (running.nonces.has(site)) throw new FederationError("failed_precondition", "nonce already published");
    if (nonce.bytes.length !== CEREMONY_NONCE_BYTES)
      throw new FederationError("invalid_argument", `a nonce is ${CEREMONY_NONCE_BYTES} bytes`);
    running.nonces.set(site, nonce.bytes);
    if (running.nonces.size === running.holders.length) {
      running.stage = "share";
      running.deadlineAt = Date.now() + this.host.config.deadlines.keyCeremonyMs;
    }
  }

  private acceptShares(running: RunningCeremony, site: SiteId, blobs: readonly KeyBlob[]): void {
    if (running.entries.has(site))
      throw new FederationError("failed_precondition", "share already published");
    const shares = blobs.filter((b) => b.header.kind === "public-key-share");
    const sealed = blobs.filter((b) => b.header.kind === "key-share");
    const [share] = shares;
    const recipients = new Set(sealed.map((b) => b.header.recipient));
    if (
      share === undefined ||
      shares.length !== 1 ||
      sealed.length + 1 !== blobs.length ||
      sealed.length !== running.holders.length ||
      !running.holders.every((h) => recipients.has(h))
    )
      throw new FederationError(
        "invalid_argument",
        "the share stage takes one public-key share and one sealed key share per holder",
      );
    const polyLength = share.bytes.length - ED25519_SIGNATURE_BYTES;
    const entry: PublicKeyShareEntry = {
      siteId: site,
      nonce: running.nonces.get(site) as Uint8Array,
      share: polyBytes(parsePolyBytes(this.tools, share.bytes.subarray(0, polyLength), "public-key share")),
      signature: share.bytes.slice(polyLength),
    };
    // The coordinator checks what every site will check, so one bad share fails here, not at n sites.
    const seed = commonSeed(
      running.keyId,
      running.holders.map((h) => ({ siteId: h, nonce: running.nonces.get(h) as Uint8Array })),
    );
    const identityKey = this.host.record(site)?.identityKey ?? new Uint8Array();
    if (
      !verifySignature(shareStatement(running.keyId, seed, site, entry.share), entry.signature, identityKey)
    )
      throw new FederationError(
        "invalid_argument",
        "the public-key share is not signed by this site's identity key",
      );
    running.entries.set(site, entry);
    // Every holder has exactly one sealed share here (checked above).
    for (const holder of running.holders) {
      const blob = sealed.find((b) => b.header.recipient === holder) as KeyBlob;
      const bySender = running.keyShares.get(holder) ?? new Map<SiteId, Uint8Array>();
      bySender.set(site, blob.bytes);
      running.keyShares.set(holder, bySender);
    }
    if (running.entries.size === running.holders.length) this.complete(running);
  }

  /** Sums the shares into the collective key and stores it with the sealed shares and the audit entry. */
  private complete(running: RunningCeremony): void {
    const transcript: KeyTranscript = {
      ceremonyId: running.keyId,
      entries: running.holders.map((h) => running.entries.get(h) as PublicKeyShareEntry),
    };
    const reveal = this.host.config.privacy.he.reveal;
    const stored: StoredKey = {
      keyId: running.keyId,
      threshold: running.threshold,
      reveal,
      holders: running.holders,
      entries: transcript.entries.map((e) => ({
        siteId: e.siteId,
        nonce: hex(e.nonce),
        share: hex(e.share),
        signature: hex(e.signature),
      })),
    };
    this.host.store.saveThresholdKey(stored, running.keyId, running.keyShares, {
      keyId: running.keyId,
      holders: [...running.holders],
      threshold: running.threshold,
      reveal,
    });
    this.key = this.keyFrom(stored);
    this.host.logger.info(
      { keyId: running.keyId, holders: running.holders.length, threshold: running.threshold, reveal },
      "he key ceremony completed",
    );
  }

  private keyFrom(stored: StoredKey): CollectiveKey {
    const transcript: KeyTranscript = {
      ceremonyId: stored.keyId,
      entries: stored.entries.map((e) => ({
        siteId: e.siteId,
        nonce: unhex(e.nonce),
        share: unhex(e.share),
        signature: unhex(e.signature),
      })),
    };
    return {
      keyId: stored.keyId,
      threshold: stored.threshold,
      reveal: stored.reveal,
      holders: stored.holders,
      transcript,
      publicKey: collectivePublicKey(this.tools, transcript),
    };
  }

  /** FetchKeys "key-material": the signed transcript, the collective key, and the Shamir shares sealed to `site`. */
  keyMaterial(site: SiteId): KeyBlob[] {
    const key = this.collectiveKey();
    const { keyId } = key;
    const blobs: KeyBlob[] = key.transcript.entries.map((e) => {
      const bytes = Buffer.concat([e.nonce, e.share, e.signature]);
      return {
        header: blobHeader(keyId, "public-key-share", bytes, { recipient: parseSiteId(e.siteId) }),
        bytes,
      };
    });
    blobs.push({ header: blobHeader(keyId, "public-key", key.publicKey), bytes: key.publicKey });
    for (const sender of key.holders) {
      const sealed = this.host.store.keyShare(keyId, site, sender);
      if (sealed === undefined) continue;
      blobs.push({
        header: blobHeader(keyId, "key-share", sealed, { recipient: site, sealer: sender }),
        bytes: sealed,
      });
    }
    return blobs;
  }
}
