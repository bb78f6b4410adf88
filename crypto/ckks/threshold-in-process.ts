// Runs a threshold-CKKS key ceremony and decryptions in one process (tests, benchmarks, simulation): the real functions, messages passed by hand.
import { generateSigningKeyPair } from "../keys.ts";
import type { Rng } from "../rng.ts";
import {
  CEREMONY_NONCE_BYTES,
  collectivePublicKey,
  commonSeed,
  createPublicKeyShare,
  generateHolderSecretKey,
  secretKeyPoly,
  verifyCollectiveKey,
  type KeyTranscript,
} from "./collective-key.ts";
import type { Poly } from "./modular.ts";
import { combineReceivedShares, splitSecretKey, type HolderIndex } from "./threshold-keys.ts";
import {
  combineDecryptionShares,
  createDecryptionShare,
  holderRequest,
  type WholeDecryptionRequest,
} from "./threshold-decryption.ts";
import type { PolyTools } from "./threshold-params.ts";

export interface SimulatedHolder {
  readonly siteId: string;
  readonly x: HolderIndex;
  readonly signingPublicKey: Uint8Array;
  /** F(x): the holder's key share after the Shamir exchange. */
  readonly keyShare: Poly;
}

export interface SimulatedCeremony {
  readonly transcript: KeyTranscript;
  readonly publicKey: Uint8Array;
  readonly holders: readonly SimulatedHolder[];
  readonly threshold: number;
}

/**
 * Every step of the ceremony for `holderCount` holders: nonces, common seed, signed public-key shares,
 * the collective key (checked by every holder as a site would), and the Shamir exchange of each s_i.
 */
export function runCeremony(
  tools: PolyTools,
  holderCount: number,
  threshold: number,
  rng: Rng,
): SimulatedCeremony {
  const ceremonyId = "in-process-ceremony";
  const sites = Array.from({ length: holderCount }, (_, i) => {
    const nonce = new Uint8Array(CEREMONY_NONCE_BYTES);
    rng.fill(nonce);
    const signing = generateSigningKeyPair(rng);
    return {
      siteId: `site-${i + 1}`,
      x: i + 1,
      nonce,
      signing,
      secretKey: secretKeyPoly(tools, generateHolderSecretKey(tools)),
    };
  });
  const seed = commonSeed(ceremonyId, sites);
  const entries = sites.map((site) =>
    createPublicKeyShare(tools, {
      ceremonyId,
      seed,
      siteId: site.siteId,
      nonce: site.nonce,
      secretKey: site.secretKey,
      signingSeed: site.signing.seed,
      rng,
    }),
  );
  const transcript = { ceremonyId, entries };
  const publicKey = collectivePublicKey(tools, transcript);
  const trusted = sites.map((s) => ({ siteId: s.siteId, signingPublicKey: s.signing.publicKey }));
  for (const site of sites)
    verifyCollectiveKey(tools, { transcript, publicKey, holders: trusted, own: site });
  const xs = sites.map((s) => s.x);
  const sent = sites.map((site) => splitSecretKey(tools, site.secretKey, threshold, xs, rng));
  const holders = sites.map((site, j) => {
    const received = sent.map((shares) => shares[j]?.share as Poly);
    const keyShare = combineReceivedShares(tools, received);
    for (const share of received) share.fill(0);
    site.secretKey.fill(0);
    return { siteId: site.siteId, x: site.x, signingPublicKey: site.signing.publicKey, keyShare };
  });
  return { transcript, publicKey, holders, threshold };
}

/** The plain sum of `whole`'s aggregate as the answering holders (whole.participants) jointly decrypt it. */
export function decryptTogether(
  tools: PolyTools,
  ceremony: SimulatedCeremony,
  whole: WholeDecryptionRequest,
  minUploads: number,
  rng: Rng,
): Float64Array {
  const request = holderRequest(tools, whole);
  const shares = request.participants.map((x) => {
    const holder = ceremony.holders.find((h) => h.x === x);
    if (holder === undefined) throw new RangeError(`no holder ${x}`);
    return createDecryptionShare(tools, {
      request,
      x,
      keyShare: holder.keyShare,
      threshold: ceremony.threshold,
      minUploads,
      rng,
    });
  });
  return combineDecryptionShares(tools, whole.aggregate, shares, ceremony.threshold);
}
