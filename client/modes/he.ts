// Privacy mode he at a site: encrypt [w·Δ, w] under the collective CKKS key (threshold CKKS), and recover the
// global adapter: downloaded (reveal: coordinator), or rebuilt by replaying the aggregates with FedAvg (reveal: sites).
import { createThresholdEncryptor, type ThresholdEncryptor } from "../../crypto/ckks/threshold-site.ts";
import { chunkBytes } from "../../proto/chunks.ts";
import { FederationError } from "../../proto/errors.ts";
import { MAX_CHUNK_BYTES } from "../../proto/limits.ts";
import type { EvalTask, HeSettings, TrainTask } from "../../proto/messages.ts";
import { decodeWeightedSum, encodeWeightedUpdate } from "../../strategies/weighted-update.ts";
import { fedAvg } from "../../strategies/fedavg.ts";
import { decryptWithShares, fetchCollectiveKey, fetchRoundShares, heTools } from "../node/he-keys.ts";
import type { PrivatizedUpdate } from "../node/privacy.ts";
import type { SiteSession } from "../node/session.ts";
import type { LocalEvaluation } from "../node/trainer.ts";
import { fetchAdapterBytes, submitUpdate } from "../node/upload.ts";
import { PlainGlobalCache } from "./plain.ts";
import type { SiteMode, SiteModeContext } from "./mode.ts";
import { reportEvaluationSecurely } from "./secagg.ts";

/**
 * One he-mode replay step (FedAvg, ARCHITECTURE.md "One round, as data", step 4): from a decrypted
 * aggregate [Σw·Δ, Σw], global + η · Σw·Δ / Σw — the same FedAvg the coordinator applies in the other
 * modes (strategies/fedavg.ts). Shared by the site client and the site-side export.
 */
export function replayAggregate(
  global: Float32Array,
  decrypted: Float64Array,
  serverLearningRate: number,
  round: number,
): Float32Array {
  const totalWeight = decrypted[global.length] ?? 0;
  if (decrypted.length !== global.length + 1 || !(totalWeight > 0))
    throw new FederationError("internal", `aggregate of round ${round} has no weight`);
  const strategy = fedAvg("fedavg", serverLearningRate);
  return strategy.apply(global, decodeWeightedSum(decrypted, 0), strategy.initialState(global.length)).global;
}

class HeSiteMode implements SiteMode {
  private encryptor: { keyId: string; encryptor: ThresholdEncryptor } | undefined;
  private global: { version: number; vector: Float32Array } | undefined;
  private readonly plainGlobal: PlainGlobalCache;

  private readonly session: SiteSession;

  constructor(private readonly context: SiteModeContext) {
    this.session = context.session;
    this.plainGlobal = new PlainGlobalCache(context.session);
  }

  /** An encryptor under the collective key, checked against the signed transcript first (client/node/he-keys.ts). */
  private async encryptorFor(he: HeSettings): Promise<ThresholdEncryptor> {
    if (this.encryptor?.keyId === he.keyId) return this.encryptor.encryptor;
    const { session } = this;
    const tools = heTools(await session.ckks());
    const publicKey = await fetchCollectiveKey(
      session.connection.federation,
      session.streamOptions(),
      tools,
      { ...he, holders: session.certifiedPeers(he.holders) },
    );
    this.encryptor?.encryptor.dispose();
    this.encryptor = { keyId: he.keyId, encryptor: createThresholdEncryptor(tools, publicKey) };
    return this.encryptor.encryptor;
  }

  /**
   * reveal "coordinator": the coordinator holds the global adapter, downloaded as in the plain modes. reveal
   * "sites": starting from the seeded version 0, replay every completed training round's aggregate, decrypted
   * with the t decryption shares sealed to this site, with FedAvg.
   */
  async globalAt(version: number, he: HeSettings | null): Promise<Float32Array> {
    if (he === null) throw new FederationError("internal", "he round without he settings");
    if (he.reveal === "coordinator") return this.plainGlobal.at(version);
    if (this.global?.version === version) return this.global.vector;
    const { session } = this;
    const trainer = session.trainer();
    let current =
      this.global !== undefined && this.global.version <= version
        ? this.global
        : { version: 0, vector: trainer.initialGlobal() };
    const tools = heTools(await session.ckks());
    const holders = session.certifiedPeers(he.holders);
    const d = trainer.vectorLength;
    for (const round of he.versions) {
      if (round <= current.version || round > version) continue;
      const aggregate = await fetchAdapterBytes(session, round, undefined, 1);
      const shares = await fetchRoundShares(
        session.connection.federation,
        session.streamOptions(),
        he.keyId,
        round,
      );
      const decrypted = decryptWithShares(tools, {
        keyId: he.keyId,
        round,
        threshold: he.threshold,
        aggregate,
        shares,
        holders,
        siteId: session.siteId(),
        envelopeSecretKey: session.keys.envelopeSecretKey,
      });
      if (decrypted.length !== d + 1)
        throw new FederationError("internal", `aggregate of round ${round} has ${decrypted.length} values`);
      current = {
        version: round,
        vector: replayAggregate(current.vector, decrypted, he.serverLearningRate, round),
      };
    }
    this.global = { version, vector: current.vector };
    return current.vector;
  }

  async contribute(task: TrainTask, update: PrivatizedUpdate): Promise<void> {
    const he = task.he;
    if (he === null) throw new FederationError("internal", "he round without he settings");
    const { session } = this;
    const encryptor = await this.encryptorFor(he);
    await session.stage("submit", task.ref);
    const plain = session.protect(() =>
      encodeWeightedUpdate(update.delta, update.numExamples, he.maxExamples),
    );
    // The weighted update in the clear is as sensitive as the records it came from.
    let encrypted: Uint8Array;
    try {
      encrypted = session.protect(() => encryptor.encryptVector(plain));
    } finally {
      plain.fill(0);
    }
    await submitUpdate(
      session,
      {
        ref: task.ref,
        encoding: "ciphertext",
        length: encrypted.byteLength,
        numExamples: 0,
        trainLoss: 0,
      },
      chunkBytes(encrypted, MAX_CHUNK_BYTES, 1),
    );
  }

  /** The counts go through SecAgg+, as in secagg mode (coordinator/modes/secagg.ts says why). */
  reportEvaluation(task: EvalTask, evaluation: LocalEvaluation): Promise<void> {
    return reportEvaluationSecurely(this.context, task, evaluation);
  }

  dispose(): void {
    this.encryptor?.encryptor.dispose();
  }
}

export function createHeMode(context: SiteModeContext): SiteMode {
  return new HeSiteMode(context);
}
