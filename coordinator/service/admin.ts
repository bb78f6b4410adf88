// The admin service: status, rounds, sites, the audit log and dropping a site, for callers holding an admin certificate.
import type { FederationConfig } from "../config.ts";
import type { AdminHandlers } from "../../proto/rpc.ts";
import type { Coordinator } from "./coordinator.ts";
import type { DurableState } from "./durable-state.ts";

export function adminHandlers(
  config: FederationConfig,
  coordinator: Coordinator,
  store: DurableState,
): AdminHandlers {
  return {
    status: () =>
      Promise.resolve({
        federationName: config.name,
        privacyMode: config.privacy.mode,
        strategy: config.strategy.name,
        ...coordinator.status(),
      }),
    rounds: () =>
      Promise.resolve({
        rounds: store.rounds().map((round) => ({ ...round, metrics: { ...round.metrics } })),
      }),
    sites: () =>
      Promise.resolve({
        sites: store.siteViews().map((site) => ({ ...site, ...coordinator.siteStatus(site.siteId) })),
      }),
    audit: async function* (_peer, request) {
      for (const entry of store.auditEntries(request.fromSeq)) yield entry;
      await Promise.resolve();
    },
    verifyAudit: () => Promise.resolve(store.verifyAudit()),
    dropSite: (peer, request) => Promise.resolve(coordinator.dropSite(request.siteId, peer.name)),
  };
}
