// Privacy mode he: CKKS ciphertexts summed at the coordinator, which never holds the key (crypto/ckks/aggregate.ts).
import { CkksAccumulator } from "../../crypto/ckks/aggregate.ts";
import type { CkksContext } from "../../crypto/ckks/context.ts";
import { FederationError } from "../../proto/errors.ts";
import type { HeSettings, PollResponse, UpdateHeader } from "../../proto/messages.ts";
import type { SiteId } from "../round/stages.ts";
import { exportAggregates } from "../service/he-export.ts";
import { KeyCeremony } from "../service/key-ceremony.ts";
import { openSecAggEvaluationTry } from "./secagg.ts";
import {
  NO_STEPS,
  refuseMetrics,
  refuseStageMessage,
  type ModeDriver,
  type ModeHost,
  type ModeTry,
  type TryResult,
} from "./mode.ts";

/** The CKKS aggregation at the coordinator: Σ Enc([w·Δ, w]) over the try's uploads, kept encrypted. */
class HeTry implements ModeTry {
  readonly kind = "he";
  readonly secagg = null;
  readonly upload = { stage: "collect_updates", encoding: "ciphertext", length: undefined } as const;
  private readonly accumulator: CkksAccumulator;

  constructor(
    ckks: CkksContext,
    vectorLength: number,
    readonly he: HeSettings,
    private readonly host: ModeHost,
  ) {
    // One extra entry carries the weight w_k, as in secagg.
    this.accumulator = new CkksAccumulator(ckks, vectorLength + 1);
  }

  /** A malformed ciphertext throws a CryptoError and leaves the sum as it was. */
  acceptUpload(_site: SiteId, _header: UpdateHeader, bytes: Uint8Array): void {
    this.accumulator.add(bytes);
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

  finish(): TryResult {
    return { model: { kind: "encrypted", aggregate: this.accumulator.serialize() }, metrics: {} };
  }

  dispose(): void {
    try {
      this.accumulator.dispose();
    } catch (error) {
      this.host.logger.warn({ err: error }, "could not free the CKKS accumulator");
    }
  }
}

export function createHeDriver(host: ModeHost): ModeDriver {
  const ckks = host.ckks;
  if (ckks === undefined) throw new Error("he mode needs a CKKS context");
  const ceremony = new KeyCeremony(host);
  return {
    mode: "he",
    plainGlobal: false,
    prepareRun: () => ceremony.ensure(),
    eligible: (online) => ceremony.eligible(online),
    stepOutsideRounds: (site) => ceremony.step(site),
    adapterDownload: async (version) => {
      const checkpoint = await host.store.checkpoint(version);
      if (checkpoint?.model.kind !== "encrypted")
        throw new FederationError("not_found", `no encrypted aggregate for round ${version}`);
      return { bytes: checkpoint.model.aggregate, unit: 1 };
    },
    openTrainingTry: (input) =>
      new HeTry(ckks, host.vectorLength, ceremony.heSettings(input.planned.baseVersion), host),
    // Evaluation counts go through SecAgg+ (modes/secagg.ts, openSecAggEvaluationTry says why).
    openEvaluationTry: (input) =>
      openSecAggEvaluationTry(host, input, ceremony.heSettings(input.planned.baseVersion)),
    rpcs: {
      publishKeys: (peer, parts, ctx) => ceremony.publishKeys(peer, parts, ctx),
      fetchKeys: (peer, request) => ceremony.fetchKeys(peer, request.keyId),
      exportAggregates: (peer, request, ctx) =>
        exportAggregates(host, (version) => ceremony.heSettings(version), peer, request.round, ctx),
    },
  };
}
