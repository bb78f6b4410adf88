// SecAgg+ site states: each stage carries exactly what the next step needs, and the step results.
import type { X25519KeyPair } from "../keys.ts";
import type { AdvertiseKeysMessage, SiteId } from "./messages.ts";
import type { SecAggRound } from "./round.ts";

interface ClientCommon {
  readonly round: SecAggRound;
  readonly siteId: SiteId;
  /** The site's long-term Ed25519 identity seed (owned by the caller; never zeroed here). */
  readonly identitySeed: Uint8Array;
  /**
   * Every secret buffer the site created or received this round (key pairs, b_u, Shamir shares),
   * carried from stage to stage so that clientDispose (client.ts) zeroes them whichever stage the
   * round ends in, including those a later stage no longer holds.
   */
  readonly secrets: readonly Uint8Array[];
}

export interface PeerKeys {
  readonly encryptionPublicKey: Uint8Array;
  readonly maskingPublicKey: Uint8Array;
}

/** This site's shares of one owner's two secrets (the owner may be the site itself). */
export interface HeldShares {
  readonly maskingKey: Uint8Array;
  readonly selfMask: Uint8Array;
}

/** Site state: each stage carries exactly what the next step needs (STYLE.md item 4). */
export type ClientState =
  | (ClientCommon & {
      readonly stage: "awaiting-keys";
      readonly encryptionKeys: X25519KeyPair;
      readonly maskingKeys: X25519KeyPair;
      /** b_u, the seed of the self mask, committed to in the advertisement. */
      readonly selfMaskSecret: Uint8Array;
    })
  | (ClientCommon & {
      readonly stage: "awaiting-shares";
      readonly encryptionKeys: X25519KeyPair;
      readonly maskingKeys: X25519KeyPair;
      /** b_u, the seed of the self mask. */
      readonly selfMaskSecret: Uint8Array;
      /** Neighbours that advertised, with their verified keys. */
      readonly peers: ReadonlyMap<SiteId, PeerKeys>;
      readonly ownShares: HeldShares;
    })
  | (ClientCommon & {
      readonly stage: "awaiting-input";
      readonly maskingKeys: X25519KeyPair;
      readonly selfMaskSecret: Uint8Array;
      /** Neighbours whose shares arrived (U2 ∩ N(u)): exactly those to mask with. */
      readonly maskingPeers: ReadonlyMap<SiteId, Uint8Array>;
      /** Shares held, by owner (this site and maskingPeers). */
      readonly heldShares: ReadonlyMap<SiteId, HeldShares>;
    })
  | (ClientCommon & {
      readonly stage: "awaiting-consistency";
      readonly heldShares: ReadonlyMap<SiteId, HeldShares>;
    })
  | (ClientCommon & {
      readonly stage: "awaiting-unmask";
      readonly heldShares: ReadonlyMap<SiteId, HeldShares>;
      /** The survivor list this site signed; it reveals shares against no other. */
      readonly survivors: readonly SiteId[];
    })
  | (ClientCommon & { readonly stage: "done" });

export type ClientStage = ClientState["stage"];

export interface ClientStart {
  readonly state: ClientState;
  readonly message: AdvertiseKeysMessage;
}

export interface ClientTransition<M> {
  readonly state: ClientState;
  readonly message: M;
}

/** After the shares arrive the site waits for its local input; there is no message to send yet. */
export interface AwaitingInput {
  readonly state: ClientState & { readonly stage: "awaiting-input" };
  readonly message: null;
}
