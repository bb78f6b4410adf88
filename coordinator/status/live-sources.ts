// The status page's sources on a live coordinator: the configured run (a one-element list), the sites with
// their presence and revocation, and the bytes of each round try this process saw.
import type { Revocations } from "../../crypto/pki/identity.ts";
import type { RoundRef } from "../../proto/messages.ts";
import type { FederationConfig } from "../config.ts";
import type { Coordinator } from "../service/coordinator.ts";
import type { DurableState } from "../service/durable-state.ts";
import type { CoordinatorEvent } from "../service/records.ts";
import type { RunStatus, StatusSources } from "./snapshot.ts";

interface TryBytes {
  in: number;
  out: number;
}

/** Payload bytes per round try, summed from the coordinator's events between a try's start and its end. */
export class RoundBytesTally {
  private readonly tries = new Map<string, TryBytes>();
  private current: TryBytes | undefined;

  private static key(round: number, attempt: number): string {
    return `${round}/${attempt}`;
  }

  record(event: CoordinatorEvent): void {
    switch (event.type) {
      case "round_started": {
        const ref: RoundRef = event.ref;
        this.current = { in: 0, out: 0 };
        this.tries.set(RoundBytesTally.key(ref.round, ref.attempt), this.current);
        return;
      }
      case "bytes":
        if (this.current !== undefined) this.current[event.direction] += event.bytes;
        return;
      case "round_completed":
      case "round_abandoned":
        this.current = undefined;
        return;
      case "site_joined":
      case "site_presence":
      case "key_ceremony":
      case "stage_started":
      case "stage_closed":
      case "site_declined":
      case "finished":
        return;
    }
  }

  of(round: number, attempt: number): { readonly in: number; readonly out: number } | undefined {
    return this.tries.get(RoundBytesTally.key(round, attempt));
  }
}

export interface LiveStatusInput {
  readonly config: FederationConfig;
  readonly coordinator: Coordinator;
  readonly store: DurableState;
  readonly revocations: () => Revocations;
  readonly bytes: RoundBytesTally;
  /** The configured run's state: running until its `done` settles. */
  readonly runState: () => RunStatus["state"];
}

export function liveStatusSources(input: LiveStatusInput): StatusSources {
  const { config, coordinator, store } = input;
  const dp = config.dp;
  return {
    federation: config.name,
    siteLevelDp: dp?.level === "site" ? { noiseMultiplier: dp.noiseMultiplier, delta: dp.delta } : undefined,
    runs: () => [
      {
        id: "1",
        state: input.runState(),
        privacyMode: config.privacy.mode,
        strategy: config.strategy.name,
        trainingRounds: config.rounds,
        inProgress: coordinator.inProgress(),
        rounds: store.rounds(),
        bytesOf: (round, attempt) => input.bytes.of(round, attempt),
      },
    ],
    sites: () => {
      const online = new Set<string>(coordinator.onlineSites());
      const revoked = input.revocations().fingerprints;
      const fingerprints = new Map(store.sites().map((site) => [site.siteId, site.fingerprint]));
      const picked = store.trainingTriesPicked();
      return store.siteViews().map((site) => ({
        ...site,
        online: online.has(site.siteId),
        revoked: revoked.has(fingerprints.get(site.siteId) ?? ""),
        trainingTriesPicked: picked.get(site.siteId) ?? 0,
      }));
    },
  };
}
