// Privacy mode he: threshold CKKS (docs/he-threshold.md). Uploads are summed as they stream in under the collective
// key no single party holds; t key holders decrypt the sum, for the coordinator (reveal: coordinator) or sealed
// to each site (reveal: sites, the coordinator never holds the global adapter).
import { CiphertextSumAccumulator } from "../../crypto/ckks/aggregate-stream.ts";
import {
  combineDecryptionShares,
  MIN_UPLOADS_FLOOR,
  secondPolynomials,
} from "../../crypto/ckks/threshold-decryption.ts";
import {
  createPolyTools,
  THRESHOLD_CKKS_PARAMS,
  type PolyTools,
} from "../../crypto/ckks/threshold-params.ts";
import { thresholdVectorExpectation } from "../../crypto/ckks/threshold-site.ts";
import { CkksFormatError, decodeEncryptedVector } from "../../crypto/ckks/wire.ts";
import { FederationError } from "../../proto/errors.ts";
import { blobHeader, blobParts, readKeyBlobs, type KeyBlob } from "../../proto/key-blobs.ts";
import { MAX_PARTICIPANTS } from "../../proto/limits.ts";
import type { HeSettings, RoundRef, UpdateHeader } from "../../proto/messages.ts";
import type { Strategy } from "../../strategies/index.ts";
import { decodeWeightedSum, MAX_EXAMPLES } from "../../strategies/weighted-update.ts";
import type { SiteId } from "../round/stages.ts";
import { exportAggregates } from "../service/he-export.ts";
import { HeDecryptions } from "../service/he-decryption.ts";
import { KeyCeremony } from "../service/key-ceremony.ts";
import { openSecAggEvaluationTry } from "./secagg.ts";
import { plainDriverBase, plainModeRpcs } from "./plain.ts";
import {
  isRefusal,
  NO_STEPS,
  refuseMetrics,
  refuseStageMessage,
  type ModeDriver,
  type ModeHost,
  type ModeTry,
  type PlainGlobal,
  type Refusal,
  type TryResult,
} from "./mode.ts";

/** One try: Σ Enc([w·Δ, w]) over the uploads, then a t-of-n decryption of the sum. */
class HeTry implements ModeTry {
  readonly kind = "he";
  secaggFor(): null {
    return null;
  }
  readonly upload = { stage: "collect_updates", encoding: "ciphertext", length: undefined } as const;
  private readonly accumulator: CiphertextSumAccumulator;
  /** The accepted uploads' c1s: a holder checks the aggregate's against them before it answers. */
  private readonly uploads: { siteId: SiteId; upload: Uint8Array }[] = [];

  constructor(
    private readonly tools: PolyTools,
    private readonly ref: RoundRef,
    readonly he: HeSettings,
    private readonly host: ModeHost,
    private readonly decryptions: HeDecryptions,
  ) {
    // One extra entry carries the weight w_k, as in secagg.
    this.accumulator = new CiphertextSumAccumulator(tools, host.vectorLength + 1);
  }

  /** A malformed ciphertext, or a partial sum passed off as an upload, throws and leaves the sum as it was. */
  acceptUpload(site: SiteId, _header: UpdateHeader, bytes: Uint8Array): void {
    const { header } = decodeEncryptedVector(
      bytes,
      thresholdVectorExpectation(this.tools, this.accumulator.length),
    );
    if (header.summands !== 1) throw new CkksFormatError("an upload is one site's vector (1 summand)");
    const c1s = secondPolynomials(this.tools, bytes);
    this.accumulator.add(bytes);
    this.uploads.push({ siteId: site, upload: c1s });
  }

  acceptStageMessage(): void {
    refuseStageMessage();
  }

  acceptMetrics(): void {
    refuseMetrics();
  }

  closeStage() {
    return NO_STEPS;
  }

  async finish(global: PlainGlobal | undefined, strategy: Strategy): Promise<TryResult | Refusal> {
    const minUploads = Math.max(MIN_UPLOADS_FLOOR, this.host.config.sitesPerRound.minimum);
    if (this.uploads.length < minUploads)
      return { refused: `too-few-sites: ${this.uploads.length} uploads, a decryption needs ${minUploads}` };
    const aggregate = this.accumulator.serialize();
    const shares = await this.decryptions.run({
      ref: this.ref,
      he: this.he,
      aggregate,
      uploads: this.uploads,
      minUploads,
    });
    if (isRefusal(shares)) return shares;
    if (this.he.reveal === "sites") {
      this.host.store.saveRoundShares(this.he.keyId, this.ref.round, shares);
      return { model: { kind: "encrypted", aggregate }, metrics: {} };
    }
    if (global === undefined || strategy.input === "individual") throw new Error("he needs a sum strategy");
    const decrypted = combineDecryptionShares(
      this.tools,
      aggregate,
      [...shares.values()].map((share) => share.body),
      this.he.threshold,
    );
    const step = strategy.apply(
      global.vector,
      decodeWeightedSum(decrypted, this.uploads.length),
      global.strategyState,
    );
    decrypted.fill(0);
    return { model: { kind: "plain", vector: step.global, strategyState: step.state }, metrics: {} };
  }

  dispose(): void {}
}

function* partsOf(blobs: readonly KeyBlob[]) {
  for (const blob of blobs) yield* blobParts(blob);
}

/** reveal "sites": per holder, its decryption share of `round` sealed once and that share's key sealed to `site`. */
function sealedRoundShares(host: ModeHost, ceremony: KeyCeremony, site: SiteId, round: number): KeyBlob[] {
  const { keyId } = ceremony.collectiveKey();
  const keys = host.store.roundShareKeys(keyId, round, site);
  if (keys === undefined)
    throw new FederationError("not_found", `no decryption shares of round ${round} for this site`);
  const ref = { round, attempt: 1 };
  return [...keys].flatMap(([holder, key]) => {
    const body = host.store.roundShareBody(round, holder);
    if (body === undefined) throw new FederationError("not_found", `no decryption share of ${holder}`);
    return [
      { header: blobHeader(keyId, "decryption-share", body, { ref, sealer: holder }), bytes: body },
      { header: blobHeader(keyId, "share-key", key, { ref, recipient: site, sealer: holder }), bytes: key },
    ];
  });
}

export function createHeDriver(host: ModeHost): ModeDriver {
  const ckks = host.ckks;
  if (ckks === undefined) throw new Error("he mode needs a CKKS context");
  const tools = createPolyTools(ckks, THRESHOLD_CKKS_PARAMS);
  const ceremony = new KeyCeremony(host, tools);
  const decryptions = new HeDecryptions(host, tools, ceremony);
  const reveal = host.config.privacy.he.reveal;

  const heSettings = (version: number): HeSettings => {
    const key = ceremony.collectiveKey();
    const strategy = host.config.strategy;
    return {
      keyId: key.keyId,
      versions: reveal === "sites" ? host.store.trainedRounds().filter((round) => round <= version) : [],
      serverLearningRate: "serverLearningRate" in strategy ? strategy.serverLearningRate : 1,
      maxExamples: MAX_EXAMPLES,
      threshold: key.threshold,
      reveal: key.reveal,
      holders: ceremony.keyHolders(key.holders),
    };
  };
  const roundShares = (site: SiteId, round: number): KeyBlob[] =>
    sealedRoundShares(host, ceremony, site, round);
  /** reveal "sites": a site can rebuild the global adapter only with shares of every trained round. */
  const canReplay = (site: SiteId): boolean => {
    const keyId = ceremony.collectiveKey().keyId;
    return host.store
      .trainedRounds()
      .every((round) => host.store.roundShareKeys(keyId, round, site) !== undefined);
  };
  const plain = plainDriverBase(host);

  return {
    mode: "he",
    plainGlobal: reveal === "coordinator",
    prepareRun: () => ceremony.ensure(),
    eligible: (online) => (reveal === "coordinator" ? [...online] : online.filter(canReplay)),
    stepOutsideRounds: (site) => ceremony.step(site) ?? decryptions.step(site),
    adapterDownload: async (version) => {
      if (reveal === "coordinator") return plain.adapterDownload(version);
      const checkpoint = await host.store.checkpoint(version);
      if (checkpoint?.model.kind !== "encrypted")
        throw new FederationError("not_found", `no encrypted aggregate for round ${version}`);
      return { bytes: checkpoint.model.aggregate, unit: 1 };
    },
    openTrainingTry: (input) =>
      new HeTry(tools, input.ref, heSettings(input.planned.baseVersion), host, decryptions),
    // Evaluation counts go through SecAgg+ (modes/secagg.ts, openSecAggEvaluationTry says why).
    openEvaluationTry: (input) => openSecAggEvaluationTry(host, input, heSettings(input.planned.baseVersion)),
    rpcs: {
      publishKeys: async (peer, parts, ctx) => {
        const blobs = await readKeyBlobs(parts, MAX_PARTICIPANTS + 1, ctx.signal);
        if (blobs[0]?.header.kind === "decryption-share") decryptions.accept(peer, blobs);
        else ceremony.accept(peer, blobs);
        return { note: "stored" };
      },
      fetchKeys: async function* (peer, request) {
        await Promise.resolve();
        switch (request.kind) {
          case "key-material":
            yield* partsOf(ceremony.keyMaterial(peer.name));
            return;
          case "decryption-input":
            yield* partsOf(decryptions.input(peer, request.ref));
            return;
          case "round-shares":
            yield* partsOf(roundShares(peer.name, request.ref?.round ?? 0));
            return;
        }
      },
      exportAggregates:
        reveal === "sites"
          ? (peer, request, ctx) => exportAggregates(host, heSettings, roundShares, peer, request.round, ctx)
          : plainModeRpcs(host).exportAggregates,
    },
  };
}
