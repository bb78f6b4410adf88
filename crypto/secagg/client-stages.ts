// SecAgg+ site steps, one function per server message (keys, shares, consistency check, unmask): pure transitions.
import { CryptoError, ProtocolError } from "../errors.ts";
import { openBox, sealBox, signMessage, verifySignature } from "../keys.ts";
import type { Rng } from "../rng.ts";
import { isFieldElement, splitSecret } from "../shamir.ts";
import { SHARE_BYTES } from "./messages.ts";
import type {
  ConsistencyRequestMessage,
  ConsistencySignatureMessage,
  KeysBroadcastMessage,
  RevealedShare,
  ShareKeysMessage,
  SharesDeliveryMessage,
  SiteId,
  UnmaskRequestMessage,
  UnmaskResponseMessage,
} from "./messages.ts";
import { advertisementPayload, consistencyPayload, shareEncryptionKey, shareIndex } from "./round.ts";
import type { ClientState, ClientTransition, AwaitingInput, HeldShares, PeerKeys } from "./client-state.ts";

/** Runs a key agreement, turning a small-order peer key into a protocol refusal. */
function agree<T>(peer: SiteId, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof CryptoError && e.code === "invalid-key") {
      throw new ProtocolError("malformed", "a neighbour advertised an invalid public key", { siteId: peer });
    }
    throw e;
  }
}

/**
 * Round 1 (Bonawitz et al. 2017, Fig. 4): verify neighbours' advertisements, Shamir-share s_u^SK and
 * b_u among the site and its neighbours only (Bell et al. 2020, §3), encrypt each pair to its holder.
 */
export function onKeys(
  state: ClientState & { stage: "awaiting-keys" },
  message: KeysBroadcastMessage,
  rng: Rng,
): ClientTransition<ShareKeysMessage> {
  const { round, siteId } = state;
  const { config, graph } = round;
  const peers = new Map<SiteId, PeerKeys>();
  for (const ad of message.advertisements) {
    if (!graph.areNeighbours(siteId, ad.siteId)) {
      throw new ProtocolError("unknown-site", "advertisement from a site that is not a neighbour", {
        siteId: ad.siteId,
      });
    }
    if (peers.has(ad.siteId))
      throw new ProtocolError("malformed", "two advertisements from one site", { siteId: ad.siteId });
    if (ad.roundId !== config.roundId)
      throw new ProtocolError("wrong-round", "advertisement for another round", { siteId: ad.siteId });
    const payload = advertisementPayload(round, ad.siteId, ad);
    if (!verifySignature(payload, ad.signature, config.identityKeys.get(ad.siteId) as Uint8Array)) {
      throw new ProtocolError("bad-signature", "advertisement signature does not verify", {
        siteId: ad.siteId,
      });
    }
    peers.set(ad.siteId, {
      encryptionPublicKey: ad.encryptionPublicKey,
      maskingPublicKey: ad.maskingPublicKey,
    });
  }
  if (peers.size + 1 < config.threshold) {
    throw new ProtocolError(
      "too-few-sites",
      `${peers.size + 1} share holders left, threshold is ${config.threshold}`,
    );
  }
  const holders = [siteId, ...peers.keys()];
  const xs = holders.map((h) => shareIndex(round, h));
  const { selfMaskSecret } = state;
  const keyShares = splitSecret(state.maskingKeys.secretKey, config.threshold, xs, rng);
  const seedShares = splitSecret(selfMaskSecret, config.threshold, xs, rng);
  const encryptedShares = holders.slice(1).map((peer, j) => {
    const keyShare = (keyShares[j + 1] as { y: Uint8Array }).y;
    const seedShare = (seedShares[j + 1] as { y: Uint8Array }).y;
    const plaintext = new Uint8Array(2 * SHARE_BYTES);
    plaintext.set(keyShare);
    plaintext.set(seedShare, SHARE_BYTES);
    // A neighbour's shares leave only sealed to it; no plaintext copy stays behind.
    keyShare.fill(0);
    seedShare.fill(0);
    const peerKeys = peers.get(peer) as PeerKeys;
    const key = agree(peer, () =>
      shareEncryptionKey(round, state.encryptionKeys, peerKeys.encryptionPublicKey, siteId, peer),
    );
    const ciphertext = sealBox(plaintext, key, rng);
    plaintext.fill(0);
    key.fill(0);
    return { recipient: peer, ciphertext };
  });
  const ownShares = {
    maskingKey: (keyShares[0] as { y: Uint8Array }).y,
    selfMask: (seedShares[0] as { y: Uint8Array }).y,
  };
  return {
    state: {
      stage: "awaiting-shares",
      round,
      siteId,
      identitySeed: state.identitySeed,
      secrets: [...state.secrets, ownShares.maskingKey, ownShares.selfMask],
      encryptionKeys: state.encryptionKeys,
      maskingKeys: state.maskingKeys,
      selfMaskSecret,
      peers,
      ownShares,
    },
    message: { kind: "share-keys", roundId: config.roundId, siteId, encryptedShares },
  };
}

/** Round 2, first half (Bonawitz et al. 2017, Fig. 4): open the shares neighbours sent; those neighbours are exactly the ones to mask with. */
export function onShares(
  state: ClientState & { stage: "awaiting-shares" },
  message: SharesDeliveryMessage,
): AwaitingInput {
  const { round, siteId } = state;
  const heldShares = new Map<SiteId, HeldShares>([[siteId, state.ownShares]]);
  const maskingPeers = new Map<SiteId, Uint8Array>();
  const secrets = [...state.secrets];
  try {
    for (const { sender, ciphertext } of message.shares) {
      const peer = state.peers.get(sender);
      if (peer === undefined)
        throw new ProtocolError("unknown-site", "shares from a site that did not advertise to us", {
          siteId: sender,
        });
      if (heldShares.has(sender))
        throw new ProtocolError("malformed", "two share sets from one site", { siteId: sender });
      const key = agree(sender, () =>
        shareEncryptionKey(round, state.encryptionKeys, peer.encryptionPublicKey, sender, siteId),
      );
      const plaintext = openBox(ciphertext, key);
      key.fill(0);
      if (plaintext === null)
        throw new ProtocolError("decryption-failed", "encrypted shares do not open", { siteId: sender });
      const shares = { maskingKey: plaintext.slice(0, SHARE_BYTES), selfMask: plaintext.slice(SHARE_BYTES) };
      plaintext.fill(0);
      secrets.push(shares.maskingKey, shares.selfMask);
      if (!isFieldElement(shares.maskingKey) || !isFieldElement(shares.selfMask)) {
        throw new ProtocolError("malformed", "decrypted share is not a field element", { siteId: sender });
      }
      heldShares.set(sender, shares);
      maskingPeers.set(sender, peer.maskingPublicKey);
    }
    if (heldShares.size < round.config.threshold) {
      throw new ProtocolError(
        "too-few-sites",
        `${heldShares.size} share holders left, threshold is ${round.config.threshold}`,
      );
    }
  } catch (e) {
    // A refused delivery keeps none of the shares opened before the refusal.
    for (const share of secrets.slice(state.secrets.length)) share.fill(0);
    throw e;
  }
  return {
    state: {
      stage: "awaiting-input",
      round,
      siteId,
      identitySeed: state.identitySeed,
      secrets,
      maskingKeys: state.maskingKeys,
      selfMaskSecret: state.selfMaskSecret,
      maskingPeers,
      heldShares,
    },
    message: null,
  };
}

/** Round 3 (Bonawitz et al. 2017, Fig. 4): sign the survivor list once; the same list must come back in round 4. */
export function onConsistency(
  state: ClientState & { stage: "awaiting-consistency" },
  message: ConsistencyRequestMessage,
): ClientTransition<ConsistencySignatureMessage> {
  const { round, siteId, heldShares } = state;
  const { survivors } = message;
  for (const s of survivors) {
    if (round.graph.indexOf(s) === undefined)
      throw new ProtocolError("unknown-site", "survivor list names a site not on the roster");
    // A neighbour that survived must have shared with us, else we did not mask with it and the sum would be wrong.
    if (round.graph.areNeighbours(siteId, s) && !heldShares.has(s)) {
      throw new ProtocolError(
        "malformed",
        "survivor list names a neighbour that never shared with this site",
        { siteId: s },
      );
    }
  }
  if (!survivors.includes(siteId))
    throw new ProtocolError("malformed", "survivor list omits this site, whose input was sent");
  if (survivors.length < round.config.threshold) {
    throw new ProtocolError(
      "too-few-sites",
      `${survivors.length} survivors, threshold is ${round.config.threshold}`,
    );
  }
  const signature = signMessage(consistencyPayload(round, survivors), state.identitySeed);
  return {
    state: {
      stage: "awaiting-unmask",
      round,
      siteId,
      identitySeed: state.identitySeed,
      secrets: state.secrets,
      heldShares,
      survivors: [...survivors],
    },
    message: { kind: "consistency-signature", roundId: round.config.roundId, siteId, signature },
  };
}

/**
 * Round 4: with at least t valid neighbour signatures on the very survivor list this site
 * signed, reveal for each owner exactly one secret: the self-mask share of a survivor or the
 * masking-key share of a site that dropped after sharing (Bonawitz et al. 2017, Fig. 4, round 4).
 */
export function onUnmask(
  state: ClientState & { stage: "awaiting-unmask" },
  message: UnmaskRequestMessage,
): ClientTransition<UnmaskResponseMessage> {
  const { round, siteId, survivors, heldShares } = state;
  const { config, graph } = round;
  if (message.survivors.length !== survivors.length || message.survivors.some((s, i) => s !== survivors[i])) {
    throw new ProtocolError("malformed", "survivor list differs from the one this site signed");
  }
  const payload = consistencyPayload(round, survivors);
  const survivorSet = new Set(survivors);
  const signers = new Set<SiteId>();
  for (const { siteId: signer, signature } of message.signatures) {
    if (signer !== siteId && !graph.areNeighbours(siteId, signer)) {
      throw new ProtocolError("unknown-site", "consistency signature from a site that is not a neighbour", {
        siteId: signer,
      });
    }
    if (signers.has(signer))
      throw new ProtocolError("malformed", "two consistency signatures from one site", { siteId: signer });
    if (!survivorSet.has(signer))
      throw new ProtocolError("unknown-site", "consistency signature from a non-survivor", {
        siteId: signer,
      });
    if (!verifySignature(payload, signature, config.identityKeys.get(signer) as Uint8Array)) {
      throw new ProtocolError("bad-signature", "consistency signature does not verify", { siteId: signer });
    }
    signers.add(signer);
  }
  if (signers.size < config.threshold) {
    throw new ProtocolError(
      "too-few-sites",
      `${signers.size} consistency signatures, threshold is ${config.threshold}`,
    );
  }
  const selfMaskShares: RevealedShare[] = [];
  const maskingKeyShares: RevealedShare[] = [];
  for (const [owner, shares] of heldShares) {
    if (survivorSet.has(owner)) selfMaskShares.push({ owner, share: shares.selfMask.slice() });
    else maskingKeyShares.push({ owner, share: shares.maskingKey.slice() });
  }
  return {
    state: { stage: "done", round, siteId, identitySeed: state.identitySeed, secrets: state.secrets },
    message: { kind: "unmask-response", roundId: config.roundId, siteId, selfMaskShares, maskingKeyShares },
  };
}
