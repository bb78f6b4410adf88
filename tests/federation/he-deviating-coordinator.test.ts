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

/** `peers` with `victim`'s entry carrying `forged` keys instead. */
function substitute<T extends CertifiedPeer>(
  peers: readonly T[],
  victim: string,
  forged: Omit<CertifiedPeer, "siteId">,
): T[] {
  return peers.map((peer) => (peer.siteId === victim ? { ...peer, ...forged } : peer));
}

/**
 * Every site dials through this: each Poll step passes through `tamper`, and the headers of every blob a
 * site publishes are recorded in `published`.
 */
function deviatingDial(
  dial: DialFunction,
  tamper: (step: PollResponse) => PollResponse,
  published: KeyBlobHeader[],
): DialFunction {
  return (options) => {
    const connection = dial(options);
    const { federation } = connection;
    return {
      ...connection,
      federation: {
        ...federation,
        poll: async (...args: Parameters<typeof federation.poll>) => tamper(await federation.poll(...args)),
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

/** Runs an he federation with every site dialling through `tamper`; what the sites published and warned. */
async function runDeviating(
  pki: TestPki,
  config: Record<string, unknown>,
  tamper: (step: PollResponse) => PollResponse,
) {
  const federation = await createFederation({ sites: SITES, transport: "in-memory", pki, ckks, config });
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
  const dial = deviatingDial(federation.dial, tamper, published);
  const running = SITES.map((name) => federation.startSite(name, { dial, logger }));
  const summary = await federation.coordinator.done;
  await Promise.all(running.map((site) => site.stop()));
  await federation.coordinator.stop();
  return { summary, published, warnings };
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
      const forged = forgedKeys(signer());
      const { summary, published, warnings } = await runDeviating(
        pki,
        {
          rounds: 1,
          privacy: { mode: "he" },
          sitesPerRound: { fraction: 1, minimum: 3 },
          maxAttemptsPerRound: 1,
          deadlines: { joinMs: 20_000, keyCeremonyMs: 3_000 },
        },
        (step) =>
          step.step === "keyCeremony"
            ? {
                ...step,
                keyCeremony: {
                  ...step.keyCeremony,
                  holders: substitute(step.keyCeremony.holders, victim, forged),
                },
              }
            : step,
      );
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

describe("an he decryption (reveal: sites) where the coordinator relays keys of its own for one recipient", () => {
  it("no holder seals a decryption share to anyone, and the round is not completed", async () => {
    const pki = await createTestPki(SITES);
    const forged = forgedKeys(pki.coordinator);
    const { summary, published, warnings } = await runDeviating(
      pki,
      {
        rounds: 1,
        privacy: { mode: "he", he: { threshold: 2, reveal: "sites" } },
        sitesPerRound: { fraction: 1, minimum: 3 },
        maxAttemptsPerRound: 1,
        deadlines: {
          joinMs: 20_000,
          trainMs: 6_000,
          evalMs: 3_000,
          keyCeremonyMs: 20_000,
          decryptionMs: 3_000,
        },
      },
      (step) =>
        step.step === "decrypt"
          ? {
              ...step,
              decrypt: { ...step.decrypt, recipients: substitute(step.decrypt.recipients, "gamma", forged) },
            }
          : step,
    );
    // The ceremony ran as it should (the control), the decryption did not.
    expect(published.filter((h) => h.kind === "key-share")).toHaveLength(SITES.length * SITES.length);
    expect(summary.completedRounds).toBe(0);
    expect(published.filter((h) => h.kind === "decryption-share" || h.kind === "share-key")).toEqual([]);
    expect(warnings.some((w) => /peer keys refused: the keys relayed for gamma/.test(w))).toBe(true);
  }, 90_000);
});
