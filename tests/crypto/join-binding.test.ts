// Defect 8 of issue 12: JoinRequest.key_binding_signature is implementable from fedtune.proto's comment alone.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { FederationError } from "../../proto/errors.ts";
import { BASE_MODEL_HASH, createFederation } from "../federation/helpers/federation.ts";
import { handMadeJoinRequest, type BindingParts } from "../federation/helpers/join-by-hand.ts";

const PROTO = readFileSync(new URL("../../proto/fedtune.proto", import.meta.url), "utf8");

/** The comment lines right above `bytes key_binding_signature = 3;`, without their "//". */
function bindingComment(): string[] {
  const lines = PROTO.split("\n");
  const field = lines.findIndex((line) => /^\s*bytes key_binding_signature = 3;/.test(line));
  const comment: string[] = [];
  for (let i = field - 1; i >= 0 && /^\s*\/\//.test(lines[i] ?? ""); i--)
    comment.unshift((lines[i] ?? "").replace(/^\s*\/\/ ?/, ""));
  return comment;
}

/**
 * Reads the comment as an independent implementer would: its numbered parts, in order, each either a
 * quoted ASCII string, the SHA-256 of the client certificate's DER, or a bytes field of JoinRequest.
 */
function bytesAsDescribed(parts: BindingParts): Uint8Array {
  const items: string[] = [];
  for (const line of bindingComment()) {
    const numbered = /^\s*\d+\.\s+(.*)$/.exec(line);
    if (numbered !== null) items.push(numbered[1] ?? "");
    else if (items.length > 0 && /^\s{3,}\S/.test(line)) items[items.length - 1] += ` ${line.trim()}`;
  }
  if (items.length === 0)
    throw new Error(`the comment lists no numbered parts:\n${bindingComment().join("\n")}`);
  return Buffer.concat(
    items.map((item) => {
      const quoted = /"([^"]+)"/.exec(item);
      if (quoted !== null) return Buffer.from(quoted[1] ?? "", "ascii");
      if (/SHA-256/.test(item) && /DER/.test(item) && /certificate/.test(item))
        return parts.certificateSha256;
      if (/^envelope_public_key\b/.test(item)) return parts.envelopePublicKey;
      if (/^identity_key\b/.test(item)) return parts.identityKey;
      throw new Error(`cannot tell which bytes the comment means: ${item}`);
    }),
  );
}

describe("JoinRequest.key_binding_signature as fedtune.proto describes it", () => {
  it("names the byte count and every part, and a signature over those bytes joins over gRPC; other bytes are refused", async () => {
    const comment = bindingComment().join(" ");
    expect(comment).toMatch(/envelope_public_key/);
    expect(comment).toMatch(/111 bytes/);
    const federation = await createFederation({
      sites: ["alpha", "beta"],
      transport: "grpc",
      config: { rounds: 1, privacy: { mode: "none" } },
    });
    const tls = federation.pki.sites.get("alpha");
    const other = federation.pki.sites.get("beta");
    if (tls === undefined || other === undefined) throw new Error("no site certificates");
    const connection = federation.dial({ address: federation.coordinator.address, tls });
    try {
      let signedLength = 0;
      const request = handMadeJoinRequest(tls.certPem, BASE_MODEL_HASH, (parts) => {
        const bytes = bytesAsDescribed(parts);
        signedLength = bytes.length;
        return bytes;
      });
      expect(signedLength).toBe(111);
      const joined = await connection.federation.join(request, { deadlineMs: 10_000 });
      expect(joined.siteId).toBe("alpha");
      // Without the envelope key (what the comment used to describe), the binding does not verify.
      const withoutEnvelope = handMadeJoinRequest(other.certPem, BASE_MODEL_HASH, (parts) =>
        bytesAsDescribed(parts).subarray(0, 79),
      );
      const betaConnection = federation.dial({ address: federation.coordinator.address, tls: other });
      try {
        const refused = await betaConnection.federation.join(withoutEnvelope, { deadlineMs: 10_000 }).then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(refused).toBeInstanceOf(FederationError);
        expect((refused as FederationError).code).toBe("invalid_argument");
      } finally {
        betaConnection.close();
      }
    } finally {
      connection.close();
      await federation.coordinator.stop();
    }
  }, 30_000);
});
