// The sites the coordinator knows: joined with a certificate and bound keys, and when each was last seen.
import { joinBindingPayload, verifySignature } from "../../crypto/keys.ts";
import { PkiError } from "../../crypto/pki/identity.ts";
import { verifySiteKeySignature } from "../../crypto/pki/key-binding.ts";
import { FederationError } from "../../proto/errors.ts";
import type { JoinRequest, LedgerReport } from "../../proto/messages.ts";
import type { Peer } from "../../proto/rpc.ts";
import type { SiteId } from "../round/stages.ts";
import type { DurableState } from "./durable-state.ts";
import type { SiteRecord } from "./records.ts";

interface Site {
  readonly record: SiteRecord;
  lastSeen: number;
  /** The privacy ledger as the site last reported it (stored), undefined until this process hears one. */
  ledger?: LedgerReport;
}

/** Refreshes a site's last_seen in the store at most this often (it is for admins, not for every poll). */
const TOUCH_EVERY_MS = 30_000;

/**
 * The certificate a site relays to its peers must be the one this connection presented (TLS checked it
 * against the CA and the revocation list), and its key must have signed both public keys: peers verify
 * the same binding (crypto/pki/key-binding.ts), so a bad one is refused here, at Join, not in a round.
 */
function checkCertifiedKeys(peer: Peer, request: JoinRequest): void {
  let fingerprint: string;
  try {
    fingerprint = verifySiteKeySignature(
      {
        certificate: request.certificate,
        identityKey: request.identityKey,
        envelopeKey: request.envelopePublicKey,
        signature: request.certificateKeySignature,
      },
      peer.name,
    );
  } catch (error) {
    if (error instanceof PkiError)
      throw new FederationError("invalid_argument", `certificate: ${error.message}`);
    throw error;
  }
  if (fingerprint !== peer.fingerprint) {
    throw new FederationError("invalid_argument", "certificate is not the one this connection presented");
  }
}

/** A site came online (joined, or was seen again) or went quiet for longer than the online window. */
export type PresenceListener = (siteId: SiteId, online: boolean) => void;

export class SiteRegistry {
  private readonly sites = new Map<SiteId, Site>();
  /** Sites online at the last look, to report arrivals and departures once each. */
  private readonly present = new Set<SiteId>();

  constructor(
    private readonly store: DurableState,
    /** A site that has not polled for this long is not online. */
    private readonly onlineWindowMs: number,
    private readonly onPresence: PresenceListener = () => undefined,
  ) {
    for (const record of store.sites()) this.sites.set(record.siteId, { record, lastSeen: 0 });
  }

  get size(): number {
    return this.sites.size;
  }

  record(site: SiteId): SiteRecord | undefined {
    return this.sites.get(site)?.record;
  }

  /** When this process last saw the site (the store's last_seen is refreshed less often); undefined if not yet. */
  lastSeenAt(siteId: SiteId): string | undefined {
    const lastSeen = this.sites.get(siteId)?.lastSeen ?? 0;
    return lastSeen === 0 ? undefined : new Date(lastSeen).toISOString();
  }

  ids(): SiteId[] {
    return [...this.sites.keys()];
  }

  /** Sites seen within the online window; those that went quiet since the last look are reported gone. */
  online(): SiteId[] {
    const now = Date.now();
    const online = [...this.sites.values()]
      .filter((site) => now - site.lastSeen <= this.onlineWindowMs)
      .map((site) => site.record.siteId)
      .sort();
    for (const siteId of this.present) {
      if (online.includes(siteId)) continue;
      this.present.delete(siteId);
      this.onPresence(siteId, false);
    }
    return online;
  }

  /**
   * Checks the Join binding (the identity and envelope keys signed under this certificate) and records a
   * new or re-keyed site; returns whether the site is new to the federation (or re-keyed).
   */
  join(peer: Peer, request: JoinRequest): boolean {
    const payload = joinBindingPayload(peer.fingerprint, request.identityKey, request.envelopePublicKey);
    if (!verifySignature(payload, request.keyBindingSignature, request.identityKey)) {
      throw new FederationError("invalid_argument", "keyBindingSignature does not verify");
    }
    checkCertifiedKeys(peer, request);
    const existing = this.sites.get(peer.name);
    const sameKeys =
      existing !== undefined &&
      Buffer.compare(existing.record.identityKey, request.identityKey) === 0 &&
      Buffer.compare(existing.record.envelopeKey, request.envelopePublicKey) === 0;
    if (existing !== undefined && existing.record.fingerprint === peer.fingerprint && !sameKeys) {
      // One certificate, one identity key: a different key needs a new certificate.
      throw new FederationError("permission_denied", "this certificate is bound to another identity key");
    }
    if (existing !== undefined && sameKeys && existing.record.fingerprint === peer.fingerprint) {
      existing.lastSeen = Date.now();
      this.arrived(peer.name);
      return false;
    }
    const record: SiteRecord = {
      siteId: peer.name,
      fingerprint: peer.fingerprint,
      identityKey: new Uint8Array(request.identityKey),
      envelopeKey: new Uint8Array(request.envelopePublicKey),
      certificate: new Uint8Array(request.certificate),
      certificateKeySignature: new Uint8Array(request.certificateKeySignature),
      joinedAt: new Date().toISOString(),
    };
    this.store.saveSite(record);
    this.sites.set(peer.name, { record, lastSeen: Date.now() });
    this.arrived(peer.name);
    return true;
  }

  /** The caller is a joined site with the certificate it joined with; unlike seen(), not marked online. */
  known(peer: Peer): SiteRecord {
    const site = this.sites.get(peer.name);
    if (site === undefined || site.record.fingerprint !== peer.fingerprint) {
      throw new FederationError("failed_precondition", "join the federation first");
    }
    return site.record;
  }

  /** known(), and marks the site online now. */
  seen(peer: Peer): SiteRecord {
    const record = this.known(peer);
    this.touch(peer.name);
    return record;
  }

  /** Records the privacy ledger a joined site reports with its poll, when it changed (for `fedtune admin sites`). */
  reportLedger(siteId: SiteId, report: LedgerReport | null): void {
    const site = this.sites.get(siteId);
    if (site === undefined || report === null) return;
    const last = site.ledger;
    if (
      last?.epsilonSpent === report.epsilonSpent &&
      last.epsilonBudget === report.epsilonBudget &&
      last.delta === report.delta
    )
      return;
    this.store.saveSiteLedger(siteId, report);
    site.ledger = report;
  }

  /** Marks a site online now (a long poll still waiting counts). */
  touch(siteId: SiteId): void {
    const site = this.sites.get(siteId);
    if (site === undefined) return;
    const now = Date.now();
    if (now - site.lastSeen > TOUCH_EVERY_MS) this.store.touchSite(siteId);
    site.lastSeen = now;
    this.arrived(siteId);
  }

  private arrived(siteId: SiteId): void {
    if (this.present.has(siteId)) return;
    this.present.add(siteId);
    this.onPresence(siteId, true);
  }
}
