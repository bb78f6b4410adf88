// he mode (reveal: sites): the coordinator's side of a site-side export (fedtune export --site-config): encrypted aggregates by hash, each with its decryption shares sealed to the site.
import { chunkBytes } from "../../proto/chunks.ts";
import { FederationError } from "../../proto/errors.ts";
import { MAX_CHUNK_BYTES } from "../../proto/limits.ts";
import type { KeyBlob } from "../../proto/key-blobs.ts";
import type { ExportPart, HeSettings } from "../../proto/messages.ts";
import type { HandlerContext, Peer } from "../../proto/rpc.ts";
import { CheckpointError } from "../checkpoints.ts";
import type { ModeHost } from "../modes/mode.ts";
import type { SiteId } from "../round/stages.ts";
import { pickTrainedRound } from "./durable-state.ts";

/**
 * he mode export at a site: the manifest of round `round` (0 = the last completed training round),
 * then every aggregate up to it behind its recorded SHA-256, followed by the t decryption shares of it sealed
 * to the site. The coordinator re-checks each checkpoint against that hash as it reads it; the site checks
 * what arrives against it again, and each share against the aggregate's digest.
 */
export async function* exportAggregates(
  host: ModeHost,
  heSettings: (version: number) => HeSettings,
  roundShares: (site: SiteId, round: number) => KeyBlob[],
  peer: Peer,
  round: number,
  ctx: HandlerContext,
): AsyncGenerator<ExportPart> {
  const { config, store, vectorLength } = host;
  const picked = pickTrainedRound(store.trainedRounds(), round === 0 ? undefined : round);
  if ("problem" in picked) throw new FederationError("not_found", picked.problem);
  const target = picked.round;
  const he = heSettings(target);
  yield {
    part: "manifest",
    manifest: {
      siteId: peer.name,
      round: target,
      keyId: he.keyId,
      serverLearningRate: he.serverLearningRate,
      vectorLength,
      lora: { ...config.lora, targetModules: [...config.lora.targetModules] },
      versions: he.versions,
      threshold: he.threshold,
      holders: he.holders,
    },
  };
  for (const version of he.versions) {
    let aggregate: Uint8Array;
    let sha256: string;
    try {
      const checkpoint = await store.checkpoint(version);
      if (checkpoint?.model.kind !== "encrypted")
        throw new FederationError("not_found", `no encrypted aggregate for round ${version}`);
      aggregate = checkpoint.model.aggregate;
      sha256 = checkpoint.sha256;
    } catch (error) {
      if (error instanceof CheckpointError)
        throw new FederationError(
          "failed_precondition",
          `the coordinator's aggregate of round ${version} does not match its recorded SHA-256`,
          error.message,
        );
      throw error;
    }
    yield { part: "aggregate", aggregate: { round: version, sha256, length: aggregate.length } };
    for await (const chunk of host.countedOut(chunkBytes(aggregate, MAX_CHUNK_BYTES, 1), peer, ctx))
      yield { part: "chunk", chunk };
    for (const share of roundShares(peer.name, version)) {
      yield { part: "share", share: share.header };
      for (const chunk of chunkBytes(share.bytes, MAX_CHUNK_BYTES, 1)) yield { part: "chunk", chunk };
    }
  }
}
