// The status page's sources on a live coordinator: its runs, the sites with their presence and standing, and
// the bytes of each round try this process saw.
import type { Revocations } from "../../crypto/pki/identity.ts";
import type { RoundRef } from "../../proto/messages.ts";
import type { FederationConfig } from "../config.ts";
import type { Coordinator } from "../service/coordinator.ts";
import type { RunRecord } from "../storage/store.ts";
import type { CoordinatorEvent } from "../service/records.ts";
import type { RunSource, StatusSources } from "./snapshot.ts";

interface TryBytes {
  in: number;
  out: number;
}

/** Payload bytes per round try, summed from the coordinator's events between a try's start and its end. */
export class RoundBytesTally {
  private readonly tries = new Map<string, TryBytes>();
  private current: TryBytes | undefined;

  private static key(runId: number, round: number, attempt: number): string {
    return `${runId}/${round}/${attempt}`;
  }

  /** `runId`: the run in progress when the event happened (round numbers restart in each run). */
  record(event: CoordinatorEvent, runId: number): void {
    switch (event.type) {
      case "round_started": {
        const ref: RoundRef = event.ref;
        this.current = { in: 0, out: 0 };
        this.tries.set(RoundBytesTally.key(runId, ref.round, ref.attempt), this.current);
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

  of(
    runId: number,
    round: number,
    attempt: number,
  ): { readonly in: number; readonly out: number } | undefined {
    return this.tries.get(RoundBytesTally.key(runId, round, attempt));
  }
}

export interface LiveStatusInput {
  readonly config: FederationConfig;
  readonly coordinator: Coordinator;
  readonly revocations: () => Revocations;
  readonly bytes: RoundBytesTally;
}

export function liveStatusSources(input: LiveStatusInput): StatusSources {
  const { config, coordinator } = input;
  const runSource = (run: RunRecord): RunSource => {
    const settings = coordinator.configOf(run);
    const { dp } = settings;
    const current = coordinator.currentRun()?.runId === run.id;
    return {
      id: String(run.id),
      state: run.state,
      privacyMode: settings.privacy.mode,
      strategy: settings.strategy.name,
      trainingRounds: settings.rounds,
      siteLevelDp:
        dp?.level === "site" ? { noiseMultiplier: dp.noiseMultiplier, delta: dp.delta } : undefined,
      inProgress: current ? coordinator.inProgress() : undefined,
      rounds: coordinator.runState(run.id).rounds(),
      bytesOf: (round, attempt) => input.bytes.of(run.id, round, attempt),
    };
  };
  return {
    federation: config.name,
    runs: () => coordinator.runs().map(runSource),
    sites: () => {
      const runs = coordinator.runs();
      const picked = new Map(
        runs.map((run) => [String(run.id), coordinator.runState(run.id).trainingTriesPicked()]),
      );
      const connected = new Set<string>(coordinator.connectedSites());
      const revoked = input.revocations().fingerprints;
      const records = coordinator.records();
      const fingerprints = new Map(records.sites().map((site) => [site.siteId, site.fingerprint]));
      return records.siteViews().map((site) => {
        const status = coordinator.siteStatus(site.siteId);
        return {
          ...site,
          // As of the site's latest call, not the store's periodic refresh.
          lastSeen: status.lastSeen ?? site.lastSeen,
          online: connected.has(site.siteId),
          // The list itself, so a revocation shows at once, also between runs.
          standing: revoked.has(fingerprints.get(site.siteId) ?? "") ? "revoked" : status.standing,
          trainingTriesPicked: new Map(
            [...picked].map(([runId, counts]) => [runId, counts.get(site.siteId) ?? 0]),
          ),
        };
      });
    },
  };
}
