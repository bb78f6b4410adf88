// The site's Poll steps: long-polls, a step pushed back for the main loop, and once-only delivery of each step.
import type { LedgerReport, PollResponse, RoundRef } from "../../proto/messages.ts";
import { STAGE_OF_STEP, type SecAggPollStep, type SecAggStepName } from "../../proto/secagg-steps.ts";
import { LeaveRound, type SiteSession } from "./session.ts";

/**
 * The round try a step belongs to; undefined for steps outside rounds (wait, finished, he key steps: a
 * decryption step is handed again only until answered, so a failed answer can be retried).
 */
export function stepRef(step: PollResponse): RoundRef | undefined {
  switch (step.step) {
    case "train":
      return step.train.ref;
    case "eval":
      return step.eval.ref;
    case "shareKeys":
      return step.shareKeys.ref;
    case "maskedInput":
      return step.maskedInput.ref;
    case "consistency":
      return step.consistency.ref;
    case "unmask":
      return step.unmask.ref;
    case "wait":
    case "finished":
    case "keyCeremony":
    case "decrypt":
      return undefined;
  }
}

export class StepInbox {
  private pushedBack: PollResponse | undefined;
  /** Steps taken so far, as "kind round.attempt": the coordinator repeats a step until it is answered. */
  private readonly taken = new Set<string>();

  constructor(
    private readonly session: SiteSession,
    /** What the site's privacy ledger holds, sent with every poll (LedgerFile.report). */
    private readonly ledgerReport: () => LedgerReport | null,
  ) {}

  async next(): Promise<PollResponse> {
    const pushed = this.pushedBack;
    if (pushed !== undefined) {
      this.pushedBack = undefined;
      return pushed;
    }
    const { session } = this;
    const waitMs = session.options.pollWaitMs ?? 10_000;
    return session.withBackoff("poll", () =>
      session.connection.federation.poll(
        { waitMs, ledger: this.ledgerReport() },
        { deadlineMs: waitMs + 10_000, signal: session.signal },
      ),
    );
  }

  /** Whether this site already took `step` (same kind, round and try); marks it taken otherwise. */
  repeated(step: PollResponse): boolean {
    const ref = stepRef(step);
    if (ref === undefined) return false;
    const key = `${step.step} ${ref.round}.${ref.attempt}`;
    if (this.taken.has(key)) return true;
    this.taken.add(key);
    return false;
  }

  /** Polls until the next SecAgg step of this try arrives; any other step means the try is over. */
  async awaitStep<K extends SecAggStepName>(
    ref: RoundRef,
    kind: K,
  ): Promise<Extract<SecAggPollStep, { step: K }>> {
    for (;;) {
      const step = await this.next();
      if (step.step === "wait") continue;
      const stepOf = stepRef(step);
      if (step.step === kind && stepOf?.round === ref.round && stepOf.attempt === ref.attempt) {
        this.repeated(step);
        return step as Extract<SecAggPollStep, { step: K }>;
      }
      this.pushedBack = step;
      throw new LeaveRound(
        STAGE_OF_STEP[kind],
        `round ${ref.round} try ${ref.attempt} ended before its ${kind} step`,
      );
    }
  }
}
