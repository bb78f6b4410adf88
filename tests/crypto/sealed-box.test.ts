import nacl from "tweetnacl";
import { describe, expect, it } from "vitest";
import {
  openBlob,
  openFromSender,
  sealForRecipients,
  type SealBinding,
} from "../../crypto/ckks/sealed-box.ts";
import { CkksFormatError } from "../../crypto/ckks/wire.ts";
import { generateX25519KeyPair } from "../../crypto/keys.ts";
import { seededRng } from "../../crypto/rng.ts";

const rng = seededRng("sealed-box-test");
const holder = generateX25519KeyPair(rng);
const sites = { a: generateX25519KeyPair(rng), b: generateX25519KeyPair(rng) };
const binding = (recipientId: string): SealBinding => ({
  label: "ckks-decryption-share",
  context: "key-1/round-3",
  fingerprint: new Uint8Array(16).fill(5),
  senderId: "holder",
  recipientId,
});
const payload = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 31) % 251);
const sealed = sealForRecipients(
  binding(""),
  payload,
  holder.secretKey,
  Object.entries(sites).map(([id, keys]) => ({ id, publicKey: keys.publicKey })),
  rng,
);
const keyOf = (id: string) => sealed.keys.get(id) as Uint8Array;
const openAs = (id: "a" | "b", body: Uint8Array, key: Uint8Array) =>
  openFromSender(binding(id), body, key, holder.publicKey, sites[id].secretKey);

describe("a payload sealed once for many recipients", () => {
  it("moves one body and a 64-byte key per recipient, and opens for each of them", () => {
    expect(sealed.body.length).toBeLessThan(payload.length + 64);
    expect([...sealed.keys.keys()].sort()).toEqual(["a", "b"]);
    expect(Array.from(openAs("a", sealed.body, keyOf("a")))).toEqual(Array.from(payload));
    expect(Array.from(openAs("b", sealed.body, keyOf("b")))).toEqual(Array.from(payload));
  });

  it("refuses another recipient's key, another round's binding and an altered body", () => {
    expect(() => openAs("a", sealed.body, keyOf("b"))).toThrow(CkksFormatError);
    expect(() =>
      openFromSender(
        { ...binding("a"), context: "key-1/round-4" },
        sealed.body,
        keyOf("a"),
        holder.publicKey,
        sites.a.secretKey,
      ),
    ).toThrow(/another purpose, ceremony, round/);
    const altered = sealed.body.slice();
    altered[100] = (altered[100] ?? 0) ^ 1;
    expect(() => openAs("a", altered, keyOf("a"))).toThrow(/not the one its key was sealed for/);
  });

  it("refuses a body that a recipient who knows the key made for the others", () => {
    // Site a opens its key envelope, then encrypts a payload of its choice under the same key.
    const key = openBlob(binding("a"), keyOf("a"), holder.publicKey, sites.a.secretKey).subarray(0, 32);
    const nonce = sealed.body.subarray(5, 5 + nacl.secretbox.nonceLength);
    const forged = Uint8Array.from([
      ...sealed.body.subarray(0, 5 + nonce.length),
      ...nacl.secretbox(new Uint8Array(payload.length), nonce, key),
    ]);
    expect(() => openAs("b", forged, keyOf("b"))).toThrow(/not the one its key was sealed for/);
  });
});
