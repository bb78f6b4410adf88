// Privacy mode none: updates in the clear (TLS only), summed as they arrive or kept for a robust rule.
import { FederationError } from "../../proto/errors.ts";
import { asFloat32 } from "../../proto/chunks.ts";
import type { PollResponse, UpdateHeader } from "../../proto/messages.ts";
import {
  addWeighted,
  emptySum,
  STRATEGY_INPUT,
  type Strategy,
  type WeightedSum,
  type WeightedUpdate,
} from "../../strategies/index.ts";
import type { SiteId } from "../round/stages.ts";
import { openPlainEvaluationTry } from "./evaluation.ts";
import {
  NO_STEPS,
  refuseMetrics,
  refuseStageMessage,
  type ModeDriver,
  type ModeHost,
  type ModeRpcs,
  type ModeTry,
  type PlainGlobal,
  type Refusal,
  type TryResult,
} from "./mode.ts";

/** The he-only RPCs, refused in the modes where the coordinator holds the global adapter. */
export function plainModeRpcs(host: ModeHost): ModeRpcs {
  return {
    publishKeys: () =>
      Promise.reject(
        new FederationError(
          "failed_precondition",
          "this federation does not run in privacy mode he: there are no keys to publish",
        ),
      ),
    // eslint-disable-next-line require-yield -- refuses before the first part
    fetchKeys: async function* () {
      await Promise.resolve();
      throw new FederationError(
        "not_found",
        "this federation does not run in privacy mode he: no key material",
      );
    },
    // eslint-disable-next-line require-yield -- refuses before the first part
    exportAggregates: async function* () {
      await Promise.resolve();
      throw new FederationError(
        "failed_precondition",
        `this federation runs in privacy mode ${host.config.privacy.mode}: its global adapter is exported at the coordinator (fedtune export --config)`,
      );
    },
  };
}

/** What the modes whose global adapter the coordinator holds in the clear (none, secagg) share. */
export function plainDriverBase(
  host: ModeHost,
): Omit<ModeDriver, "mode" | "openTrainingTry" | "openEvaluationTry"> {
  return {
    plainGlobal: true,
    prepareRun: () => Promise.resolve(),
    eligible: (online) => [...online],
    stepOutsideRounds: () => undefined,
    adapterDownload: async (version) => {
      const vector = await host.plainGlobal(version);
      return { bytes: new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength), unit: 4 };
    },
    rpcs: plainModeRpcs(host),
  };
}

/** Plain updates: a running weighted sum (sum strategies) or the list of updates (robust rules). */
class PlainTry implements ModeTry {
  readonly kind = "plain";
  secaggFor(): null {
    return null;
  }
  readonly he = null;
  readonly upload;
  private sum: WeightedSum;
  private readonly updates: WeightedUpdate[] = [];
  private readonly losses: number[] = [];

  constructor(
    private readonly keepIndividual: boolean,
    vectorLength: number,
  ) {
    this.sum = emptySum(vectorLength);
    this.upload = { stage: "collect_updates", encoding: "plain", length: vectorLength } as const;
  }

  acceptUpload(_site: SiteId, header: UpdateHeader, bytes: Uint8Array): void {
    const delta = asFloat32(bytes);
    for (let i = 0; i < delta.length; i++) {
      if (!Number.isFinite(delta[i]))
        throw new FederationError("invalid_argument", "update holds a non-finite value");
    }
    if (header.numExamples < 1)
      throw new FederationError("invalid_argument", "numExamples must be at least 1");
    const update = { delta, weight: header.numExamples };
    if (this.keepIndividual) this.updates.push(update);
    else this.sum = addWeighted(this.sum, update);
    this.losses.push(header.trainLoss);
  }

  acceptStageMessage(): void {
    refuseStageMessage();
  }

  acceptMetrics(): void {
    refuseMetrics();
  }

  closeStage(): ReadonlyMap<SiteId, PollResponse> {
    return NO_STEPS;
  }

  finish(global: PlainGlobal | undefined, strategy: Strategy): TryResult | Refusal {
    if (global === undefined) throw new Error("plain aggregation without a global adapter");
    const step =
      strategy.input === "individual"
        ? strategy.apply(global.vector, this.updates, global.strategyState)
        : strategy.apply(global.vector, this.sum, global.strategyState);
    const losses = this.losses;
    const metrics =
      losses.length > 0 ? { train_loss: losses.reduce((a, b) => a + b, 0) / losses.length } : {};
    return { model: { kind: "plain", vector: step.global, strategyState: step.state }, metrics };
  }

  dispose(): void {}
}

export function createPlainDriver(host: ModeHost): ModeDriver {
  const keepIndividual = STRATEGY_INPUT[host.config.strategy.name] === "individual";
  return {
    mode: "none",
    ...plainDriverBase(host),
    openTrainingTry: () => new PlainTry(keepIndividual, host.vectorLength),
    openEvaluationTry: openPlainEvaluationTry,
  };
}
