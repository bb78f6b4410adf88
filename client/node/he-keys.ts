// he mode at a site (threshold CKKS, docs/he-threshold.md): the key ceremony's two stages, the collective key checked
// against the signed transcript, this holder's key share from the Shamir shares sealed to it, and its decryption shares.
import {
  commonSeed,
  createPublicKeyShare,
  generateHolderSecretKey,
  parsePolyBytes,
  secretKeyPoly,
  verifyCollectiveKey,
  type PublicKeyShareEntry,
} from "../../crypto/ckks/collective-key.ts";
import type { CkksContext } from "../../crypto/ckks/context.ts";
import { polyBytes, type Poly } from "../../crypto/ckks/modular.ts";
import {
  openBlob,
  openFromSender,
  sealBlob,
  sealForRecipients,
  type MultiSealed,
  type SealBinding,
} from "../../crypto/ckks/sealed-box.ts";
import { combineDecryptionShares, createDecryptionShare } from "../../crypto/ckks/threshold-decryption.ts";
import { combineReceivedShares, splitSecretKey } from "../../crypto/ckks/threshold-keys.ts";
import {
  createPolyTools,
  THRESHOLD_CKKS_PARAMS,
  type PolyTools,
} from "../../crypto/ckks/threshold-params.ts";
import { CkksFormatError } from "../../crypto/ckks/wire.ts";
import { CEREMONY_NONCE_BYTES } from "../../crypto/ckks/collective-key.ts";
import { ED25519_SIGNATURE_BYTES } from "../../crypto/keys.ts";
import { FederationError } from "../../proto/errors.ts";
import { blobHeader, blobParts, readKeyBlobs, type KeyBlob } from "../../proto/key-blobs.ts";
import { MAX_PARTICIPANTS } from "../../proto/limits.ts";
import type {
  DecryptStep,
  EnvelopeRecipient,
  HeSettings,
  KeyCeremonyStep,
  KeyHolder,
  RoundRef,
} from "../../proto/messages.ts";
import type { CallOptions, FederationStub } from "../../proto/rpc.ts";
import { CEREMONY_REF, type SiteSession } from "./session.ts";

/** The polynomial tools of he mode's parameters over a SEAL context. */
export function heTools(ctx: CkksContext): PolyTools {
  return createPolyTools(ctx, THRESHOLD_CKKS_PARAMS);
}

const keyShareBinding = (
  keyId: string,
  tools: PolyTools,
  senderId: string,
  recipientId: string,
): SealBinding => ({
  label: "ckks-key-share",
  context: keyId,
  fingerprint: tools.fingerprint,
  senderId,
  recipientId,
});

const decryptionShareBinding = (
  keyId: string,
  round: number,
  tools: PolyTools,
  senderId: string,
  recipientId: string,
): SealBinding => ({
  label: "ckks-decryption-share",
  context: `${keyId}/round-${round}`,
  fingerprint: tools.fingerprint,
  senderId,
  recipientId,
});

async function publish(session: SiteSession, blobs: readonly KeyBlob[]): Promise<void> {
  const parts = blobs.flatMap((blob) => [...blobParts(blob)]);
  await session.connection.federation.publishKeys(parts, session.streamOptions());
}

/**
 * Stage "nonce": a fresh 32-byte nonce for the common seed. Stage "share": given every holder's nonce, the
 * signed public-key share −a·s_i + e_i over a(seed) and one Shamir share of s_i per holder, sealed to it.
 * s_i lives only inside this call: every holder (this one too) keeps its share of it sealed at the coordinator.
 */
export async function answerKeyCeremony(session: SiteSession, step: KeyCeremonyStep): Promise<void> {
  const siteId = session.siteId();
  const { keyId } = step;
  if (step.stage === "nonce") {
    const nonce = new Uint8Array(CEREMONY_NONCE_BYTES);
    session.rng.fill(nonce);
    await publish(session, [{ header: blobHeader(keyId, "nonce", nonce), bytes: nonce }]);
    session.logger.info({ keyId }, "published the key ceremony nonce");
    return;
  }
  await session.stage("key_ceremony", CEREMONY_REF);
  // Each holder's envelope key gets a Shamir share of s_i: only keys its own certificate signed.
  const holders = session.certifiedPeers(step.holders);
  const me = holders.findIndex((h) => h.siteId === siteId);
  const ownNonce = step.nonces[me];
  if (me < 0 || ownNonce === undefined || step.nonces.length !== holders.length)
    throw new FederationError(
      "invalid_argument",
      "the ceremony step does not list this site and every nonce",
    );
  const tools = heTools(await session.ckks());
  const seed = commonSeed(
    keyId,
    holders.map((h, i) => ({ siteId: h.siteId, nonce: step.nonces[i] as Uint8Array })),
  );
  const secretKey = secretKeyPoly(tools, generateHolderSecretKey(tools));
  const blobs: KeyBlob[] = [];
  try {
    const entry = createPublicKeyShare(tools, {
      ceremonyId: keyId,
      seed,
      siteId,
      nonce: ownNonce,
      secretKey,
      signingSeed: session.keys.identitySeed,
      rng: session.rng,
    });
    const signed = new Uint8Array([...entry.share, ...entry.signature]);
    blobs.push({ header: blobHeader(keyId, "public-key-share", signed), bytes: signed });
    const shares = splitSecretKey(
      tools,
      secretKey,
      step.threshold,
      holders.map((_, i) => i + 1),
      session.rng,
    );
    for (const [j, holder] of holders.entries()) {
      const share = shares[j]?.share as Poly;
      const sealed = sealBlob(
        keyShareBinding(keyId, tools, siteId, holder.siteId),
        polyBytes(share),
        session.keys.envelopeSecretKey,
        holder.envelopePublicKey,
        session.rng,
      );
      share.fill(0);
      blobs.push({
        header: blobHeader(keyId, "key-share", sealed, { recipient: holder.siteId }),
        bytes: sealed,
      });
    }
  } finally {
    secretKey.fill(0);
  }
  await publish(session, blobs);
  session.logger.info(
    { keyId, holders: holders.length, threshold: step.threshold },
    "published the public-key share",
  );
}

async function fetchBlobs(
  federation: FederationStub,
  options: CallOptions,
  keyId: string,
  kind: "key-material" | "decryption-input" | "round-shares",
  ref: RoundRef | null,
): Promise<KeyBlob[]> {
  return readKeyBlobs(federation.fetchKeys({ keyId, kind, ref }, options), 2 * MAX_PARTICIPANTS + 1);
}

/**
 * The collective public key, checked before this site encrypts under it (crypto/ckks/collective-key.ts
 * verifyCollectiveKey): the transcript lists exactly the task's holders, each share is signed by its holder's
 * identity key as bound at its Join, and the key is the sum of the shares over a(seed). `he.holders` must
 * have passed SiteSession.certifiedPeers: their identity keys are what the shares are checked against.
 */
export async function fetchCollectiveKey(
  federation: FederationStub,
  options: CallOptions,
  tools: PolyTools,
  he: HeSettings,
): Promise<Uint8Array> {
  const blobs = await fetchBlobs(federation, options, he.keyId, "key-material", null);
  const polyLength = tools.degree * 8;
  const entries: PublicKeyShareEntry[] = blobs
    .filter((b) => b.header.kind === "public-key-share")
    .map(({ header, bytes }) => {
      if (bytes.length !== CEREMONY_NONCE_BYTES + polyLength + ED25519_SIGNATURE_BYTES)
        throw new CkksFormatError(`transcript entry of ${header.recipient} has ${bytes.length} bytes`);
      return {
        siteId: header.recipient,
        nonce: bytes.slice(0, CEREMONY_NONCE_BYTES),
        share: bytes.slice(CEREMONY_NONCE_BYTES, CEREMONY_NONCE_BYTES + polyLength),
        signature: bytes.slice(CEREMONY_NONCE_BYTES + polyLength),
      };
    });
  const publicKey = blobs.find((b) => b.header.kind === "public-key")?.bytes;
  if (publicKey === undefined)
    throw new FederationError("not_found", "the coordinator sent no collective key");
  verifyCollectiveKey(tools, {
    transcript: { ceremonyId: he.keyId, entries },
    publicKey,
    holders: he.holders.map((h) => ({ siteId: h.siteId, signingPublicKey: h.identityKey })),
  });
  return publicKey;
}

/** This holder's index and key share F(x) = Σ_i f_i(x): the Shamir shares sealed to it, opened and summed. */
async function fetchKeyShare(
  session: SiteSession,
  tools: PolyTools,
  he: HeSettings,
): Promise<{ readonly x: number; readonly keyShare: Poly }> {
  const siteId = session.siteId();
  const x = he.holders.findIndex((h) => h.siteId === siteId) + 1;
  if (x === 0)
    throw new FederationError("failed_precondition", "this site is not a key holder of the ceremony");
  const blobs = await fetchBlobs(
    session.connection.federation,
    session.streamOptions(),
    he.keyId,
    "key-material",
    null,
  );
  const received: Poly[] = [];
  try {
    for (const holder of he.holders) {
      const blob = blobs.find(
        (b) => b.header.kind === "key-share" && b.header.sealerSiteId === holder.siteId,
      );
      if (blob === undefined) throw new FederationError("not_found", `no key share from ${holder.siteId}`);
      const payload = openBlob(
        keyShareBinding(he.keyId, tools, holder.siteId, siteId),
        blob.bytes,
        holder.envelopePublicKey,
        session.keys.envelopeSecretKey,
      );
      received.push(parsePolyBytes(tools, payload, `key share from ${holder.siteId}`));
      payload.fill(0);
    }
    return { x, keyShare: combineReceivedShares(tools, received) };
  } finally {
    for (const share of received) share.fill(0);
  }
}

/**
 * A decryption share of the round's aggregate, computed only once the aggregate checks out as the sum of at
 * least max(minUploads, 2) distinct single-site uploads (crypto/ckks/threshold-decryption.ts checkAggregate).
 * The coordinator sends the c1 polynomials of the aggregate and the uploads only (a share depends on c1 alone).
 * The share goes to the coordinator (reveal "coordinator") or is sealed to each recipient (reveal "sites").
 */
export async function answerDecryption(session: SiteSession, step: DecryptStep): Promise<void> {
  const { ref } = step;
  await session.stage("decrypt", ref);
  // The holders' keys open the key shares, the recipients' keys get the decryption share: certified ones only.
  const he = { ...step.he, holders: session.certifiedPeers(step.he.holders) };
  const recipients = session.certifiedPeers(step.recipients);
  const tools = heTools(await session.ckks());
  const input = await fetchBlobs(
    session.connection.federation,
    session.streamOptions(),
    he.keyId,
    "decryption-input",
    ref,
  );
  const aggregate = input.find((b) => b.header.kind === "aggregate")?.bytes;
  if (aggregate === undefined)
    throw new FederationError("not_found", "the decryption input has no aggregate");
  const uploads = input
    .filter((b) => b.header.kind === "upload")
    .map((b) => ({ siteId: b.header.recipient, upload: b.bytes }));
  const { x, keyShare } = await fetchKeyShare(session, tools, he);
  const protectedBefore = session.protectTimeMs();
  let share: Uint8Array;
  try {
    share = session.protect(() =>
      createDecryptionShare(tools, {
        request: { aggregate, uploads, participants: step.participants },
        x,
        keyShare,
        threshold: he.threshold,
        minUploads: step.minUploads,
        rng: session.rng,
      }),
    );
  } finally {
    keyShare.fill(0);
  }
  const siteId = session.siteId();
  const blobs: KeyBlob[] =
    recipients.length === 0
      ? [{ header: blobHeader(he.keyId, "decryption-share", share, { ref }), bytes: share }]
      : sealedShareBlobs(
          he.keyId,
          ref,
          recipients,
          session.protect(() =>
            sealForRecipients(
              decryptionShareBinding(he.keyId, ref.round, tools, siteId, ""),
              share,
              session.keys.envelopeSecretKey,
              recipients.map((r) => ({ id: r.siteId, publicKey: r.envelopePublicKey })),
              session.rng,
            ),
          ),
        );
  await publish(session, blobs);
  session.emit({ type: "decryption-share", ref, protectMs: session.protectTimeMs() - protectedBefore });
  session.logger.info({ round: ref.round, attempt: ref.attempt }, "sent a decryption share");
}

/** reveal "sites": the share sealed once ("decryption-share", unaddressed) and its key sealed to each recipient. */
function sealedShareBlobs(
  keyId: string,
  ref: RoundRef,
  recipients: readonly EnvelopeRecipient[],
  sealed: MultiSealed,
): KeyBlob[] {
  const blobs: KeyBlob[] = [
    { header: blobHeader(keyId, "decryption-share", sealed.body, { ref }), bytes: sealed.body },
  ];
  for (const { siteId } of recipients) {
    const bytes = sealed.keys.get(siteId) as Uint8Array;
    blobs.push({ header: blobHeader(keyId, "share-key", bytes, { ref, recipient: siteId }), bytes });
  }
  return blobs;
}

/** reveal "sites": FetchKeys "round-shares", the decryption shares of `round` sealed to this site. */
export function fetchRoundShares(
  federation: FederationStub,
  options: CallOptions,
  keyId: string,
  round: number,
): Promise<KeyBlob[]> {
  return fetchBlobs(federation, options, keyId, "round-shares", { round, attempt: 1 });
}

/**
 * reveal "sites": the plain [Σw·Δ, Σw] of round `round`, from its aggregate and the t decryption shares
 * sealed to this site. Each share opens only with the certified envelope key of the holder it names as its
 * sealer (`holders` must have passed verifyRelayedSiteKeys); a share from anyone else is refused, and one
 * for another aggregate or set of holders is refused by the combination.
 */
export function decryptWithShares(
  tools: PolyTools,
  input: {
    readonly keyId: string;
    readonly round: number;
    readonly threshold: number;
    readonly aggregate: Uint8Array;
    readonly shares: readonly KeyBlob[];
    readonly holders: readonly KeyHolder[];
    readonly siteId: string;
    readonly envelopeSecretKey: Uint8Array;
  },
): Float64Array {
  const bodies = input.shares.filter((b) => b.header.kind === "decryption-share");
  const opened = bodies.map((body) => {
    const sealer = input.holders.find((h) => h.siteId === body.header.sealerSiteId);
    if (sealer === undefined)
      throw new CkksFormatError(`a decryption share sealed by ${body.header.sealerSiteId}, not a key holder`);
    const key = input.shares.find(
      (b) => b.header.kind === "share-key" && b.header.sealerSiteId === sealer.siteId,
    );
    if (key === undefined) throw new CkksFormatError(`no key to the decryption share of ${sealer.siteId}`);
    return openFromSender(
      decryptionShareBinding(input.keyId, input.round, tools, sealer.siteId, input.siteId),
      body.bytes,
      key.bytes,
      sealer.envelopePublicKey,
      input.envelopeSecretKey,
    );
  });
  return combineDecryptionShares(tools, input.aggregate, opened, input.threshold);
}
