// Privacy mode secagg: the SecAgg+ server stage at the coordinator (Bonawitz et al. 2017, Fig. 4; Bell et al. 2020).
import { createFixedPointCodec, type FixedPointCodec } from "../../crypto/codec.ts";
import { protectedEntryRange } from "../../crypto/dp/distributed-noise.ts";
import { CryptoError } from "../../crypto/errors.ts";
import type { NeighbourGraph } from "../../crypto/secagg/graph.ts";
import { prepareRound, type SecAggConfig } from "../../crypto/secagg/round.ts";
import {
  createServer,
  serverCloseStage,
  serverReceive,
  type ServerState,
} from "../../crypto/secagg/server.ts";
import { asUint32 } from "../../proto/chunks.ts";
import { FederationError } from "../../proto/errors.ts";
import type {
  HeSettings,
  PollResponse,
  RosterEntry,
  SecAggSettings,
  UpdateHeader,
} from "../../proto/messages.ts";
import {
  clientMessageOf,
  pollStepOf,
  secAggConfigOf,
  secAggSettingsFor,
  uncertifiedRoster,
  type SecAggStageCall,
} from "../../proto/secagg-steps.ts";
import { EVAL_CLIP_RANGE, EVAL_VECTOR_LENGTH } from "../../strategies/eval-report.ts";
import type { Strategy } from "../../strategies/index.ts";
import { decodeWeightedSum, MAX_EXAMPLES } from "../../strategies/weighted-update.ts";
import { resolveSecAggParameters, updateClipNormOf } from "../config.ts";
import type { Running, SiteId } from "../round/stages.ts";
import { certifiedPeerOf } from "../service/records.ts";
import { evaluationResult } from "./evaluation.ts";
import { plainDriverBase } from "./plain.ts";
import {
  refuseMetrics,
  type ModeDriver,
  type ModeHost,
  type ModeTry,
  type PlainGlobal,
  type Refusal,
  type TryInput,
  type TryResult,
} from "./mode.ts";

/** Bound on each protected coordinate: the update clip norm (an L2 bound bounds every entry), widened for DP noise. */
export function updateClipRange(host: ModeHost): number {
  const { config } = host;
  if (config.dp?.level === "site" && config.dp.noiseMultiplier > 0) {
    const { clipNorm, noiseMultiplier } = config.dp;
    return protectedEntryRange(clipNorm, {
      clipNorm,
      noiseMultiplier,
      minSurvivors: config.sitesPerRound.minimum,
    });
  }
  return protectedEntryRange(updateClipNormOf(config), undefined);
}

/** The SecAgg+ settings a try's task carries: roster with identity keys, threshold, degree, codec range. */
export function secAggSettings(
  host: ModeHost,
  input: TryInput,
  vectorLength: number,
  clipRange: number,
): SecAggSettings {
  const { participants, ref } = input;
  const { neighbourDegree, threshold } = resolveSecAggParameters(
    participants.length,
    host.config.privacy.secagg,
  );
  const sessionId = new Uint8Array(32);
  host.rng.fill(sessionId);
  return {
    // Unique per try, bound into every SecAgg+ signature and derived key.
    roundId: ref.round * 1000 + ref.attempt,
    sessionId,
    threshold,
    degree: neighbourDegree,
    vectorLength,
    clipRange,
    maxSummands: participants.length,
    maxExamples: MAX_EXAMPLES,
    // Each participant's keys with its certificate and signature, as it sent them at Join: the sites
    // verify them against the CA, so the coordinator cannot substitute a key of its own. Each site's
    // task keeps the certificates of its own entry and its neighbours' only (SecAggTry.secaggFor).
    roster: participants.map((siteId) => {
      const record = host.record(siteId);
      if (record === undefined) throw new FederationError("internal", `no record of participant ${siteId}`);
      return certifiedPeerOf(record);
    }),
  };
}

/**
 * One SecAgg+ session over the try's participants: stage messages go to the SecAgg+ server state
 * machine (crypto/secagg/server.ts), the masked input arrives as an upload, and the server's messages of
 * each next stage become Poll steps. `finishSum` turns the decoded sum into the try's result: the
 * strategy's step (training in secagg mode) or the evaluation totals (secagg and he modes).
 */
export class SecAggTry implements ModeTry {
  readonly kind = "secagg";
  readonly upload;
  private server: ServerState;
  private readonly config: SecAggConfig;
  private readonly graph: NeighbourGraph;
  private readonly bareRoster: readonly RosterEntry[];
  private readonly codec: FixedPointCodec;

  constructor(
    private readonly secagg: SecAggSettings,
    /** he mode's evaluation: how the sites rebuild the global adapter they score. */
    readonly he: HeSettings | null,
    private readonly finishSum: (
      decoded: Float32Array,
      survivors: number,
      global: PlainGlobal | undefined,
      strategy: Strategy,
    ) => TryResult,
  ) {
    this.config = secAggConfigOf(secagg);
    const round = prepareRound(this.config);
    this.graph = round.graph;
    this.bareRoster = uncertifiedRoster(secagg);
    this.server = createServer(round);
    this.codec = createFixedPointCodec({ clipRange: secagg.clipRange, maxSummands: secagg.roster.length });
    this.upload = { stage: "masked_input", encoding: "masked", length: secagg.vectorLength } as const;
  }

  secaggFor(site: SiteId): SecAggSettings {
    return secAggSettingsFor(this.secagg, this.bareRoster, this.graph, site);
  }

  acceptUpload(site: SiteId, _header: UpdateHeader, bytes: Uint8Array): void {
    this.server = serverReceive(this.server, {
      kind: "masked-input-chunk",
      roundId: this.config.roundId,
      siteId: site,
      offset: 0,
      values: asUint32(bytes),
    });
  }

  acceptStageMessage(site: SiteId, call: SecAggStageCall): void {
    this.server = serverReceive(this.server, clientMessageOf(call, this.config.roundId, site));
  }

  acceptMetrics(): void {
    refuseMetrics();
  }

  closeStage(state: Running, nextDeadlineMs: number): ReadonlyMap<SiteId, PollResponse> | Refusal {
    let transition;
    try {
      transition = serverCloseStage(this.server);
    } catch (error) {
      if (error instanceof CryptoError)
        return { refused: `secure aggregation refused to go on: ${error.code}` };
      throw error;
    }
    this.server = transition.state;
    const steps = new Map<SiteId, PollResponse>();
    for (const message of transition.messages)
      steps.set(message.recipient, pollStepOf(message, state.ref, nextDeadlineMs));
    return steps;
  }

  finish(global: PlainGlobal | undefined, strategy: Strategy): TryResult | Refusal {
    const server = this.server;
    if (server.stage !== "done") throw new Error("secure aggregation did not finish");
    const decoded = this.codec.decodeSum(server.sum, server.survivors.length);
    return this.finishSum(decoded, server.survivors.length, global, strategy);
  }

  dispose(): void {}
}

/** The training result of a SecAgg+ sum [Σw·Δ, Σw]: the strategy's step from the weighted sum. */
function applyStrategy(
  decoded: Float32Array,
  survivors: number,
  global: PlainGlobal | undefined,
  strategy: Strategy,
): TryResult {
  if (global === undefined || strategy.input === "individual") throw new Error("secagg needs a sum strategy");
  const step = strategy.apply(global.vector, decodeWeightedSum(decoded, survivors), global.strategyState);
  return { model: { kind: "plain", vector: step.global, strategyState: step.state }, metrics: {} };
}

/**
 * An evaluation try under SecAgg+: the sites' count vectors (strategies/eval-report.ts) are summed like
 * training updates, so the coordinator learns the consortium's totals only. he mode uses it too: the
 * coordinator must read the totals, which under CKKS would take the key holders' decryption of a
 * ciphertext many times the size of the five counts.
 */
export function openSecAggEvaluationTry(host: ModeHost, input: TryInput, he: HeSettings | null): ModeTry {
  return new SecAggTry(
    secAggSettings(host, input, EVAL_VECTOR_LENGTH, EVAL_CLIP_RANGE),
    he,
    evaluationResult,
  );
}

export function createSecAggDriver(host: ModeHost): ModeDriver {
  return {
    mode: "secagg",
    ...plainDriverBase(host),
    openTrainingTry: (input) =>
      new SecAggTry(
        secAggSettings(host, input, host.vectorLength + 1, updateClipRange(host)),
        null,
        applyStrategy,
      ),
    openEvaluationTry: (input) => openSecAggEvaluationTry(host, input, null),
  };
}

/** Crypto refusals keep their CryptoError; the gRPC edge translates them (coordinator/transport/edge.ts). */
export function requireSecAgg(work: ModeTry): void {
  if (work.kind !== "secagg")
    throw new FederationError("failed_precondition", "this round does not use secure aggregation");
}
