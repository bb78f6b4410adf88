// Threshold CKKS key material at the edges: transcript checks a site makes before encrypting, SEAL byte-format refusals, and a streaming sum that bad input leaves unchanged.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CiphertextSumAccumulator } from "../../crypto/ckks/aggregate-stream.ts";
import {
  collectivePublicKey,
  secretKeyPoly,
  verifyCollectiveKey,
  type KeyTranscript,
} from "../../crypto/ckks/collective-key.ts";
import { createCkksContext, loadSeal, type CkksContext } from "../../crypto/ckks/context.ts";
import { readCiphertext } from "../../crypto/ckks/seal-format.ts";
import { runCeremony, type SimulatedCeremony } from "../../crypto/ckks/threshold-in-process.ts";
import {
  createPolyTools,
  THRESHOLD_CKKS_PARAMS,
  type PolyTools,
} from "../../crypto/ckks/threshold-params.ts";
import { createThresholdEncryptor } from "../../crypto/ckks/threshold-site.ts";
import { CkksFormatError, HEADER_BYTES } from "../../crypto/ckks/wire.ts";
import { ProtocolError } from "../../crypto/errors.ts";
import { seededRng } from "../../crypto/rng.ts";

let ctx: CkksContext;
let tools: PolyTools;
let ceremony: SimulatedCeremony;

beforeAll(async () => {
  ctx = createCkksContext(await loadSeal(), THRESHOLD_CKKS_PARAMS);
  tools = createPolyTools(ctx, THRESHOLD_CKKS_PARAMS);
  ceremony = runCeremony(tools, 3, 2, seededRng("transcript"));
});
afterAll(() => ctx.dispose());

const trusted = () =>
  ceremony.holders.map((h) => ({ siteId: h.siteId, signingPublicKey: h.signingPublicKey }));

function withEntry(
  transcript: KeyTranscript,
  i: number,
  change: (share: Uint8Array) => Uint8Array,
): KeyTranscript {
  return {
    ...transcript,
    entries: transcript.entries.map((e, k) =>
      k === i ? { ...e, share: change(Uint8Array.from(e.share)) } : e,
    ),
  };
}

describe("a site checks the collective key against the signed transcript", () => {
  it("accepts the honest transcript and key", () => {
    expect(() =>
      verifyCollectiveKey(tools, {
        transcript: ceremony.transcript,
        publicKey: ceremony.publicKey,
        holders: trusted(),
      }),
    ).not.toThrow();
  });

  it("catches a tampered public-key share, even with the key recomputed to match it", () => {
    const tampered = withEntry(ceremony.transcript, 1, (share) => {
      share[8] = (share[8] as number) ^ 1;
      return share;
    });
    const publicKey = collectivePublicKey(tools, tampered);
    const check = () => verifyCollectiveKey(tools, { transcript: tampered, publicKey, holders: trusted() });
    expect(check).toThrow(ProtocolError);
    expect(check).toThrow(/not signed by it/);
  });

  it("catches a key that is not the sum of the shares, a wrong roster, and a missing own nonce", () => {
    const [b, a] = readCiphertext(ceremony.publicKey, tools, "public key").polys;
    b[0] = ((b[0] as number) + 1) >>> 0;
    const forged = Uint8Array.from(ceremony.publicKey);
    forged.set(new Uint8Array(b.buffer, b.byteOffset, 8), forged.length - 2 * a.byteLength);
    expect(() =>
      verifyCollectiveKey(tools, { transcript: ceremony.transcript, publicKey: forged, holders: trusted() }),
    ).toThrow(/not the sum/);
    expect(() =>
      verifyCollectiveKey(tools, {
        transcript: ceremony.transcript,
        publicKey: ceremony.publicKey,
        holders: trusted().slice(1),
      }),
    ).toThrow(/expected key holders/);
    expect(() =>
      verifyCollectiveKey(tools, {
        transcript: ceremony.transcript,
        publicKey: ceremony.publicKey,
        holders: trusted(),
        own: { siteId: "site-1", nonce: new Uint8Array(32) },
      }),
    ).toThrow(/own nonce/);
  });

  it("SEAL's Encryptor loads the collective key; garbage is refused with a format error", () => {
    expect(() => createThresholdEncryptor(tools, ceremony.publicKey).dispose()).not.toThrow();
    expect(() => createThresholdEncryptor(tools, ceremony.publicKey.subarray(0, 100))).toThrow(
      CkksFormatError,
    );
  });
});

describe("parameters", () => {
  it("refuses smudging that could wrap the modulus, and a context built from other parameters", () => {
    expect(() => createPolyTools(ctx, { ...THRESHOLD_CKKS_PARAMS, smudgingStddevBits: 52 })).toThrow(/wrap/);
    expect(() => createPolyTools(ctx, { ...THRESHOLD_CKKS_PARAMS, scaleBits: 36 })).toThrow(
      /other parameters/,
    );
  });
});

describe("SEAL byte format", () => {
  it("refuses compressed objects, other versions and other parameters with a clear error", () => {
    const generator = ctx.seal.KeyGenerator(ctx.context);
    const secretKey = generator.secretKey();
    const compressed = secretKey.saveArray(
      ctx.seal.ComprModeType.zlib as Parameters<typeof secretKey.saveArray>[0],
    );
    const plain = secretKey.saveArray(
      ctx.seal.ComprModeType.none as Parameters<typeof secretKey.saveArray>[0],
    );
    secretKey.delete();
    generator.delete();
    expect(() => secretKeyPoly(tools, compressed)).toThrow(/compressed .*compr_mode none/);
    const otherVersion = Uint8Array.from(plain);
    otherVersion[4] = 0; // minor version 0: SEAL 4.0
    expect(() => secretKeyPoly(tools, otherVersion)).toThrow(/SEAL version 4.0/);
    const otherParms = Uint8Array.from(plain);
    otherParms[16] = (otherParms[16] as number) ^ 1;
    expect(() => secretKeyPoly(tools, otherParms)).toThrow(/other SEAL parameters/);
    const notSeal = Uint8Array.from(plain);
    notSeal[0] = 0;
    expect(() => secretKeyPoly(tools, notSeal)).toThrow(/bad magic/);
    expect(secretKeyPoly(tools, plain)).toHaveLength(2 * tools.degree);
  });
});

describe("the coordinator's streaming sum", () => {
  it("refuses a malformed upload and leaves the sum as it was", () => {
    const encryptor = createThresholdEncryptor(tools, ceremony.publicKey);
    try {
      const length = 10;
      const upload = encryptor.encryptVector(Float32Array.from({ length }, (_, i) => i / length));
      const accumulator = new CiphertextSumAccumulator(tools, length);
      accumulator.add(upload);
      const before = accumulator.serialize();
      const unreduced = Uint8Array.from(upload);
      unreduced.fill(0xff, unreduced.length - 8); // last coefficient ≥ q
      expect(() => accumulator.add(unreduced)).toThrow(/not reduced/);
      const notNtt = Uint8Array.from(upload);
      notNtt[HEADER_BYTES + 4 + 16 + 32] = 0; // is_ntt_form of the first ciphertext
      expect(() => accumulator.add(notNtt)).toThrow(/NTT form/);
      expect(() => accumulator.add(upload.subarray(0, upload.length - 1))).toThrow(CkksFormatError);
      const longer = encryptor.encryptVector(new Float32Array(length + 1));
      expect(() => accumulator.add(longer)).toThrow(/length/);
      expect(accumulator.summands).toBe(1);
      expect(accumulator.serialize()).toEqual(before);
    } finally {
      encryptor.dispose();
    }
  });
});
