// A Join built from fedtune.proto's comments alone (as an independent client would), with Node's own crypto.
import { X509Certificate, createHash, generateKeyPairSync, sign } from "node:crypto";
import type { JoinResponse } from "../../../proto/messages.ts";
import type { Connection, TlsIdentity } from "../../../proto/transport.ts";

function rawPublicKey(key: { export(options: { format: "jwk" }): { x?: string } }): Uint8Array {
  return new Uint8Array(Buffer.from(key.export({ format: "jwk" }).x ?? "", "base64url"));
}

/**
 * JoinRequest.key_binding_signature as fedtune.proto describes it: Ed25519 by identity_key over the
 * ASCII label "fedtune-join-v1" || SHA-256 of the site certificate's DER (32 bytes) || identity_key
 * (32 bytes) || envelope_public_key (32 bytes).
 */
export function handMadeJoinRequest(certPem: string, baseModelHash: string) {
  const identity = generateKeyPairSync("ed25519");
  const envelope = generateKeyPairSync("x25519");
  const identityKey = rawPublicKey(identity.publicKey);
  const envelopePublicKey = rawPublicKey(envelope.publicKey);
  const certificateSha256 = createHash("sha256").update(new X509Certificate(certPem).raw).digest();
  const signed = Buffer.concat([
    Buffer.from("fedtune-join-v1", "ascii"),
    certificateSha256,
    identityKey,
    envelopePublicKey,
  ]);
  return {
    baseModelHash,
    identityKey,
    keyBindingSignature: new Uint8Array(sign(null, signed, identity.privateKey)),
    envelopePublicKey,
    clientVersion: "hand-made/1",
  };
}

/** Joins over `connection` with a hand-made request. */
export function joinByHand(
  connection: Connection,
  tls: TlsIdentity,
  baseModelHash: string,
): Promise<JoinResponse> {
  return connection.federation.join(handMadeJoinRequest(tls.certPem, baseModelHash), { deadlineMs: 10_000 });
}
