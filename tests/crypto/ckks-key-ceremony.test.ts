// Key ceremony: the dealer's sealed envelopes open only at their recipient, and the recipients then share one working CKKS key.
import nacl from "tweetnacl";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCkksContext, loadSeal, type CkksContext } from "../../crypto/ckks/context.ts";
import { openConsortiumKey, sealConsortiumKey } from "../../crypto/ckks/key-ceremony.ts";
import { generateConsortiumSecretKey, openSiteSession } from "../../crypto/ckks/site.ts";
import { CkksFormatError } from "../../crypto/ckks/wire.ts";
import { seededRng } from "../../crypto/rng.ts";

function boxKeyPair(seed: string): nacl.BoxKeyPair {
  const secret = new Uint8Array(nacl.box.secretKeyLength);
  seededRng(seed).fill(secret);
  return nacl.box.keyPair.fromSecretKey(secret);
}

let ctx: CkksContext;
const keyId = "federation-7/epoch-1";
const dealer = { siteId: "site-a", keys: boxKeyPair("a") };
const recipients = [
  { siteId: "site-b", keys: boxKeyPair("b") },
  { siteId: "site-c", keys: boxKeyPair("c") },
];
const coordinator = boxKeyPair("coordinator");

beforeAll(async () => {
  ctx = createCkksContext(await loadSeal());
});

afterAll(() => {
  ctx.dispose();
});

function seal(secretKey: Uint8Array, recipient: { siteId: string; keys: nacl.BoxKeyPair }): Uint8Array {
  return sealConsortiumKey({
    secretKey,
    keyId,
    paramsFingerprint: ctx.fingerprint,
    dealer: { siteId: dealer.siteId, boxSecretKey: dealer.keys.secretKey },
    recipient: { siteId: recipient.siteId, boxPublicKey: recipient.keys.publicKey },
    rng: seededRng(`nonce-${recipient.siteId}`),
  });
}

function open(
  envelope: Uint8Array,
  recipient: { siteId: string; keys: nacl.BoxKeyPair },
  overrides: { keyId?: string; dealerKey?: Uint8Array } = {},
): Uint8Array {
  return openConsortiumKey({
    envelope,
    keyId: overrides.keyId ?? keyId,
    paramsFingerprint: ctx.fingerprint,
    dealer: { siteId: dealer.siteId, boxPublicKey: overrides.dealerKey ?? dealer.keys.publicKey },
    recipient: { siteId: recipient.siteId, boxSecretKey: recipient.keys.secretKey },
  });
}

describe("CKKS key ceremony", () => {
  it("delivers the dealer's key to every site, and they can all decrypt each other's vectors", () => {
    const secretKey = generateConsortiumSecretKey(ctx);
    const envelopes = recipients.map((r) => seal(secretKey, r));
    const opened = recipients.map((r, i) => open(envelopes[i] ?? new Uint8Array(), r));
    for (const key of opened) expect(key).toEqual(secretKey);

    const dealerSession = openSiteSession(ctx, secretKey);
    const sessions = opened.map((key) => openSiteSession(ctx, key));
    const vector = Float32Array.from({ length: 10 }, (_, i) => i / 10);
    const encryptedByB = sessions[0]?.encryptVector(vector) ?? new Uint8Array();
    for (const session of [dealerSession, ...sessions]) {
      const out = session.decryptVector(encryptedByB, 10);
      out.forEach((v, i) => expect(v).toBeCloseTo(vector[i] ?? 0, 6));
    }
    for (const session of [dealerSession, ...sessions]) session.dispose();
    for (const key of [secretKey, ...opened]) key.fill(0);
  });

  it("the relaying coordinator, another site, or anyone with a wrong expectation cannot open an envelope", () => {
    const secretKey = generateConsortiumSecretKey(ctx);
    const [siteB, siteC] = recipients;
    if (siteB === undefined || siteC === undefined) throw new Error("fixture");
    const envelope = seal(secretKey, siteB);

    // The coordinator relays the bytes; neither its key nor site C's opens them, even under B's name.
    expect(() => open(envelope, { siteId: siteB.siteId, keys: coordinator })).toThrow(CkksFormatError);
    expect(() => open(envelope, { siteId: siteB.siteId, keys: siteC.keys })).toThrow(CkksFormatError);
    expect(() => open(envelope, siteC)).toThrow(CkksFormatError);
    // A coordinator substituting its own dealer key, or replaying into another ceremony, is caught.
    expect(() => open(envelope, siteB, { dealerKey: coordinator.publicKey })).toThrow(CkksFormatError);
    expect(() => open(envelope, siteB, { keyId: "federation-7/epoch-2" })).toThrow(CkksFormatError);
    // Any altered byte of the box fails authentication.
    const altered = Uint8Array.from(envelope);
    altered[altered.length - 1] = (altered[altered.length - 1] ?? 0) ^ 1;
    expect(() => open(altered, siteB)).toThrow(CkksFormatError);
    expect(() => open(envelope.subarray(0, 20), siteB)).toThrow(CkksFormatError);
    // The secret key bytes do not appear in the envelope.
    const needle = Buffer.from(secretKey.subarray(100, 132));
    expect(Buffer.from(envelope).includes(needle)).toBe(false);
    const opened = open(envelope, siteB);
    expect(opened).toEqual(secretKey);
    for (const key of [secretKey, opened]) key.fill(0);
  });
});
