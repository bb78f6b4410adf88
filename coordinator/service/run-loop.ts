// The run loop: resume from the store, prepare the mode, run the plan's rounds, and record how the run ended.
import { FederationError } from "../../proto/errors.ts";
import type { DurableState } from "./durable-state.ts";
import type { RunSummary } from "./records.ts";
import type { RoundContext } from "./round-context.ts";
import { runPlannedRound } from "./round-runner.ts";

/** Runs the plan from the first round not yet completed; resolves when done, failed or stopped. */
export async function runFederation(round: RoundContext): Promise<RunSummary> {
  const { config, store, deps } = round;
  const latest = await store.resume();
  if (round.driver.plainGlobal) {
    round.global =
      latest?.model.kind === "plain"
        ? { version: latest.version, vector: latest.model.vector, strategyState: latest.model.strategyState }
        : {
            version: 0,
            vector: deps.initialGlobal,
            strategyState: deps.strategy.initialState(deps.vectorLength),
          };
  }
  const completed = store.completedRounds();
  round.state = { phase: "idle", completedRounds: completed.size };
  if (config.privacy.mode === "none") {
    round.logger.warn("privacy mode none: the coordinator sees every site's update in the clear");
  }
  store.audit("run_started", {
    federation: config.name,
    privacyMode: config.privacy.mode,
    strategy: config.strategy.name,
    resumeAfter: completed.size,
  });
  try {
    await round.driver.prepareRun();
    for (const planned of round.plan) {
      if (completed.has(planned.round)) continue;
      const outcome = await runPlannedRound(round, planned);
      if (outcome !== undefined) return finish(round, "failed", outcome);
      completed.add(planned.round);
    }
    return finish(round, "completed", "");
  } catch (error) {
    if (round.stopped) return summary(round, "stopped", "stopped");
    // A run that cannot go on (no sites, a failed key ceremony) ends as "failed", with the reason.
    if (error instanceof FederationError) return finish(round, "failed", error.message);
    throw error;
  }
}

export function summary(round: RoundContext, outcome: RunSummary["outcome"], reason: string): RunSummary {
  return storedSummary(round.store, outcome, reason);
}

/** A run's summary from its stored rounds. */
export function storedSummary(
  store: DurableState,
  outcome: RunSummary["outcome"],
  reason: string,
): RunSummary {
  const rounds = store.rounds();
  const completedRounds = rounds.filter((r) => r.outcome === "completed").length;
  const trained = rounds.filter((r) => r.outcome === "completed" && r.kind === "train").map((r) => r.round);
  return { outcome, completedRounds, rounds, finalVersion: Math.max(0, ...trained), reason };
}

function finish(round: RoundContext, outcome: "completed" | "failed", reason: string): RunSummary {
  const result = summary(round, outcome, reason);
  round.state = { phase: "finished", completedRounds: result.completedRounds };
  round.store.audit("run_finished", { outcome, reason, completedRounds: result.completedRounds });
  round.emit({ type: "finished", completedRounds: result.completedRounds, outcome, reason });
  round.notify();
  return result;
}
