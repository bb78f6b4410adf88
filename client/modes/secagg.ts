// Privacy mode secagg at a site: the SecAgg+ site driver (Bonawitz et al. 2017, Fig. 4; Bell et al. 2020),
// stages 0–4 over Poll steps and stage RPCs, mapped by proto/secagg-steps.ts.
import { createFixedPointCodec } from "../../crypto/codec.ts";
import { protectedEntryRange } from "../../crypto/dp/distributed-noise.ts";
import {
  clientDispose,
  clientMaskInput,
  clientReceive,
  createClient,
  type ClientState,
} from "../../crypto/secagg/client.ts";
import { prepareRound, type SecAggConfig } from "../../crypto/secagg/round.ts";
import { PkiError } from "../../crypto/pki/identity.ts";
import type { SiteId } from "../../crypto/site-id.ts";
import { FederationError } from "../../proto/errors.ts";
import { FLOAT_CHUNK_ELEMENTS } from "../../proto/limits.ts";
import type { EvalTask, RoundRef, SecAggSettings, TrainTask } from "../../proto/messages.ts";
import {
  certifiedSecAggConfigOf,
  serverMessageOf,
  stageCallOf,
  STAGE_OF_STEP,
  type SecAggStageCall,
} from "../../proto/secagg-steps.ts";
import { encodeEvalReport } from "../../strategies/eval-report.ts";
import { encodeWeightedUpdate } from "../../strategies/weighted-update.ts";
import type { PrivatizedUpdate } from "../node/privacy.ts";
import { LeaveRound, type SiteSession } from "../node/session.ts";
import type { StepInbox } from "../node/steps.ts";
import type { LocalEvaluation } from "../node/trainer.ts";
import { submitUpdate } from "../node/upload.ts";
import type { SiteMode, SiteModeContext } from "./mode.ts";
import { PlainGlobalCache } from "./plain.ts";

/** Sends a SecAgg+ site message on its stage RPC. */
async function sendStageCall(session: SiteSession, call: SecAggStageCall): Promise<void> {
  const { federation } = session.connection;
  const options = session.unaryOptions();
  switch (call.rpc) {
    case "advertiseKeys":
      await federation.advertiseKeys(call.request, options);
      return;
    case "shareKeys":
      await federation.shareKeys(call.request, options);
      return;
    case "signSurvivors":
      await federation.signSurvivors(call.request, options);
      return;
    case "unmask":
      await federation.unmask(call.request, options);
      return;
  }
}

/** The round's config once every peer's keys verify against this site's CA certificate and revocations. */
function certifiedRoundConfig(session: SiteSession, settings: SecAggSettings): SecAggConfig {
  try {
    return certifiedSecAggConfigOf(settings, session.peerTrust(), session.siteId());
  } catch (error) {
    if (error instanceof PkiError)
      throw new LeaveRound("advertise_keys", `peer keys refused: ${error.message}`);
    throw error;
  }
}

/** One site's part in one SecAgg+ session; `run` goes through the stages, each in its own method. */
class SecAggSiteRound {
  private state: ClientState;
  private readonly config: SecAggConfig;
  private readonly recipient: SiteId;
  private readonly advertisement: ReturnType<typeof createClient>["message"];

  constructor(
    private readonly session: SiteSession,
    private readonly steps: StepInbox,
    private readonly settings: SecAggSettings,
    private readonly ref: RoundRef,
  ) {
    this.config = certifiedRoundConfig(session, settings);
    this.recipient = session.siteId();
    const start = session.protect(() =>
      createClient({
        round: prepareRound(this.config),
        siteId: this.recipient,
        identitySeed: session.keys.identitySeed,
        rng: session.rng,
      }),
    );
    this.state = start.state;
    this.advertisement = start.message;
  }

  /** Stages 0–4 for the plaintext vector `plain()` builds (zeroed here after encoding). */
  async run(plain: () => Float32Array): Promise<void> {
    let input: Uint32Array | undefined;
    try {
      input = await this.advertiseKeys(plain);
      await this.answer("shareKeys");
      await this.maskedInput(input);
      await this.answer("consistency");
      await this.answer("unmask");
    } finally {
      clientDispose(this.state);
      input?.fill(0);
    }
  }

  /** Stage 0: advertise the round keys; the input is encoded while the advertisement travels. */
  private async advertiseKeys(plain: () => Float32Array): Promise<Uint32Array> {
    const { session, settings } = this;
    await session.stage("advertise_keys", this.ref);
    const call = stageCallOf(this.advertisement, this.ref);
    if (call === undefined) throw new LeaveRound("advertise_keys", "unexpected SecAgg transition");
    const advertised = sendStageCall(session, call);
    // The input is first needed at the masked-input step: encode it while the advertisement travels and
    // the stage waits for the other sites. (A refusal surfaces at the await below; should encoding throw
    // first, it must not also go unhandled.)
    advertised.catch(() => undefined);
    const codec = createFixedPointCodec({ clipRange: settings.clipRange, maxSummands: settings.maxSummands });
    const encoded = session.protect(() => {
      const vector = plain();
      try {
        return codec.encode(vector, { rng: session.rng });
      } finally {
        vector.fill(0);
      }
    });
    await advertised;
    return encoded;
  }

  /** Stages 1, 3 and 4: take the server's message from Poll, answer it on the stage's RPC. */
  private async answer(kind: "shareKeys" | "consistency" | "unmask"): Promise<void> {
    const { session, ref } = this;
    const step = await this.steps.awaitStep(ref, kind);
    const stage = STAGE_OF_STEP[kind];
    await session.stage(stage, ref);
    const received = session.protect(() =>
      clientReceive(this.state, serverMessageOf(step, this.config.roundId, this.recipient), session.rng),
    );
    this.state = received.state;
    const call = received.message === null ? undefined : stageCallOf(received.message, ref);
    if (call?.stage !== stage) throw new LeaveRound(stage, "unexpected SecAgg transition");
    await sendStageCall(session, call);
  }

  /** Stage 2: open the relayed shares, mask the input, upload it. */
  private async maskedInput(input: Uint32Array): Promise<void> {
    const { session, ref } = this;
    const delivery = await this.steps.awaitStep(ref, "maskedInput");
    await session.stage("masked_input", ref);
    const awaiting = session.protect(() =>
      clientReceive(this.state, serverMessageOf(delivery, this.config.roundId, this.recipient), session.rng),
    );
    this.state = awaiting.state;
    const masked = session.protect(() =>
      clientMaskInput(this.state, input, { chunkLength: FLOAT_CHUNK_ELEMENTS }),
    );
    this.state = masked.state;
    await submitUpdate(
      session,
      { ref, encoding: "masked", length: this.settings.vectorLength, numExamples: 0, trainLoss: 0 },
      masked.messages.map((message) => ({
        offset: message.offset,
        data: new Uint8Array(message.values.buffer, message.values.byteOffset, message.values.byteLength),
      })),
    );
  }
}

/** Runs one SecAgg+ session as a site for the vector `plain()` builds. */
export async function secureAggregation(
  { session, steps }: SiteModeContext,
  settings: SecAggSettings | null,
  ref: RoundRef,
  plain: () => Float32Array,
): Promise<void> {
  if (settings === null) throw new FederationError("internal", "secagg round without secagg settings");
  await new SecAggSiteRound(session, steps, settings, ref).run(plain);
}

/**
 * Under client-level DP the codec must cover this site's noise share, or its clipping removes noise the
 * ledger charged for (issue 18 §4); a coordinator that asks for a narrower range is refused.
 */
function checkRangeCoversNoise(task: TrainTask): void {
  const { privacy, secagg } = task;
  if (secagg === null || privacy.dpLevel !== "site" || privacy.noiseMultiplier === 0) return;
  const { clipNorm, noiseMultiplier, minSurvivors } = privacy;
  const needed = protectedEntryRange(clipNorm, { clipNorm, noiseMultiplier, minSurvivors });
  if (secagg.clipRange < needed) {
    throw new LeaveRound(
      "advertise_keys",
      `codec range ${secagg.clipRange} would clip this site's DP noise share (needs ${needed})`,
    );
  }
}

/** Reports an evaluation's counts through the eval task's SecAgg+ session (secagg and he modes). */
export function reportEvaluationSecurely(
  context: SiteModeContext,
  task: EvalTask,
  evaluation: LocalEvaluation,
): Promise<void> {
  return secureAggregation(context, task.secagg, task.ref, () =>
    encodeEvalReport(evaluation, task.secagg?.maxExamples),
  );
}

export function createSecAggMode(context: SiteModeContext): SiteMode {
  const global = new PlainGlobalCache(context.session);
  return {
    globalAt: (version) => global.at(version),
    contribute: async (task: TrainTask, update: PrivatizedUpdate) => {
      checkRangeCoversNoise(task);
      await secureAggregation(context, task.secagg, task.ref, () =>
        encodeWeightedUpdate(update.delta, update.numExamples, task.secagg?.maxExamples),
      );
    },
    reportEvaluation: (task, evaluation) => reportEvaluationSecurely(context, task, evaluation),
    dispose: () => undefined,
  };
}
