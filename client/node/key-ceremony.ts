// The site's part in he mode's key ceremony: dealing the consortium CKKS key, handing it on to late sites,
// and fetching and opening its own envelope (crypto/ckks/key-ceremony.ts). The coordinator only relays envelopes.
import type { CkksContext } from "../../crypto/ckks/context.ts";
import { handOnConsortiumKey, openConsortiumKey, sealConsortiumKey } from "../../crypto/ckks/key-ceremony.ts";
import { generateConsortiumSecretKey } from "../../crypto/ckks/site.ts";
import { chunkBytes } from "../../proto/chunks.ts";
import { FederationError } from "../../proto/errors.ts";
import { MAX_CHUNK_BYTES } from "../../proto/limits.ts";
import type { KeyCeremonyStep, KeyPart } from "../../proto/messages.ts";
import type { CallOptions, FederationStub } from "../../proto/rpc.ts";
import type { SiteSession } from "./session.ts";
import { concatBytes } from "./upload.ts";

/**
 * The dealer generates the consortium key and seals it to every recipient; in a handoff (step.dealer
 * false) a key holder seals the key it holds to sites that joined after the ceremony. The coordinator
 * only relays the envelopes.
 */
export async function answerKeyCeremony(session: SiteSession, step: KeyCeremonyStep): Promise<void> {
  const ctx = await session.ckks();
  const self = { siteId: session.siteId(), boxSecretKey: session.keys.envelopeSecretKey };
  const recipients = step.recipients.map((r) => ({ siteId: r.siteId, boxPublicKey: r.envelopePublicKey }));
  let envelopes: Uint8Array[];
  if (step.dealer) {
    const secretKey = generateConsortiumSecretKey(ctx);
    try {
      envelopes = recipients.map((recipient) =>
        sealConsortiumKey({
          secretKey,
          keyId: step.keyId,
          paramsFingerprint: ctx.fingerprint,
          dealer: self,
          recipient,
          rng: session.rng,
        }),
      );
    } finally {
      secretKey.fill(0);
    }
  } else {
    const own = await fetchKeyEnvelope(session.connection.federation, session.streamOptions(), step.keyId);
    checkSealer(own.sealer, { siteId: step.dealerSiteId, boxPublicKey: step.dealerEnvelopePublicKey });
    envelopes = handOnConsortiumKey({
      ownEnvelope: own.envelope,
      keyId: step.keyId,
      paramsFingerprint: ctx.fingerprint,
      ownSealer: own.sealer,
      holder: self,
      recipients,
      rng: session.rng,
    });
  }
  const parts: KeyPart[] = [];
  for (const [i, recipient] of step.recipients.entries()) {
    const envelope = envelopes[i] ?? new Uint8Array();
    parts.push({
      part: "header",
      header: {
        keyId: step.keyId,
        recipient: recipient.siteId,
        length: envelope.length,
        sealerSiteId: "",
        sealerEnvelopePublicKey: new Uint8Array(),
      },
    });
    for (const chunk of chunkBytes(envelope, MAX_CHUNK_BYTES, 1)) parts.push({ part: "chunk", chunk });
  }
  await session.connection.federation.publishKeys(parts, session.streamOptions());
  session.logger.info(
    { keyId: step.keyId, recipients: step.recipients.map((r) => r.siteId), handoff: !step.dealer },
    step.dealer ? "published the consortium key envelopes" : "handed the consortium key on",
  );
}

interface Sealer {
  readonly siteId: string;
  readonly boxPublicKey: Uint8Array;
}

/** This site's key envelope and its sealer, as FetchKeys names them. */
async function fetchKeyEnvelope(
  federation: FederationStub,
  options: CallOptions,
  keyId: string,
): Promise<{ envelope: Uint8Array; sealer: Sealer }> {
  const parts: Uint8Array[] = [];
  let header: Extract<KeyPart, { part: "header" }>["header"] | undefined;
  for await (const part of federation.fetchKeys({ keyId }, options)) {
    if (part.part === "header") {
      if (header !== undefined) throw new FederationError("internal", "key envelope with two headers");
      header = part.header;
    } else parts.push(part.chunk.data);
  }
  const envelope = concatBytes(parts);
  if (header === undefined || envelope.length !== header.length)
    throw new FederationError("internal", "key envelope arrived incomplete");
  if (header.keyId !== keyId || header.sealerSiteId === "" || header.sealerEnvelopePublicKey.length === 0)
    throw new FederationError("internal", "key envelope header does not name its ceremony and sealer");
  return {
    envelope,
    sealer: { siteId: header.sealerSiteId, boxPublicKey: header.sealerEnvelopePublicKey },
  };
}

/** An envelope said to come from the ceremony's dealer must carry the dealer key the task names. */
function checkSealer(sealer: Sealer, dealer: Sealer | undefined): void {
  if (dealer === undefined || sealer.siteId !== dealer.siteId) return;
  if (Buffer.compare(Buffer.from(sealer.boxPublicKey), Buffer.from(dealer.boxPublicKey)) !== 0)
    throw new FederationError("internal", "the key envelope names the dealer with another key");
}

/**
 * Fetches this site's envelope of the consortium key and opens it (crypto/ckks/key-ceremony.ts): sealed
 * by the ceremony's dealer, or by the key holder that keyed this site after the ceremony. Returns the
 * serialized secret key; the caller loads it and zeroes it. A site with no envelope gets NOT_FOUND; an
 * envelope that does not open throws CkksFormatError.
 */
export async function fetchConsortiumKey(input: {
  readonly federation: FederationStub;
  readonly options: CallOptions;
  readonly ctx: CkksContext;
  readonly keyId: string;
  readonly siteId: string;
  readonly envelopeSecretKey: Uint8Array;
  /** The ceremony's dealer as a task names it, when known. */
  readonly dealer?: Sealer;
}): Promise<Uint8Array> {
  const { envelope, sealer } = await fetchKeyEnvelope(input.federation, input.options, input.keyId);
  checkSealer(sealer, input.dealer);
  return openConsortiumKey({
    envelope,
    keyId: input.keyId,
    paramsFingerprint: input.ctx.fingerprint,
    dealer: sealer,
    recipient: { siteId: input.siteId, boxSecretKey: input.envelopeSecretKey },
  });
}
