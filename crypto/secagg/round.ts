// SecAgg+ round parameters shared by sites and server, and the key derivations and signed payloads both sides compute.
import { createHash } from "node:crypto";
import type { FixedPointParams } from "../codec.ts";
import { ParameterError } from "../errors.ts";
import { encodeContext, hkdfSha256 } from "../hkdf.ts";
import { x25519 } from "../keys.ts";
import type { X25519KeyPair } from "../keys.ts";
import { buildNeighbourGraph } from "./graph.ts";
import type { NeighbourGraph } from "./graph.ts";
import type { SiteId } from "./messages.ts";

/** Public parameters of one SecAgg+ round; every site and the server hold the same values. */
export interface SecAggConfig {
  /** The federation round number; bound into every signature and derived key. */
  readonly roundId: number;
  /** 32 public random bytes chosen by the coordinator for this round: seeds the graph, salts every KDF. */
  readonly sessionId: Uint8Array;
  /** Sites selected for the round. */
  readonly roster: readonly SiteId[];
  /** Shamir threshold t: shares held by t of a site's k + 1 holders reconstruct its secrets. */
  readonly threshold: number;
  /** Neighbour degree k (n − 1 for classic SecAgg). */
  readonly degree: number;
  /** Number of Z_2^32 entries of the protected vector (update plus any extra entries, e.g. the sample count). */
  readonly vectorLength: number;
  /** Each roster site's long-term Ed25519 identity key (from enrolment), which signs its per-round keys. */
  readonly identityKeys: ReadonlyMap<SiteId, Uint8Array>;
  /** The fixed-point codec of the protected vector, when it is one; its headroom must cover the roster. */
  readonly codec?: FixedPointParams;
}

/** A validated config with its graph. */
export interface SecAggRound {
  readonly config: SecAggConfig;
  readonly graph: NeighbourGraph;
  /** {@link roundConfigHash} of `config`, signed into every advertisement and consistency signature. */
  readonly configHash: Uint8Array;
}

export const SESSION_ID_BYTES = 32;
const MAX_VECTOR_LENGTH = 2 ** 28;

/**
 * Validates a config. The threshold t bounds collusion: t of a site's k + 1 share holders
 * (itself and its neighbours) reconstruct its secrets, so the server learns nothing about one
 * site's input unless t − 1 others help it (Bonawitz et al. 2017, §6, honest-but-curious
 * server). t must be a majority of the holders, (k + 1)/2 < t ≤ k + 1: with t ≤ (k + 1)/2 a
 * server that shows one survivor list to t holders and another to t others collects both
 * b_u and s_u^SK of one site and unmasks its input; with a majority two such groups share
 * 2t − (k + 1) ≥ 1 holders and an honest holder signs one list only, so the split needs at least
 * 2t − (k + 1) sites colluding with the coordinator (docs/threat-model.md). Sites
 * and coordinator both call this, so a site refuses a non-majority threshold whatever the
 * coordinator's config says (tests/crypto/secagg-attacks.test.ts replays the attack).
 */
export function prepareRound(config: SecAggConfig): SecAggRound {
  const { roundId, sessionId, threshold, vectorLength } = config;
  if (!Number.isSafeInteger(roundId) || roundId < 0)
    throw new ParameterError(`secagg: bad roundId ${roundId}`);
  if (sessionId.length !== SESSION_ID_BYTES)
    throw new ParameterError(`secagg: sessionId must be ${SESSION_ID_BYTES} bytes`);
  if (!Number.isSafeInteger(vectorLength) || vectorLength < 1 || vectorLength > MAX_VECTOR_LENGTH) {
    throw new ParameterError(`secagg: vectorLength must be in [1, 2^28], got ${vectorLength}`);
  }
  const graph = buildNeighbourGraph(config.roster, config.degree, sessionId);
  const holders = graph.degree + 1;
  const majority = Math.floor(holders / 2) + 1;
  if (!Number.isSafeInteger(threshold) || threshold < Math.max(2, majority) || threshold > holders) {
    throw new ParameterError(
      `secagg: threshold must be a majority of the k + 1 = ${holders} share holders, in [${Math.max(2, majority)}, ${holders}], got ${threshold}`,
    );
  }
  for (const site of graph.sites) {
    if (config.identityKeys.get(site)?.length !== 32)
      throw new ParameterError(`secagg: no 32-byte identity key for a roster site`);
  }
  if (config.codec !== undefined && config.codec.maxSummands < graph.sites.length) {
    throw new ParameterError(
      `secagg: the codec's headroom covers ${config.codec.maxSummands} summands, the roster has ${graph.sites.length} sites`,
    );
  }
  return { config, graph, configHash: roundConfigHash(config, graph) };
}

/**
 * SHA-256 of everything the sites of a round must agree on: session, round, threshold, degree,
 * vector length, the roster with each site's identity key, and the codec range. Signed into the
 * advertisement and consistency payloads, so that a coordinator that shows sites different
 * parameters (a lower threshold to some, another peer key to others) makes their signatures
 * fail at each other and the round stops (issue 18 §1).
 */
export function roundConfigHash(config: SecAggConfig, graph: NeighbourGraph): Uint8Array {
  const { sessionId, roundId, threshold, degree, vectorLength, codec } = config;
  const codecFields =
    codec === undefined
      ? ["no-codec"]
      : ["codec", new Uint8Array(Float64Array.of(codec.clipRange).buffer), codec.maxSummands];
  const roster = graph.sites.flatMap((site) => [site, config.identityKeys.get(site) as Uint8Array]);
  const encoded = encodeContext([
    "fedtune/secagg/config/v1",
    sessionId,
    roundId,
    threshold,
    degree,
    vectorLength,
    ...codecFields,
    graph.sites.length,
    ...roster,
  ]);
  return new Uint8Array(createHash("sha256").update(encoded).digest());
}

/** Shamir x-coordinate of a roster site. */
export function shareIndex(round: SecAggRound, site: SiteId): number {
  const i = round.graph.indexOf(site);
  if (i === undefined) throw new ParameterError("secagg: site is not on the roster");
  return i + 1;
}

/**
 * SHA-256 commitment to a site's self-mask secret b_u, signed into its advertisement before any share
 * of b_u exists. The server checks the b_u it rebuilds from revealed shares against it, so one
 * corrupted share stops the round instead of silently corrupting the sum (issue 18 §5). b_u is a
 * uniformly random field element, so the hash reveals nothing usable about it.
 */
export function selfMaskCommitment(round: SecAggRound, site: SiteId, secret: Uint8Array): Uint8Array {
  const { sessionId, roundId } = round.config;
  const encoded = encodeContext(["fedtune/secagg/self-mask-commitment/v1", sessionId, roundId, site, secret]);
  return new Uint8Array(createHash("sha256").update(encoded).digest());
}

/** What a site advertises in stage 0, all bound by its signature. */
export interface AdvertisedRoundKeys {
  readonly encryptionPublicKey: Uint8Array;
  readonly maskingPublicKey: Uint8Array;
  readonly selfMaskCommitment: Uint8Array;
}

/** The bytes a site signs to bind its per-round keys and self-mask commitment to its identity and this round. */
export function advertisementPayload(
  round: SecAggRound,
  site: SiteId,
  keys: AdvertisedRoundKeys,
): Uint8Array {
  const { sessionId, roundId } = round.config;
  return encodeContext([
    "fedtune/secagg/advertise/v3",
    sessionId,
    roundId,
    round.configHash,
    site,
    keys.encryptionPublicKey,
    keys.maskingPublicKey,
    keys.selfMaskCommitment,
  ]);
}

/** The bytes each surviving site signs in the consistency check (Bonawitz et al. 2017, Fig. 4, round 3). */
export function consistencyPayload(round: SecAggRound, survivors: readonly SiteId[]): Uint8Array {
  const { sessionId, roundId } = round.config;
  return encodeContext([
    "fedtune/secagg/consistency/v2",
    sessionId,
    roundId,
    round.configHash,
    survivors.length,
    ...survivors,
  ]);
}

/** Secretbox key for shares sent from `sender` to `recipient`: HKDF over the X25519 secret, both ids and the round bound in. */
export function shareEncryptionKey(
  round: SecAggRound,
  own: X25519KeyPair,
  peerPublicKey: Uint8Array,
  sender: SiteId,
  recipient: SiteId,
): Uint8Array {
  const info = encodeContext(["fedtune/secagg/share-key/v1", round.config.roundId, sender, recipient]);
  return keyFromAgreement(round, own, peerPublicKey, info);
}

/** Seed of the pairwise mask of sites a and b; symmetric, since both derive it from the same X25519 secret. */
export function pairwiseMaskSeed(
  round: SecAggRound,
  own: X25519KeyPair,
  peerPublicKey: Uint8Array,
  a: SiteId,
  b: SiteId,
): Uint8Array {
  const [first, second] = a < b ? [a, b] : [b, a];
  const info = encodeContext(["fedtune/secagg/pairwise-mask/v1", round.config.roundId, first, second]);
  return keyFromAgreement(round, own, peerPublicKey, info);
}

/** HKDF (salted with the session id) over the X25519 secret, which is zeroed once the key is derived. */
function keyFromAgreement(
  round: SecAggRound,
  own: X25519KeyPair,
  peerPublicKey: Uint8Array,
  info: Uint8Array,
): Uint8Array {
  const shared = x25519(own, peerPublicKey);
  try {
    return hkdfSha256(shared, round.config.sessionId, info, 32);
  } finally {
    shared.fill(0);
  }
}

/** PRG seed of a site's self mask, derived from its shared secret b_u. */
export function selfMaskSeed(round: SecAggRound, secret: Uint8Array): Uint8Array {
  const { sessionId, roundId } = round.config;
  return hkdfSha256(secret, sessionId, encodeContext(["fedtune/secagg/self-mask/v1", roundId]), 32);
}

/** Sign with which `site` adds its pairwise mask with `peer`: + for the lower canonical index (Bonawitz et al. 2017, §3). */
export function pairwiseSign(site: SiteId, peer: SiteId): 1 | -1 {
  return site < peer ? 1 : -1;
}
