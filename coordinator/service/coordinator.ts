// The coordinator service: one round context shared by the run loop and the Federation handlers.
import type { FederationHandlers } from "../../proto/rpc.ts";
import type { SiteId } from "../round/stages.ts";
import type { StageInProgress } from "../status/snapshot.ts";
import type { RunSummary } from "./records.ts";
import { RoundContext, type CoordinatorDeps } from "./round-context.ts";
import { federationHandlers } from "./rpc-handlers.ts";
import { runFederation } from "./run-loop.ts";

export type { CoordinatorDeps };

export class Coordinator {
  private readonly round: RoundContext;
  readonly handlers: FederationHandlers;

  constructor(deps: CoordinatorDeps) {
    this.round = new RoundContext(deps);
    this.handlers = federationHandlers(this.round);
  }

  /** Runs the plan from the first round not yet completed; resolves when done, failed or stopped. */
  run(): Promise<RunSummary> {
    return runFederation(this.round);
  }

  /**
   * After the run: resolves once every site seen recently has been told the federation finished
   * (so that it exits instead of retrying), or after `timeoutMs`.
   */
  async drain(timeoutMs: number): Promise<void> {
    const round = this.round;
    const expected = round.onlineSites();
    await round.waitFor(
      () => (expected.every((site) => round.informed.has(site)) ? true : undefined),
      timeoutMs,
    );
  }

  /** Stops driving rounds; in-flight calls are refused from now on. */
  stop(): void {
    this.round.stop();
  }

  /** For the admin service. */
  status(): {
    round: number;
    attempt: number;
    stage: string;
    completedRounds: number;
    totalRounds: number;
    sitesJoined: number;
    sitesOnline: number;
  } {
    const { state, store, plan, sites } = this.round;
    const running = state.phase === "running" ? state : undefined;
    return {
      round: running?.ref.round ?? 0,
      attempt: running?.ref.attempt ?? 0,
      stage: running?.stage.name ?? state.phase,
      completedRounds: store.completedRounds().size,
      totalRounds: plan.length,
      sitesJoined: sites.size,
      sitesOnline: sites.online().length,
    };
  }

  /** The round try and stage in progress with its deadline, for the status page. */
  inProgress(): StageInProgress | undefined {
    const { state } = this.round;
    if (state.phase !== "running") return undefined;
    return {
      round: state.ref.round,
      attempt: state.ref.attempt,
      kind: state.kind,
      stage: state.stage.name,
      deadlineAt: new Date(state.stage.deadlineAt).toISOString(),
    };
  }

  onlineSites(): SiteId[] {
    return this.round.onlineSites();
  }
}
