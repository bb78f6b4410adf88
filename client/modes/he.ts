// Privacy mode he at a site: encrypt [w·Δ, w] under the consortium CKKS key, and rebuild the global adapter
// by replaying the encrypted aggregates with FedAvg (the coordinator never holds it in the clear).
import { openSiteSession, type CkksSiteSession } from "../../crypto/ckks/site.ts";
import { FederationError } from "../../proto/errors.ts";
import { MAX_CHUNK_BYTES } from "../../proto/limits.ts";
import type { EvalTask, HeSettings, TrainTask } from "../../proto/messages.ts";
import { decodeWeightedSum, encodeWeightedUpdate } from "../../strategies/weighted-update.ts";
import { fedAvg } from "../../strategies/fedavg.ts";
import { fetchConsortiumKey } from "../node/key-ceremony.ts";
import type { PrivatizedUpdate } from "../node/privacy.ts";
import type { SiteSession } from "../node/session.ts";
import type { LocalEvaluation } from "../node/trainer.ts";
import { fetchAdapterBytes, offsetChunks, submitUpdate } from "../node/upload.ts";
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
  private key: { keyId: string; session: CkksSiteSession } | undefined;
  private global: { version: number; vector: Float32Array } | undefined;

  private readonly session: SiteSession;

  constructor(private readonly context: SiteModeContext) {
    this.session = context.session;
  }

  /** Opens this site's envelope of the consortium key (client/node/key-ceremony.ts). */
  private async keySession(he: HeSettings): Promise<CkksSiteSession> {
    if (this.key?.keyId === he.keyId) return this.key.session;
    const { session } = this;
    const ctx = await session.ckks();
    const secretKey = await fetchConsortiumKey({
      federation: session.connection.federation,
      options: session.streamOptions(),
      ctx,
      keyId: he.keyId,
      siteId: session.siteId(),
      envelopeSecretKey: session.keys.envelopeSecretKey,
      dealer: { siteId: he.dealerSiteId, boxPublicKey: he.dealerEnvelopePublicKey },
    });
    try {
      this.key?.session.dispose();
      this.key = { keyId: he.keyId, session: openSiteSession(ctx, secretKey) };
    } finally {
      secretKey.fill(0);
    }
    return this.key.session;
  }

  /**
   * The plaintext global adapter exists only at the sites. Starting from the seeded version 0, replay
   * every completed training round's encrypted aggregate: decrypt Σw·Δ and Σw, then FedAvg.
   */
  async globalAt(version: number, he: HeSettings | null): Promise<Float32Array> {
    if (this.global?.version === version) return this.global.vector;
    if (he === null) throw new FederationError("internal", "he round without he settings");
    const trainer = this.session.trainer();
    let current =
      this.global !== undefined && this.global.version <= version
        ? this.global
        : { version: 0, vector: trainer.initialGlobal() };
    const keySession = await this.keySession(he);
    const d = trainer.vectorLength;
    for (const round of he.versions) {
      if (round <= current.version || round > version) continue;
      const decrypted = keySession.decryptVector(
        await fetchAdapterBytes(this.session, round, undefined, 1),
        d + 1,
      );
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
    const keySession = await this.keySession(he);
    await session.stage("submit", task.ref);
    const plain = session.protect(() =>
      encodeWeightedUpdate(update.delta, update.numExamples, he.maxExamples),
    );
    // The weighted update in the clear is as sensitive as the records it came from.
    try {
      // Ciphertexts are made as the transport asks for the next chunk, so the upload (and the coordinator's
      // ingest) runs alongside the encryption instead of after it; the bytes are those of encryptVector.
      const encrypted = session.protect(() => keySession.encryptVectorStream(plain, MAX_CHUNK_BYTES));
      try {
        await submitUpdate(
          session,
          {
            ref: task.ref,
            encoding: "ciphertext",
            length: encrypted.byteLength,
            numExamples: 0,
            trainLoss: 0,
          },
          offsetChunks(session.protectEach(encrypted.pieces)),
        );
      } finally {
        encrypted.pieces.return();
      }
    } finally {
      plain.fill(0);
    }
  }

  /** The counts go through SecAgg+, as in secagg mode (coordinator/modes/secagg.ts says why). */
  reportEvaluation(task: EvalTask, evaluation: LocalEvaluation): Promise<void> {
    return reportEvaluationSecurely(this.context, task, evaluation);
  }

  dispose(): void {
    this.key?.session.dispose();
  }
}

export function createHeMode(context: SiteModeContext): SiteMode {
  return new HeSiteMode(context);
}
