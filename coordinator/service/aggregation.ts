// Per-round aggregation as updates stream in: plain sums, robust lists, SecAgg+ masked sums, CKKS sums.
import type { Logger } from "pino";
import { createFixedPointCodec, type FixedPointCodec } from "../../crypto/codec.ts";
import type { CkksContext } from "../../crypto/ckks/context.ts";
import { CkksAccumulator } from "../../crypto/ckks/aggregate.ts";
import { CryptoError } from "../../crypto/errors.ts";
import { createServer, serverReceive, type ServerState } from "../../crypto/secagg/server.ts";
import { prepareRound, type SecAggConfig } from "../../crypto/secagg/round.ts";
import { FederationError } from "../../proto/errors.ts";
import type { UpdateEncoding, UpdateHeader } from "../../proto/messages.ts";
import { addWeighted, emptySum, type WeightedSum, type WeightedUpdate } from "../strategies/index.ts";
import type { SiteId } from "../round/stages.ts";
import { asFloat32, asUint32 } from "../../proto/chunks.ts";

/**
 * What the coordinator holds for one training round try. Every `accept` validates its input fully
 * before touching the running state, so a refused upload changes nothing.
 */
export type TrainAggregator =
  | { readonly kind: "sum"; sum: WeightedSum; readonly losses: number[] }
  | { readonly kind: "individual"; readonly updates: WeightedUpdate[]; readonly losses: number[] }
  | {
      readonly kind: "secagg";
      server: ServerState;
      readonly config: SecAggConfig;
      readonly codec: FixedPointCodec;
      readonly maxExamples: number;
    }
  | { readonly kind: "he"; readonly accumulator: CkksAccumulator };

export function encodingOf(aggregator: TrainAggregator): UpdateEncoding {
  switch (aggregator.kind) {
    case "sum":
    case "individual":
      return "plain";
    case "secagg":
      return "masked";
    case "he":
      return "ciphertext";
  }
}

/** Elements (plain, masked) the upload must announce; undefined for encrypted bytes (checked on load). */
export function expectedLength(aggregator: TrainAggregator, vectorLength: number): number | undefined {
  switch (aggregator.kind) {
    case "sum":
    case "individual":
      return vectorLength;
    case "secagg":
      return aggregator.config.vectorLength;
    case "he":
      return undefined;
  }
}

export function createSecAggAggregator(
  config: SecAggConfig,
  clipRange: number,
  maxExamples: number,
): TrainAggregator {
  return {
    kind: "secagg",
    server: createServer(prepareRound(config)),
    config,
    codec: createFixedPointCodec({ clipRange, maxSummands: config.roster.length }),
    maxExamples,
  };
}

export function createHeAggregator(ckks: CkksContext, vectorLength: number): TrainAggregator {
  // One extra entry carries the weight w_k, as in secagg.
  return { kind: "he", accumulator: new CkksAccumulator(ckks, vectorLength + 1) };
}

export function createPlainAggregator(kind: "sum" | "individual", vectorLength: number): TrainAggregator {
  return kind === "sum"
    ? { kind: "sum", sum: emptySum(vectorLength), losses: [] }
    : { kind: "individual", updates: [], losses: [] };
}

/** Crypto refusals are the sender's fault: INVALID_ARGUMENT, or FAILED_PRECONDITION when out of stage. */
export function translateCryptoError(error: unknown): never {
  if (error instanceof CryptoError) {
    const outOfStage = ["wrong-stage", "wrong-round", "duplicate", "unknown-site"].includes(error.code);
    throw new FederationError(
      outOfStage ? "failed_precondition" : "invalid_argument",
      `update refused: ${error.code}`,
      error.message,
    );
  }
  throw error;
}

/** Folds one complete upload into the aggregator; throws (changing nothing) on bad content. */
export function acceptUpdate(
  aggregator: TrainAggregator,
  site: SiteId,
  header: UpdateHeader,
  bytes: Uint8Array,
): void {
  switch (aggregator.kind) {
    case "sum":
    case "individual": {
      const delta = asFloat32(bytes);
      for (let i = 0; i < delta.length; i++) {
        if (!Number.isFinite(delta[i]))
          throw new FederationError("invalid_argument", "update holds a non-finite value");
      }
      if (header.numExamples < 1)
        throw new FederationError("invalid_argument", "numExamples must be at least 1");
      const update = { delta, weight: header.numExamples };
      if (aggregator.kind === "sum") aggregator.sum = addWeighted(aggregator.sum, update);
      else aggregator.updates.push(update);
      aggregator.losses.push(header.trainLoss);
      return;
    }
    case "secagg":
      try {
        aggregator.server = serverReceive(aggregator.server, {
          kind: "masked-input-chunk",
          roundId: aggregator.config.roundId,
          siteId: site,
          offset: 0,
          values: asUint32(bytes),
        });
      } catch (error) {
        translateCryptoError(error);
      }
      return;
    case "he":
      try {
        aggregator.accumulator.add(bytes);
      } catch (error) {
        translateCryptoError(error);
      }
      return;
  }
}

/**
 * Σ w·Δ and Σ w from a decoded protected vector [w·Δ_1 … w·Δ_d, w] (weights n_k / maxExamples, so
 * Σ w·Δ / Σ w = Σ n_k·Δ_k / Σ n_k: ARCHITECTURE.md, weights stay private).
 */
export function weightedSumFromProtected(
  decoded: Float32Array | Float64Array,
  contributors: number,
): WeightedSum {
  const d = decoded.length - 1;
  const totalWeight = decoded[d] ?? 0;
  return { weightedSum: Float32Array.from(decoded.subarray(0, d)), totalWeight, contributors };
}

export function disposeAggregator(aggregator: TrainAggregator | undefined, logger: Logger): void {
  if (aggregator?.kind === "he") {
    try {
      aggregator.accumulator.dispose();
    } catch (error) {
      logger.warn({ err: error }, "could not free the CKKS accumulator");
    }
  }
}
