// Privacy mode none at a site: the update in the clear (TLS only), the global adapter downloaded as float32.
import { asFloat32, chunkBytes } from "../../proto/chunks.ts";
import { FLOAT_CHUNK_ELEMENTS } from "../../proto/limits.ts";
import type { EvalTask, TrainTask } from "../../proto/messages.ts";
import type { PrivatizedUpdate } from "../node/privacy.ts";
import type { SiteSession } from "../node/session.ts";
import type { LocalEvaluation } from "../node/trainer.ts";
import { fetchAdapterBytes, float32Bytes, submitUpdate } from "../node/upload.ts";
import type { SiteMode, SiteModeContext } from "./mode.ts";

/** The plaintext global adapter of the modes where the coordinator holds it (none, secagg), cached by version. */
export class PlainGlobalCache {
  private current: { version: number; vector: Float32Array } | undefined;

  constructor(private readonly session: SiteSession) {}

  async at(version: number): Promise<Float32Array> {
    if (this.current?.version === version) return this.current.vector;
    const length = this.session.trainer().vectorLength;
    const bytes = await fetchAdapterBytes(this.session, version, length * 4, 4);
    const vector = Float32Array.from(asFloat32(bytes));
    this.current = { version, vector };
    return vector;
  }
}

export function createPlainMode({ session }: SiteModeContext): SiteMode {
  const global = new PlainGlobalCache(session);
  return {
    globalAt: (version) => global.at(version),
    async contribute(task: TrainTask, update: PrivatizedUpdate): Promise<void> {
      await session.stage("submit", task.ref);
      const { delta } = update;
      await submitUpdate(
        session,
        {
          ref: task.ref,
          encoding: "plain",
          length: delta.length,
          // Under client-level DP every site weighs 1.
          numExamples: update.numExamples > 0 ? update.numExamples : 1,
          trainLoss: update.trainLoss,
        },
        chunkBytes(float32Bytes(delta), FLOAT_CHUNK_ELEMENTS * 4, 4),
      );
    },
    // Mode none: the figures travel in the clear (TLS only), like the updates.
    async reportEvaluation(task: EvalTask, evaluation: LocalEvaluation): Promise<void> {
      await session.connection.federation.submitMetrics(
        { ref: task.ref, numExamples: evaluation.numExamples, metrics: { ...evaluation.metrics } },
        session.unaryOptions(),
      );
    },
    dispose: () => undefined,
  };
}
