// The admin service: status, runs (submit, list, show, abort), rounds, sites, dropping a site and the audit
// log, for callers holding an admin certificate. Submitting and aborting a run and dropping a site are audited
// with the admin's name.
import type { FederationConfig } from "../config.ts";
import { ConfigError } from "../config.ts";
import { FederationError } from "../../proto/errors.ts";
import type { RunInfo } from "../../proto/admin-messages.ts";
import type { AdminHandlers } from "../../proto/rpc.ts";
import { parseRunSettings, readRunSettings } from "../run-settings.ts";
import type { RunRecord } from "../storage/store.ts";
import type { Coordinator } from "./coordinator.ts";

export function adminHandlers(config: FederationConfig, coordinator: Coordinator): AdminHandlers {
  const runs = (): readonly RunRecord[] => coordinator.runs();
  const info = (run: RunRecord): RunInfo => runInfo(config, coordinator, run);
  const find = (runId: number): RunRecord => {
    const run = runs().find((candidate) => candidate.id === runId);
    if (run === undefined) throw new FederationError("not_found", `no run with id ${runId}`);
    return run;
  };
  return {
    status: () => {
      const current = coordinator.currentRun()?.round.config ?? config;
      return Promise.resolve({
        federationName: config.name,
        privacyMode: current.privacy.mode,
        strategy: current.strategy.name,
        ...coordinator.status(),
      });
    },
    rounds: (_peer, request) => {
      const runId =
        request.runId === 0 ? (coordinator.currentRun()?.runId ?? runs().at(-1)?.id) : request.runId;
      if (runId === undefined) return Promise.resolve({ rounds: [] });
      const rounds = coordinator.runState(find(runId).id).rounds();
      return Promise.resolve({
        rounds: rounds.map((round) => ({ ...round, metrics: { ...round.metrics } })),
      });
    },
    sites: () =>
      Promise.resolve({
        sites: coordinator
          .records()
          .siteViews()
          .map((site) => ({ ...site, ...coordinator.siteStatus(site.siteId) })),
      }),
    audit: async function* (_peer, request) {
      for (const entry of coordinator.records().auditEntries(request.fromSeq)) yield entry;
      await Promise.resolve();
    },
    verifyAudit: () => Promise.resolve(coordinator.records().verifyAudit()),
    dropSite: (peer, request) => Promise.resolve(coordinator.dropSite(request.siteId, peer.name)),
    submitRun: (peer, request) => {
      let settings;
      try {
        settings = parseRunSettings(request.settingsText, request.source || "run.yaml", config);
      } catch (error) {
        // Every problem goes back to the operator; nothing was queued.
        if (error instanceof ConfigError)
          throw new FederationError("invalid_argument", error.problems.join("; ").slice(0, 1000));
        throw error;
      }
      return Promise.resolve(info(coordinator.submit(settings, peer.name)));
    },
    listRuns: () => Promise.resolve({ runs: runs().map(info) }),
    showRun: (_peer, request) => Promise.resolve(info(find(request.runId))),
    abortRun: async (peer, request) => info(await coordinator.abort(find(request.runId).id, peer.name)),
  };
}

function runInfo(config: FederationConfig, coordinator: Coordinator, run: RunRecord): RunInfo {
  const settings = run.settings === null ? undefined : readRunSettings(run.settings, run.id);
  return {
    runId: run.id,
    state: run.state,
    reason: run.reason ?? "",
    submittedBy: run.submittedBy,
    submittedAt: run.submittedAt,
    startedAt: run.startedAt ?? "",
    endedAt: run.endedAt ?? "",
    rounds: settings?.rounds ?? config.rounds,
    privacyMode: settings?.privacy.mode ?? config.privacy.mode,
    completedTrainingRounds: coordinator.runState(run.id).trainedRounds().length,
    settingsJson: JSON.stringify(run.settings),
  };
}
