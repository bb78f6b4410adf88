// A Join built as an independent client would build it from fedtune.proto, with Node's own crypto.
import { X509Certificate, createHash, generateKeyPairSync, sign } from "node:crypto";
import type { JoinResponse } from "../../../proto/messages.ts";
import type { Connection, TlsIdentity } from "../../../proto/transport.ts";

function rawPublicKey(key: { export(options: { format: "jwk" }): { x?: string } }): Uint8Array {
  return new Uint8Array(Buffer.from(key.export({ format: "jwk" }).x ?? "", "base64url"));
}

/** What a Join signs over besides its label: the certificate's hash and the request's two keys. */
export interface BindingParts {
  readonly certificateSha256: Uint8Array;
  readonly identityKey: Uint8Array;
  readonly envelopePublicKey: Uint8Array;
}

/**
 * JoinRequest.key_binding_signature's bytes as fedtune.proto describes them: "fedtune-join-v1" || SHA-256
 * of the site certificate's DER || identity_key || envelope_public_key.
 */
export function describedBindingBytes(parts: BindingParts): Uint8Array {
  return Buffer.concat([
    Buffer.from("fedtune-join-v1", "ascii"),
    parts.certificateSha256,
    parts.identityKey,
    parts.envelopePublicKey,
  ]);
}

/** A JoinRequest with fresh keys, its binding signed over `signedBytes` of them. */
export function handMadeJoinRequest(
  certPem: string,
  baseModelHash: string,
  signedBytes: (parts: BindingParts) => Uint8Array = describedBindingBytes,
) {
  const identity = generateKeyPairSync("ed25519");
  const envelope = generateKeyPairSync("x25519");
  const identityKey = rawPublicKey(identity.publicKey);
  const envelopePublicKey = rawPublicKey(envelope.publicKey);
  const certificateSha256 = createHash("sha256").update(new X509Certificate(certPem).raw).digest();
  const signed = signedBytes({ certificateSha256, identityKey, envelopePublicKey });
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
