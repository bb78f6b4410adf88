// SecAgg+ server states: what the coordinator holds at each stage of a round.
import type {
  AdvertiseKeysMessage,
  ServerToClientMessage,
  ShareKeysMessage,
  SiteId,
  UnmaskResponseMessage,
} from "./messages.ts";
import type { SecAggRound } from "./round.ts";

/**
 * Server state. Transitions return a new state and never mutate their argument, except the
 * running sum, which moves from state to state: after a successful call use only the state it
 * returned. A refused message throws before anything is touched.
 */
export type ServerState =
  | {
      readonly stage: "collecting-keys";
      readonly round: SecAggRound;
      readonly advertisements: ReadonlyMap<SiteId, AdvertiseKeysMessage>;
    }
  | {
      readonly stage: "collecting-shares";
      readonly round: SecAggRound;
      /** U1. */
      readonly advertisements: ReadonlyMap<SiteId, AdvertiseKeysMessage>;
      readonly shares: ReadonlyMap<SiteId, ShareKeysMessage>;
    }
  | {
      readonly stage: "collecting-masked-input";
      readonly round: SecAggRound;
      readonly advertisements: ReadonlyMap<SiteId, AdvertiseKeysMessage>;
      /** U2: sites whose shares were relayed, hence whose pairwise masks neighbours applied. */
      readonly sharers: ReadonlySet<SiteId>;
      /** Entries of each site's masked input received so far (chunks arrive in order). */
      readonly received: ReadonlyMap<SiteId, number>;
      /** Σ y_u mod 2^32 over the chunks received: memory is one vector whatever the number of sites. */
      readonly sum: Uint32Array;
    }
  | {
      readonly stage: "collecting-consistency";
      readonly round: SecAggRound;
      readonly advertisements: ReadonlyMap<SiteId, AdvertiseKeysMessage>;
      readonly sharers: ReadonlySet<SiteId>;
      /** U3, sorted. */
      readonly survivors: readonly SiteId[];
      readonly survivorSet: ReadonlySet<SiteId>;
      /** The bytes every survivor signs (computed once). */
      readonly consistencyPayload: Uint8Array;
      readonly signatures: ReadonlyMap<SiteId, Uint8Array>;
      readonly sum: Uint32Array;
    }
  | {
      readonly stage: "collecting-unmask";
      readonly round: SecAggRound;
      readonly advertisements: ReadonlyMap<SiteId, AdvertiseKeysMessage>;
      readonly sharers: ReadonlySet<SiteId>;
      readonly survivors: readonly SiteId[];
      readonly survivorSet: ReadonlySet<SiteId>;
      /** U4: sites sent an unmask request. */
      readonly signers: ReadonlySet<SiteId>;
      readonly responses: ReadonlyMap<SiteId, UnmaskResponseMessage>;
      readonly sum: Uint32Array;
    }
  | {
      readonly stage: "done";
      readonly round: SecAggRound;
      readonly survivors: readonly SiteId[];
      /** Σ_{u ∈ survivors} x_u mod 2^32: decode with the codec as a sum of survivors.length vectors. */
      readonly sum: Uint32Array;
    };

export type ServerStage = ServerState["stage"];

export interface ServerTransition {
  readonly state: ServerState;
  /** Messages to deliver, one per recipient named in each. */
  readonly messages: ServerToClientMessage[];
}

/** The state narrowed to one stage. */
export type At<S extends ServerStage> = ServerState & { readonly stage: S };
