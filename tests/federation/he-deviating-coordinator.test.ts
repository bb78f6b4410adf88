// A coordinator that relays, for one key holder of the he key ceremony, keys of its own (signed by its own
// certificate, or by a certificate of another CA in the holder's name) is refused by every holder before any
// Shamir share of a CKKS secret key is sealed (issue 18 §1): it could otherwise open that share and, with the
// others, decrypt a site's update.
import { X509Certificate } from "node:crypto";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCkksContext, loadSeal, type CkksContext } from "../../crypto/ckks/context.ts";
import { generateSigningKeyPair, generateX25519KeyPair } from "../../crypto/keys.ts";
import { signSiteKeys } from "../../crypto/pki/key-binding.ts";
import { seededRng } from "../../crypto/rng.ts";
import type { CertifiedPeer, KeyBlobHeader, KeyPart, PollResponse } from "../../proto/messages.ts";
import type { DialFunction, TlsIdentity } from "../../proto/transport.ts";
import { createFederation } from "./helpers/federation.ts";
import { createTestPki, type TestPki } from "./helpers/pki.ts";

const SITES = ["alpha", "beta", "gamma"];

let ckks: CkksContext;
beforeAll(async () => {
  ckks = createCkksContext(await loadSeal());
});
afterAll(() => ckks.dispose());

/** Keys the coordinator holds, bound by `signer`'s certificate: the best binding it can make. */
function forgedKeys(signer: TlsIdentity): Omit<CertifiedPeer, "siteId"> {
  const rng = seededRng("he-coordinator-forgery");
  const identityKey = generateSigningKeyPair(rng).publicKey;
  const envelopePublicKey = generateX25519KeyPair(rng).publicKey;
  return {
    identityKey,
    envelopePublicKey,
    certificate: new Uint8Array(new X509Certificate(signer.certPem).raw),
    certificateKeySignature: signSiteKeys(signer.certPem, signer.keyPem, identityKey, envelopePublicKey),
  };
}

/**
 * Every site dials through this: each key ceremony step lists `victim` with `forged` keys, and the headers of
 * every blob a site publishes are recorded in `published`.
 */
function deviatingDial(
  dial: DialFunction,
  victim: string,
  forged: Omit<CertifiedPeer, "siteId">,
  published: KeyBlobHeader[],
): DialFunction {
  return (options) => {
    const connection = dial(options);
    const { federation } = connection;
    return {
      ...connection,
      federation: {
        ...federation,
        poll: async (...args: Parameters<typeof federation.poll>): Promise<PollResponse> => {
          const step = await federation.poll(...args);
          if (step.step !== "keyCeremony") return step;
          const holders = step.keyCeremony.holders.map((h) =>
            h.siteId === victim ? { siteId: h.siteId, ...forged } : h,
          );
          return { ...step, keyCeremony: { ...step.keyCeremony, holders } };
        },
        publishKeys: async (...[parts, callOptions]: Parameters<typeof federation.publishKeys>) => {
          const sent: KeyPart[] = [];
          for await (const part of parts) sent.push(part);
          for (const part of sent) if (part.part === "header") published.push(part.header);
          return federation.publishKeys(sent, callOptions);
        },
      },
      traffic: () => connection.traffic(),
      close: () => connection.close(),
    };
  };
}

describe("an he key ceremony where the coordinator relays keys of its own for one holder", () => {
  let pki: TestPki;
  beforeAll(async () => {
    pki = await createTestPki(SITES);
  });

  it.each([
    [
      "the coordinator's own certificate",
      "beta",
      () => pki.coordinator,
      /peer keys refused: the keys relayed for beta/,
    ],
    [
      "a certificate of another CA in the holder's name",
      "alpha",
      () => pki.stranger,
      /peer keys refused: the keys relayed for alpha/,
    ],
  ] as const)(
    "signed by %s: no holder seals a key share to anyone, and the ceremony fails",
    async (_, victim, signer, reason) => {
      const federation = await createFederation({
        sites: SITES,
        transport: "in-memory",
        pki,
        ckks,
        config: {
          rounds: 1,
          privacy: { mode: "he" },
          sitesPerRound: { fraction: 1, minimum: 3 },
          maxAttemptsPerRound: 1,
          deadlines: { joinMs: 20_000, keyCeremonyMs: 3_000 },
        },
      });
      const published: KeyBlobHeader[] = [];
      const warnings: string[] = [];
      const logger = pino(
        { level: "warn" },
        new Writable({
          write(chunk: Buffer, _encoding, done) {
            warnings.push(chunk.toString());
            done();
          },
        }),
      );
      const dial = deviatingDial(federation.dial, victim, forgedKeys(signer()), published);
      const running = SITES.map((name) => federation.startSite(name, { dial, logger }));
      const summary = await federation.coordinator.done;
      await Promise.all(running.map((site) => site.stop()));
      await federation.coordinator.stop();

      expect(summary.outcome).toBe("failed");
      expect(summary.reason).toMatch(/key ceremony failed/);
      // Every holder reached the share stage (its nonce went out) and refused there: no public-key share,
      // and above all no Shamir share sealed to the substituted envelope key (or to any other).
      expect(published.filter((h) => h.kind === "nonce")).toHaveLength(SITES.length);
      expect(published.filter((h) => h.kind === "key-share")).toEqual([]);
      expect(published.filter((h) => h.kind === "public-key-share")).toEqual([]);
      expect(warnings.filter((w) => reason.test(w)).length).toBeGreaterThanOrEqual(SITES.length);
    },
    60_000,
  );
});
