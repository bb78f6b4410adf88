// SecAgg primitives against spec vectors (RFC 7748, RFC 5869, RFC 8032) and against an independent implementation.
import { createCipheriv } from "node:crypto";
import { readFileSync } from "node:fs";
import nacl from "tweetnacl";
import { describe, expect, it } from "vitest";
import { CryptoError } from "../../crypto/errors.ts";
import { encodeContext, hkdfSha256 } from "../../crypto/hkdf.ts";
import {
  generateSigningKeyPair,
  generateX25519KeyPair,
  openBox,
  sealBox,
  signMessage,
  signingPublicKey,
  verifySignature,
  x25519,
  x25519PublicKey,
} from "../../crypto/keys.ts";
import { applyMasks, expandMask } from "../../crypto/prg.ts";
import { seededRng } from "../../crypto/rng.ts";
import { isFieldElement } from "../../crypto/shamir.ts";

const hex = (s: string) => Uint8Array.from(Buffer.from(s, "hex"));
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const pair = (secretKey: Uint8Array) => ({ secretKey, publicKey: x25519PublicKey(secretKey) });
const vector = <T>(path: string): T =>
  JSON.parse(readFileSync(new URL(`../vectors/${path}`, import.meta.url), "utf8")) as T;

describe("X25519 (RFC 7748)", () => {
  const v = vector<{
    scalarMult: { scalar: string; u: string; output: string }[];
    iterated: { iterations: number; output: string }[];
    diffieHellman: Record<"alicePrivate" | "alicePublic" | "bobPrivate" | "bobPublic" | "shared", string>;
  }>("rfc7748/x25519.json");

  it.each(v.scalarMult)("§5.2 scalar multiplication $output", (c) => {
    expect(toHex(x25519(pair(hex(c.scalar)), hex(c.u)))).toBe(c.output);
    expect(toHex(nacl.scalarMult(hex(c.scalar), hex(c.u)))).toBe(c.output); // the public-key derivation's library
  });

  it("§5.2 iterated 1 and 1000 times (node:crypto for the first steps, tweetnacl for the rest)", () => {
    let k: Uint8Array = new Uint8Array(32);
    k[0] = 9;
    let u: Uint8Array = k.slice();
    const want = new Map(v.iterated.map((c) => [c.iterations, c.output]));
    for (let i = 1; i <= 1000; i++) {
      [k, u] = [i <= 10 ? x25519(pair(k), u) : nacl.scalarMult(k, u), k];
      if (want.has(i)) expect(toHex(k)).toBe(want.get(i));
    }
  });

  it("§6.1 Diffie-Hellman", () => {
    const d = v.diffieHellman;
    expect(toHex(x25519PublicKey(hex(d.alicePrivate)))).toBe(d.alicePublic);
    expect(toHex(x25519PublicKey(hex(d.bobPrivate)))).toBe(d.bobPublic);
    expect(toHex(x25519(pair(hex(d.alicePrivate)), hex(d.bobPublic)))).toBe(d.shared);
    expect(toHex(x25519(pair(hex(d.bobPrivate)), hex(d.alicePublic)))).toBe(d.shared);
  });

  it("agrees under the secret an array holds now, when that array's contents change between agreements", () => {
    const d = v.diffieHellman;
    const own = pair(hex(d.alicePrivate));
    expect(toHex(x25519(own, hex(d.bobPublic)))).toBe(d.shared);
    // The same array (kept with its imported key) now holds Bob's secret.
    own.secretKey.set(hex(d.bobPrivate));
    expect(toHex(x25519({ ...own, publicKey: hex(d.bobPublic) }, hex(d.alicePublic)))).toBe(d.shared);
  });

  it("refuses a small-order peer key (§6.1 all-zero check)", () => {
    const kp = generateX25519KeyPair(seededRng("x"));
    expect(() => x25519(kp, new Uint8Array(32))).toThrow(CryptoError);
    const one = new Uint8Array(32);
    one[0] = 1; // u = 1 has order 4
    expect(() => x25519(kp, one)).toThrow(CryptoError);
  });

  it("generates clamped scalars that are field elements, deterministically from the rng", () => {
    const a = generateX25519KeyPair(seededRng(3));
    const b = generateX25519KeyPair(seededRng(3));
    expect(a).toEqual(b);
    expect((a.secretKey[0] as number) & 7).toBe(0);
    expect((a.secretKey[31] as number) & 0xc0).toBe(0x40);
    expect(isFieldElement(a.secretKey)).toBe(true);
  });
});

describe("HKDF-SHA256 (RFC 5869)", () => {
  const v = vector<{
    cases: { name: string; ikm: string; salt: string; info: string; length: number; okm: string }[];
  }>("rfc5869/hkdf-sha256.json");
  it.each(v.cases)("Appendix $name", (c) => {
    expect(toHex(hkdfSha256(hex(c.ikm), hex(c.salt), hex(c.info), c.length))).toBe(c.okm);
  });

  it("context encoding is injective across field boundaries and types", () => {
    const encodings = [
      encodeContext(["ab", "c"]),
      encodeContext(["a", "bc"]),
      encodeContext(["abc"]),
      encodeContext([1]),
      encodeContext(["1"]),
      encodeContext([Uint8Array.of(0x31)]),
    ].map(toHex);
    expect(new Set(encodings).size).toBe(encodings.length);
  });
});

describe("Ed25519 (RFC 8032) on node:crypto", () => {
  const v = vector<{
    cases: { name: string; secretKey: string; publicKey: string; message: string; signature: string }[];
  }>("rfc8032/ed25519.json");
  it.each(v.cases)("§7.1 $name", (c) => {
    expect(toHex(signingPublicKey(hex(c.secretKey)))).toBe(c.publicKey);
    expect(toHex(signMessage(hex(c.message), hex(c.secretKey)))).toBe(c.signature);
    expect(verifySignature(hex(c.message), hex(c.signature), hex(c.publicKey))).toBe(true);
  });

  it("agrees with tweetnacl and rejects altered messages, signatures and keys", () => {
    const rng = seededRng("ed");
    const kp = generateSigningKeyPair(rng);
    const message = new Uint8Array(100);
    rng.fill(message);
    const sig = signMessage(message, kp.seed);
    const naclPair = nacl.sign.keyPair.fromSeed(kp.seed);
    expect(toHex(naclPair.publicKey)).toBe(toHex(kp.publicKey));
    expect(nacl.sign.detached.verify(message, sig, kp.publicKey)).toBe(true);
    const flipped = message.slice();
    flipped[0] = (flipped[0] as number) ^ 1;
    expect(verifySignature(flipped, sig, kp.publicKey)).toBe(false);
    expect(verifySignature(message, sig.subarray(0, 63), kp.publicKey)).toBe(false);
    expect(verifySignature(message, sig, generateSigningKeyPair(rng).publicKey)).toBe(false);
  });
});

describe("secretbox sealing", () => {
  it("round-trips and refuses tampering or a wrong key", () => {
    const rng = seededRng("box");
    const key = new Uint8Array(32);
    rng.fill(key);
    const plain = Uint8Array.from({ length: 64 }, (_, i) => i);
    const sealed = sealBox(plain, key, rng);
    expect(sealed.length).toBe(64 + 40);
    expect(openBox(sealed, key)).toEqual(plain);
    const tampered = sealed.slice();
    tampered[50] = (tampered[50] as number) ^ 1;
    expect(openBox(tampered, key)).toBeNull();
    const other = key.slice();
    other[0] = (other[0] as number) ^ 1;
    expect(openBox(sealed, other)).toBeNull();
    expect(openBox(sealed.subarray(0, 10), key)).toBeNull();
  });
});

describe("mask PRG (AES-256-CTR)", () => {
  const seed = Uint8Array.from({ length: 32 }, (_, i) => i * 7);

  it("equals the AES-256-CTR keystream read as little-endian words, across chunk boundaries", () => {
    const length = 40_000; // > one 64 KiB chunk
    const ks = createCipheriv("aes-256-ctr", seed, new Uint8Array(16)).update(new Uint8Array(length * 4));
    const want = Array.from({ length }, (_, i) => ks.readUInt32LE(i * 4));
    expect(Array.from(expandMask(seed, length))).toEqual(want);
    const target = new Uint32Array(length).fill(5);
    applyMasks(target, [{ seed, sign: 1 }]);
    expect(target[length - 1]).toBe(((want[length - 1] as number) + 5) >>> 0);
  });

  it.each([1, 5, 16_387, 70_001])(
    "several signed masks at once equal their sum computed word by word (d = %i)",
    (d) => {
      const rng = seededRng(`masks-${d}`);
      const seeds = Array.from({ length: 4 }, () => {
        const s = new Uint8Array(32);
        rng.fill(s);
        return s;
      });
      const signs = [1, -1, 1, -1] as const;
      const x = new Uint32Array(d);
      for (let i = 0; i < d; i++) x[i] = rng.nextUint32();
      const want = x.slice();
      seeds.forEach((s, m) => {
        const mask = expandMask(s, d);
        for (let i = 0; i < d; i++)
          want[i] = (want[i] as number) + (signs[m] as number) * (mask[i] as number);
      });
      const got = x.slice();
      applyMasks(
        got,
        seeds.map((seed, m) => ({ seed, sign: signs[m] as 1 | -1 })),
      );
      expect(got).toEqual(want);
    },
  );

  it("adding then subtracting a mask is the identity mod 2^32", () => {
    const rng = seededRng("prg");
    const x = new Uint32Array(20_001);
    for (let i = 0; i < x.length; i++) x[i] = rng.nextUint32();
    const y = x.slice();
    applyMasks(y, [{ seed, sign: 1 }]);
    expect(y).not.toEqual(x);
    applyMasks(y, [{ seed, sign: -1 }]);
    expect(y).toEqual(x);
  });
});
