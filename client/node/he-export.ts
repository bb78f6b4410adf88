// he mode export at a site (reveal: sites): fetch a round's encrypted aggregates, check their recorded SHA-256, decrypt each with the t decryption shares sealed to this site, replay.
import { createHash } from "node:crypto";
import type { CkksContext } from "../../crypto/ckks/context.ts";
import { CryptoError } from "../../crypto/errors.ts";
import { PkiError } from "../../crypto/pki/identity.ts";
import { verifyRelayedSiteKeys, type TrustAnchor } from "../../crypto/pki/key-binding.ts";
import { collectChunks } from "../../proto/chunks.ts";
import { FederationError } from "../../proto/errors.ts";
import type { ExportManifest, ExportPart, KeyHolder, LoraSettings } from "../../proto/messages.ts";
import type { CallOptions, FederationStub } from "../../proto/rpc.ts";
import { replayAggregate } from "../modes/he.ts";
import type { KeyBlob } from "../../proto/key-blobs.ts";
import { decryptWithShares, heTools } from "./he-keys.ts";

export type SiteExportErrorCode = "wrong-round" | "no-key" | "hash-mismatch" | "malformed" | "untrusted-key";

/** Why a site could not rebuild a round's global adapter; the message says what to do. */
export class SiteExportError extends Error {
  override readonly name = "SiteExportError";
  constructor(
    readonly code: SiteExportErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface SiteExportRequest {
  /** The site's channel to the coordinator (mTLS with the site certificate). */
  readonly federation: FederationStub;
  readonly options: CallOptions;
  readonly ctx: CkksContext;
  /** The X25519 key the decryption shares are sealed to (site-keys.json in its state folder). */
  readonly envelopeSecretKey: Uint8Array;
  /** The site's CA certificate and revocations: the key holders' certified keys are checked against them. */
  readonly trust: TrustAnchor;
  /** The training round to export; 0 = the last completed one. */
  readonly round: number;
  /** The run it belongs to; 0 = the coordinator's run in progress, or its latest. */
  readonly runId: number;
  /** The version-0 global adapter for the federation's LoRA settings (PEFT initialisation from the shared seed). */
  readonly initialGlobal: (lora: LoraSettings, vectorLength: number) => Float32Array;
}

export interface SiteExport {
  readonly manifest: ExportManifest;
  /** The plaintext global adapter of manifest.round, flat (PEFT key order). */
  readonly vector: Float32Array;
  /** The SHA-256 of each aggregate replayed, as recorded by the coordinator and checked here. */
  readonly aggregates: readonly { readonly round: number; readonly sha256: string }[];
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * Rebuilds the global adapter of a round as the site client does during training (client/modes/he.ts
 * replayAggregate): version 0 plus, for every completed training round up to it, η · Σw·Δ / Σw from the
 * decrypted aggregate. Each aggregate must match the SHA-256 the coordinator recorded with its round.
 */
export async function rebuildGlobalAtSite(request: SiteExportRequest): Promise<SiteExport> {
  const parts = request.federation.exportAggregates(
    { round: request.round, runId: request.runId },
    request.options,
  );
  const stream = parts[Symbol.asyncIterator]();
  const tools = heTools(request.ctx);
  try {
    const first = await next(stream, request.round);
    if (first === undefined || first.part !== "manifest")
      throw new SiteExportError("malformed", "the coordinator's answer does not start with its manifest");
    const { manifest } = first;
    if (request.round !== 0 && manifest.round !== request.round)
      throw new SiteExportError("malformed", `asked for round ${request.round}, got round ${manifest.round}`);
    const holders = certifiedHolders(manifest, request.trust);
    let vector = request.initialGlobal(manifest.lora, manifest.vectorLength);
    if (vector.length !== manifest.vectorLength)
      throw new SiteExportError(
        "malformed",
        `the local base model gives ${vector.length} trainable values, the federation ${manifest.vectorLength}`,
      );
    const aggregates: { round: number; sha256: string }[] = [];
    let pending = await next(stream, request.round);
    // `body` moves `pending` on: read it through a function, not a narrowed variable.
    const peek = (): ExportPart | undefined => pending;
    /** The bytes of the blob whose header was just read: the chunks up to the next header. */
    const body = async (length: number): Promise<Uint8Array> => {
      let following: ExportPart | undefined;
      const chunks = (async function* () {
        for (;;) {
          const part = await next(stream, request.round);
          if (part === undefined || part.part !== "chunk") {
            following = part;
            return;
          }
          yield part.chunk;
        }
      })();
      const bytes = await collectChunks(chunks, length, 1);
      pending = following;
      return bytes;
    };
    for (const version of manifest.versions) {
      if (pending?.part !== "aggregate" || pending.aggregate.round !== version)
        throw new SiteExportError("malformed", `expected the aggregate of round ${version}`);
      const header = pending.aggregate;
      const bytes = await body(header.length);
      const actual = sha256Hex(bytes);
      if (actual !== header.sha256)
        throw new SiteExportError(
          "hash-mismatch",
          `the aggregate of round ${version} has SHA-256 ${actual}, the coordinator recorded ${header.sha256}`,
        );
      const shares: KeyBlob[] = [];
      for (let part = peek(); part?.part === "share"; part = peek())
        shares.push({ header: part.share, bytes: await body(part.share.length) });
      vector = replayAggregate(
        vector,
        decrypt(tools, request, manifest, holders, version, bytes, shares),
        manifest.serverLearningRate,
        version,
      );
      aggregates.push({ round: version, sha256: header.sha256 });
    }
    if (pending !== undefined) throw new SiteExportError("malformed", "data after the last aggregate");
    return { manifest, vector, aggregates };
  } finally {
    await stream.return?.();
  }
}

/** The manifest's key holders once their keys verify against the site's CA and revocations. */
function certifiedHolders(manifest: ExportManifest, trust: TrustAnchor): readonly KeyHolder[] {
  try {
    return verifyRelayedSiteKeys(manifest.holders, trust);
  } catch (error) {
    if (error instanceof PkiError)
      throw new SiteExportError(
        "untrusted-key",
        `the coordinator's key holders are refused: ${error.message}`,
      );
    throw error;
  }
}

/** One aggregate decrypted with the shares sealed to this site; shares that do not open mean a wrong key. */
function decrypt(
  tools: ReturnType<typeof heTools>,
  request: SiteExportRequest,
  manifest: ExportManifest,
  holders: readonly KeyHolder[],
  round: number,
  aggregate: Uint8Array,
  shares: readonly KeyBlob[],
): Float64Array {
  try {
    return decryptWithShares(tools, {
      keyId: manifest.keyId,
      round,
      threshold: manifest.threshold,
      aggregate,
      shares,
      holders,
      siteId: manifest.siteId,
      envelopeSecretKey: request.envelopeSecretKey,
    });
  } catch (error) {
    if (error instanceof CryptoError)
      throw new SiteExportError(
        "no-key",
        `site ${manifest.siteId} cannot decrypt round ${round} with the envelope key in its state folder (its decryption shares do not open, or are fewer than ${manifest.threshold}): ${error.message}`,
      );
    throw error;
  }
}

/** The next part of the stream; a coordinator that refuses the round is a wrong-round error. */
async function next(stream: AsyncIterator<ExportPart>, round: number): Promise<ExportPart | undefined> {
  try {
    const result = await stream.next();
    return result.done === true ? undefined : result.value;
  } catch (error) {
    if (error instanceof FederationError && error.code === "not_found")
      throw new SiteExportError("wrong-round", `cannot export round ${round}: ${error.publicMessage}`);
    throw error;
  }
}
