// The SecAgg+ server stages, one pair per protocol stage: accept a site's message (on…), close the stage (close…).
import { ProtocolError } from "../errors.ts";
import { equalBytes, verifySignature, x25519PublicKey } from "../keys.ts";
import { applyMasks } from "../prg.ts";
import type { SignedMask } from "../prg.ts";
import { combineShares, isFieldElement } from "../shamir.ts";
import type { ShamirShare } from "../shamir.ts";
import type {
  AdvertiseKeysMessage,
  ConsistencySignatureMessage,
  MaskedInputChunkMessage,
  ProtocolStage,
  RelayedShare,
  RevealedShare,
  ServerToClientMessage,
  ShareKeysMessage,
  SiteId,
  UnmaskResponseMessage,
} from "./messages.ts";
import {
  advertisementPayload,
  consistencyPayload,
  pairwiseMaskSeed,
  pairwiseSign,
  selfMaskCommitment,
  selfMaskSeed,
  shareIndex,
} from "./round.ts";
import type { At, ServerState, ServerTransition } from "./server-state.ts";

function duplicate(stage: ProtocolStage, site: SiteId): never {
  throw new ProtocolError("duplicate", `second ${stage} message from one site`, {
    expectedStage: stage,
    receivedStage: stage,
    siteId: site,
  });
}

function tooFew(what: string, count: number, threshold: number): never {
  throw new ProtocolError("too-few-sites", `${count} ${what}, threshold is ${threshold}`);
}

export function onAdvertise(state: At<"collecting-keys">, m: AdvertiseKeysMessage): ServerState {
  if (state.advertisements.has(m.siteId)) duplicate("advertise-keys", m.siteId);
  const payload = advertisementPayload(state.round, m.siteId, m);
  if (!verifySignature(payload, m.signature, state.round.config.identityKeys.get(m.siteId) as Uint8Array)) {
    throw new ProtocolError("bad-signature", "advertisement signature does not verify", { siteId: m.siteId });
  }
  return { ...state, advertisements: new Map(state.advertisements).set(m.siteId, m) };
}

/** Neighbours of `site` within `among`, in canonical order. */
function neighboursIn(state: ServerState, site: SiteId, among: { has(s: SiteId): boolean }): SiteId[] {
  return state.round.graph.neighbours(site).filter((v) => among.has(v));
}

/** Round 0, server side (Bonawitz et al. 2017, Fig. 4): each site gets the signed keys of its neighbours in U1 only (Bell et al. 2020, §3). */
export function closeKeys(state: At<"collecting-keys">): ServerTransition {
  const { config } = state.round;
  const u1 = state.advertisements;
  if (u1.size < config.threshold) tooFew("sites advertised keys", u1.size, config.threshold);
  const messages: ServerToClientMessage[] = [...u1.keys()].sort().map((u) => ({
    kind: "keys-broadcast",
    roundId: config.roundId,
    recipient: u,
    advertisements: neighboursIn(state, u, u1).map((v) => u1.get(v) as AdvertiseKeysMessage),
  }));
  return {
    state: { stage: "collecting-shares", round: state.round, advertisements: u1, shares: new Map() },
    messages,
  };
}

export function onShareKeys(state: At<"collecting-shares">, m: ShareKeysMessage): ServerState {
  if (!state.advertisements.has(m.siteId))
    throw new ProtocolError("unknown-site", "site did not advertise keys in time", { siteId: m.siteId });
  if (state.shares.has(m.siteId)) duplicate("share-keys", m.siteId);
  // Exactly one share set per neighbour named in this site's keys broadcast (both lists in canonical order).
  const expected = neighboursIn(state, m.siteId, state.advertisements);
  const got = m.encryptedShares.map((s) => s.recipient).sort();
  if (got.length !== expected.length || got.some((r, i) => r !== expected[i])) {
    throw new ProtocolError(
      "malformed",
      "encrypted shares must address each advertised neighbour exactly once",
      { siteId: m.siteId },
    );
  }
  return { ...state, shares: new Map(state.shares).set(m.siteId, m) };
}

/** Round 1, server side (Bonawitz et al. 2017, Fig. 4): relays each encrypted share pair to its recipient; U2 is who shared. */
export function closeShares(state: At<"collecting-shares">): ServerTransition {
  const { config } = state.round;
  const u2 = state.shares;
  if (u2.size < config.threshold) tooFew("sites shared keys", u2.size, config.threshold);
  const inbox = new Map<SiteId, RelayedShare[]>([...u2.keys()].map((v) => [v, []]));
  for (const [sender, m] of u2) {
    for (const { recipient, ciphertext } of m.encryptedShares)
      inbox.get(recipient)?.push({ sender, ciphertext });
  }
  const messages: ServerToClientMessage[] = [...inbox.keys()].sort().map((v) => ({
    kind: "shares-delivery",
    roundId: config.roundId,
    recipient: v,
    shares: (inbox.get(v) as RelayedShare[]).sort((a, b) => (a.sender < b.sender ? -1 : 1)),
  }));
  return {
    state: {
      stage: "collecting-masked-input",
      round: state.round,
      advertisements: state.advertisements,
      sharers: new Set(u2.keys()),
      received: new Map(),
      sum: new Uint32Array(config.vectorLength),
    },
    messages,
  };
}

export function onChunk(state: At<"collecting-masked-input">, m: MaskedInputChunkMessage): ServerState {
  const d = state.round.config.vectorLength;
  if (!state.sharers.has(m.siteId))
    throw new ProtocolError("unknown-site", "site did not share keys in time", { siteId: m.siteId });
  const done = state.received.get(m.siteId) ?? 0;
  if (m.offset < done) duplicate("masked-input", m.siteId);
  if (m.offset > done)
    throw new ProtocolError("malformed", `chunk at offset ${m.offset}, expected ${done}`, {
      siteId: m.siteId,
    });
  if (m.offset + m.values.length > d)
    throw new ProtocolError("malformed", `chunk runs past the vector length ${d}`, { siteId: m.siteId });
  const { sum } = state;
  const { values, offset } = m;
  for (let i = 0; i < values.length; i++)
    sum[offset + i] = (sum[offset + i] as number) + (values[i] as number);
  return { ...state, received: new Map(state.received).set(m.siteId, offset + values.length) };
}

/** Round 2, server side (Bonawitz et al. 2017, Fig. 4): U3 is who sent a complete masked input; ask each to sign that list. */
export function closeMaskedInput(state: At<"collecting-masked-input">): ServerTransition {
  const { config } = state.round;
  const d = config.vectorLength;
  const partial = [...state.received.values()].filter((n) => n < d).length;
  // A partial y_u cannot be removed from the sum without b_u, and revealing b_u with s_u^SK would expose x_u.
  if (partial > 0)
    throw new ProtocolError("incomplete-input", `${partial} sites sent only part of their masked input`);
  const survivors = [...state.received.keys()].sort();
  if (survivors.length < config.threshold) tooFew("masked inputs", survivors.length, config.threshold);
  const messages: ServerToClientMessage[] = survivors.map((u) => ({
    kind: "consistency-request",
    roundId: config.roundId,
    recipient: u,
    survivors,
  }));
  return {
    state: {
      stage: "collecting-consistency",
      round: state.round,
      advertisements: state.advertisements,
      sharers: state.sharers,
      survivors,
      survivorSet: new Set(survivors),
      consistencyPayload: consistencyPayload(state.round, survivors),
      signatures: new Map(),
      sum: state.sum,
    },
    messages,
  };
}

export function onSignature(
  state: At<"collecting-consistency">,
  m: ConsistencySignatureMessage,
): ServerState {
  if (!state.survivorSet.has(m.siteId))
    throw new ProtocolError("unknown-site", "site is not a survivor", { siteId: m.siteId });
  if (state.signatures.has(m.siteId)) duplicate("consistency-check", m.siteId);
  if (
    !verifySignature(
      state.consistencyPayload,
      m.signature,
      state.round.config.identityKeys.get(m.siteId) as Uint8Array,
    )
  ) {
    throw new ProtocolError("bad-signature", "consistency signature does not verify", { siteId: m.siteId });
  }
  return { ...state, signatures: new Map(state.signatures).set(m.siteId, m.signature) };
}

/** Round 3, server side (Bonawitz et al. 2017, Fig. 4): each signer gets U3 with the signatures of itself and its neighbours. */
export function closeConsistency(state: At<"collecting-consistency">): ServerTransition {
  const { config } = state.round;
  const signers = state.signatures;
  if (signers.size < config.threshold) tooFew("consistency signatures", signers.size, config.threshold);
  const messages: ServerToClientMessage[] = [...signers.keys()].sort().map((v) => ({
    kind: "unmask-request",
    roundId: config.roundId,
    recipient: v,
    survivors: state.survivors,
    signatures: [v, ...neighboursIn(state, v, signers)].map((w) => ({
      siteId: w,
      signature: signers.get(w) as Uint8Array,
    })),
  }));
  return {
    state: {
      stage: "collecting-unmask",
      round: state.round,
      advertisements: state.advertisements,
      sharers: state.sharers,
      survivors: state.survivors,
      survivorSet: state.survivorSet,
      signers: new Set(signers.keys()),
      responses: new Map(),
      sum: state.sum,
    },
    messages,
  };
}

/**
 * The server must never hold both secrets of one site (Bonawitz et al. 2017, §4): it accepts
 * self-mask shares only of survivors and masking-key shares only of sites that dropped after
 * sharing, and from each responder exactly the shares it holds of each kind.
 */
export function onUnmaskResponse(state: At<"collecting-unmask">, m: UnmaskResponseMessage): ServerState {
  const v = m.siteId;
  if (!state.signers.has(v))
    throw new ProtocolError("unknown-site", "site was not asked to unmask", { siteId: v });
  if (state.responses.has(v)) duplicate("unmask", v);
  const survivors = state.survivorSet;
  for (const s of m.selfMaskShares) {
    if (!survivors.has(s.owner))
      throw new ProtocolError("forbidden-share", "self-mask share of a site that dropped", { siteId: v });
  }
  for (const s of m.maskingKeyShares) {
    if (survivors.has(s.owner))
      throw new ProtocolError("forbidden-share", "masking-key share of a surviving site", { siteId: v });
  }
  const holdersOf = [v, ...state.round.graph.neighbours(v)];
  const expectSelf = holdersOf.filter((u) => survivors.has(u));
  const expectKey = holdersOf.filter((u) => !survivors.has(u) && state.sharers.has(u));
  const sameOwners = (got: readonly RevealedShare[], want: SiteId[]) =>
    got.length === want.length &&
    new Set(got.map((s) => s.owner)).size === want.length &&
    got.every((s) => want.includes(s.owner));
  if (!sameOwners(m.selfMaskShares, expectSelf) || !sameOwners(m.maskingKeyShares, expectKey)) {
    throw new ProtocolError(
      "malformed",
      "unmask response must hold exactly one share per owner the site holds shares of",
      { siteId: v },
    );
  }
  if (![...m.selfMaskShares, ...m.maskingKeyShares].every((s) => isFieldElement(s.share))) {
    throw new ProtocolError("malformed", "revealed share is not a field element", { siteId: v });
  }
  return { ...state, responses: new Map(state.responses).set(v, m) };
}

/**
 * Reconstructs every needed secret first (so a refusal changes nothing), then removes from the
 * sum each survivor's self mask and, for each site that dropped after sharing, the pairwise
 * masks its surviving neighbours applied (Bonawitz et al. 2017, Fig. 4, round 4, server side).
 */
export function closeUnmask(state: At<"collecting-unmask">): ServerTransition {
  const { round, survivors, sharers, advertisements } = state;
  const { config, graph } = round;
  const t = config.threshold;
  if (state.responses.size < t) tooFew("unmask responses", state.responses.size, t);
  const selfShares = new Map<SiteId, ShamirShare[]>();
  const keyShares = new Map<SiteId, ShamirShare[]>();
  const collect = (map: Map<SiteId, ShamirShare[]>, owner: SiteId, share: ShamirShare) => {
    const list = map.get(owner);
    if (list === undefined) map.set(owner, [share]);
    else list.push(share);
  };
  for (const [holder, m] of state.responses) {
    const x = shareIndex(round, holder);
    for (const s of m.selfMaskShares) collect(selfShares, s.owner, { x, y: s.share });
    for (const s of m.maskingKeyShares) collect(keyShares, s.owner, { x, y: s.share });
  }
  const { survivorSet } = state;
  const shares = (map: Map<SiteId, ShamirShare[]>, owner: SiteId): ShamirShare[] => {
    const got = map.get(owner) ?? [];
    if (got.length < t) tooFew(`shares of a site's secret`, got.length, t);
    return got;
  };
  const dropped = [...sharers]
    .filter((u) => !survivorSet.has(u) && graph.neighbours(u).some((v) => survivorSet.has(v)))
    .sort();
  const masks: SignedMask[] = survivors.map((u) => {
    const secret = combineShares(shares(selfShares, u), t);
    const advertised = advertisements.get(u) as AdvertiseKeysMessage;
    if (!equalBytes(selfMaskCommitment(round, u, secret), advertised.selfMaskCommitment)) {
      throw new ProtocolError(
        "reconstruction-failed",
        "reconstructed self-mask seed does not match the committed one",
        { siteId: u },
      );
    }
    const seed = selfMaskSeed(round, secret);
    secret.fill(0);
    return { seed, sign: -1 };
  });
  for (const u of dropped) {
    const secretKey = combineShares(shares(keyShares, u), t);
    const advertised = advertisements.get(u) as AdvertiseKeysMessage;
    const publicKey = x25519PublicKey(secretKey);
    if (!equalBytes(publicKey, advertised.maskingPublicKey)) {
      throw new ProtocolError(
        "reconstruction-failed",
        "reconstructed masking key does not match the advertised one",
        { siteId: u },
      );
    }
    for (const v of graph.neighbours(u)) {
      if (!survivorSet.has(v)) continue;
      const peer = advertisements.get(v) as AdvertiseKeysMessage;
      // v added pairwiseSign(v, u) · PRG(s_uv); subtract exactly that.
      masks.push({
        seed: pairwiseMaskSeed(round, { secretKey, publicKey }, peer.maskingPublicKey, u, v),
        sign: pairwiseSign(v, u) === 1 ? -1 : 1,
      });
    }
    secretKey.fill(0);
  }
  applyMasks(state.sum, masks);
  for (const m of masks) m.seed.fill(0);
  return { state: { stage: "done", round, survivors, sum: state.sum }, messages: [] };
}
