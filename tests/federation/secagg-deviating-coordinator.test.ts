// A coordinator that deviates from SecAgg+ in what it tells every site alike (a peer key of its own, a codec range that clips the DP noise) is refused by the sites before they use any key (issue 18 §1, §4).
import { describe, expect, it } from "vitest";
import {
  generateSigningKeyPair,
  generateX25519KeyPair,
  joinBindingPayload,
  signMessage,
} from "../../crypto/keys.ts";
import { signSiteKeys } from "../../crypto/pki/key-binding.ts";
import { seededRng } from "../../crypto/rng.ts";
import type { JoinRequest, PollResponse, RosterEntry, SecAggSettings } from "../../proto/messages.ts";
import type { DialFunction } from "../../proto/transport.ts";
import { createFederation, type Federation } from "./helpers/federation.ts";
import { createTestPki, type TestPki } from "./helpers/pki.ts";

const SITES = ["alpha", "beta", "gamma"];
const DEADLINES = {
  joinMs: 20_000,
  trainMs: 4_000,
  advertiseKeysMs: 2_000,
  shareKeysMs: 2_000,
  unmaskMs: 2_000,
  evalMs: 2_000,
  keyCeremonyMs: 5_000,
};

/**
 * The coordinator's side of the attack, applied to every task it hands out: beta's roster entry carries
 * keys the coordinator holds, signed by the best certificate it has, its own.
 */
function substituteBeta(entry: RosterEntry, forged: Omit<RosterEntry, "siteId">): RosterEntry {
  return entry.siteId === "beta" ? { siteId: entry.siteId, ...forged } : entry;
}

/** The coordinator's deviation, applied to the SecAgg+ settings of every training task it hands out. */
function tamperedDial(
  dial: DialFunction,
  tamper: (settings: SecAggSettings) => SecAggSettings,
): DialFunction {
  return (options) => {
    const connection = dial(options);
    const federation = {
      ...connection.federation,
      poll: async (...args: Parameters<typeof connection.federation.poll>): Promise<PollResponse> => {
        const step = await connection.federation.poll(...args);
        if (step.step !== "train" || step.train.secagg === null) return step;
        return { ...step, train: { ...step.train, secagg: tamper(step.train.secagg) } };
      },
    };
    return {
      ...connection,
      federation,
      traffic: () => connection.traffic(),
      close: () => connection.close(),
    };
  };
}

/** Runs one secagg round try with every site dialling through `dial`; the sites' events tell what they did. */
async function runTampered(
  config: Record<string, unknown>,
  tamper: (settings: SecAggSettings) => SecAggSettings,
  pki?: TestPki,
) {
  const federation = await createFederation({
    sites: SITES,
    transport: "in-memory",
    ...(pki === undefined ? {} : { pki }),
    config: {
      rounds: 1,
      privacy: { mode: "secagg" },
      sitesPerRound: { fraction: 1, minimum: 3 },
      maxAttemptsPerRound: 1,
      deadlines: DEADLINES,
      ...config,
    },
  });
  const dial = tamperedDial(federation.dial, tamper);
  const running = SITES.map((name) => federation.startSite(name, { dial }));
  const summary = await federation.coordinator.done;
  await Promise.all(running.map((site) => site.stop()));
  await federation.coordinator.stop();
  return { federation, summary };
}

/** Every site left the round with a reason matching `reason`, before it advertised any key. */
function expectRefusedBeforeAdvertising(federation: Federation, reason: RegExp): void {
  for (const name of SITES) {
    const events = federation.siteEvents.get(name) ?? [];
    expect(events.some((e) => e.type === "stage" && e.stage === "advertise_keys")).toBe(false);
    const dropped = events.filter((e) => e.type === "dropped");
    expect(dropped.length).toBeGreaterThan(0);
    for (const event of dropped) if (event.type === "dropped") expect(event.reason).toMatch(reason);
  }
}

describe("a coordinator that substitutes its own identity key for a peer's at every site", () => {
  it("is refused by every site before any key is advertised or used", async () => {
    const rng = seededRng("coordinator-forgery");
    const identityKey = generateSigningKeyPair(rng).publicKey;
    const envelopePublicKey = generateX25519KeyPair(rng).publicKey;
    const pki = await createTestPki(SITES);
    const { coordinator } = pki;
    const forged = {
      identityKey,
      envelopePublicKey,
      certificate: derOf(coordinator.certPem),
      certificateKeySignature: signSiteKeys(
        coordinator.certPem,
        coordinator.keyPem,
        identityKey,
        envelopePublicKey,
      ),
    };
    // The federation's own coordinator certificate: the best one the coordinator holds.
    const { federation, summary } = await runTampered(
      {},
      (settings) => ({ ...settings, roster: settings.roster.map((entry) => substituteBeta(entry, forged)) }),
      pki,
    );
    expect(summary.completedRounds).toBe(0);
    expectRefusedBeforeAdvertising(federation, /peer keys refused: the keys relayed for beta/);
  });
});

describe("a coordinator that narrows the codec range under client-level DP", () => {
  it("is refused by every site: the range would clip its noise share", async () => {
    const { federation, summary } = await runTampered(
      { dp: { level: "site", clipNorm: 1, noiseMultiplier: 2, epsilonBudget: 1000 } },
      (settings) => ({ ...settings, clipRange: 1 }),
    );
    expect(summary.completedRounds).toBe(0);
    expectRefusedBeforeAdvertising(federation, /codec range 1 would clip this site's DP noise share/);
  });
});

/** A certificate as DER bytes. */
function derOf(pem: string): Uint8Array {
  return new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ""), "base64"));
}

describe("Join with certified keys", () => {
  it("refuses a certificate signature over other keys and another site's certificate, then accepts the certified keys", async () => {
    const federation = await createFederation({
      sites: SITES,
      transport: "in-memory",
      config: { rounds: 1, privacy: { mode: "secagg" }, sitesPerRound: { fraction: 1, minimum: 3 } },
    });
    const alpha = federation.pki.sites.get("alpha");
    const beta = federation.pki.sites.get("beta");
    if (alpha === undefined || beta === undefined) throw new Error("test PKI lacks a site");
    const rng = seededRng("join-binding");
    const identity = generateSigningKeyPair(rng);
    const envelopePublicKey = generateX25519KeyPair(rng).publicKey;
    const request = (certificate: typeof alpha, signedEnvelope: Uint8Array): JoinRequest => ({
      baseModelHash: "ab".repeat(32),
      identityKey: identity.publicKey,
      keyBindingSignature: signMessage(
        joinBindingPayload(alpha.fingerprint, identity.publicKey, envelopePublicKey),
        identity.seed,
      ),
      envelopePublicKey,
      clientVersion: "test",
      certificate: derOf(certificate.certPem),
      certificateKeySignature: signSiteKeys(
        certificate.certPem,
        certificate.keyPem,
        identity.publicKey,
        signedEnvelope,
      ),
    });
    const connection = federation.dial({ address: federation.coordinator.address, tls: alpha });
    const deadline = { deadlineMs: 5_000 };
    try {
      const otherEnvelope = generateX25519KeyPair(rng).publicKey;
      await expect(connection.federation.join(request(alpha, otherEnvelope), deadline)).rejects.toMatchObject(
        {
          code: "invalid_argument",
        },
      );
      await expect(
        connection.federation.join(request(beta, envelopePublicKey), deadline),
      ).rejects.toMatchObject({
        code: "invalid_argument",
      });
      const joined = await connection.federation.join(request(alpha, envelopePublicKey), deadline);
      expect(joined.siteId).toBe("alpha");
    } finally {
      connection.close();
      await federation.coordinator.stop();
    }
  });
});
