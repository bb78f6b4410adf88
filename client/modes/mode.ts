// What a privacy mode does at a site (STYLE.md item 15): protect the update, answer the stage steps, recover
// the global adapter. One file per mode; client/modes/select.ts picks one at Join.
import type { EvalTask, HeSettings, TrainTask } from "../../proto/messages.ts";
import type { PrivatizedUpdate } from "../node/privacy.ts";
import type { SiteSession } from "../node/session.ts";
import type { StepInbox } from "../node/steps.ts";
import type { LocalEvaluation } from "../node/trainer.ts";

export interface SiteMode {
  /** The global adapter of `version`: downloaded, or in he mode rebuilt from the encrypted aggregates. */
  globalAt(version: number, he: HeSettings | null): Promise<Float32Array>;
  /** Protects this site's (privatized) update of a training task and delivers it, answering any stage steps. */
  contribute(task: TrainTask, update: PrivatizedUpdate): Promise<void>;
  /** Reports this site's evaluation of an eval task under the round's protection (its counts, not its figures). */
  reportEvaluation(task: EvalTask, evaluation: LocalEvaluation): Promise<void>;
  /** Frees what the mode holds (CKKS keys). */
  dispose(): void;
}

/** What a mode works with: the session (connection, rng, fault hooks, protect time) and the Poll inbox. */
export interface SiteModeContext {
  readonly session: SiteSession;
  readonly steps: StepInbox;
}
