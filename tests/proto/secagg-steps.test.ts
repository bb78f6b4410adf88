// The wire ⇄ SecAgg+ table: both sides configure the state machine from the task's settings alike.
import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createCa, issueCertificate } from "../../coordinator/pki/index.ts";
import { generateSigningKeyPair, generateX25519KeyPair } from "../../crypto/keys.ts";
import { NO_REVOCATIONS, PkiError } from "../../crypto/pki/identity.ts";
import { signSiteKeys } from "../../crypto/pki/key-binding.ts";
import { seededRng } from "../../crypto/rng.ts";
import { buildNeighbourGraph } from "../../crypto/secagg/graph.ts";
import { prepareRound } from "../../crypto/secagg/round.ts";
import { parseSiteId, type SiteId } from "../../crypto/site-id.ts";
import { pollResponseSchema, type RosterEntry, type SecAggSettings } from "../../proto/messages.ts";
import {
  certifiedSecAggConfigOf,
  secAggConfigOf,
  secAggSettingsFor,
  uncertifiedRoster,
} from "../../proto/secagg-steps.ts";

const key = (fill: number) => new Uint8Array(32).fill(fill);

describe("secAggConfigOf", () => {
  const certified = {
    envelopePublicKey: new Uint8Array(32),
    certificate: new Uint8Array(1),
    certificateKeySignature: new Uint8Array(8),
  };

  it("keeps the roster's order and binds each site to its identity key", () => {
    const settings: SecAggSettings = {
      roundId: 7,
      sessionId: new Uint8Array(32).fill(9),
      threshold: 2,
      degree: 2,
      vectorLength: 5,
      clipRange: 1,
      maxSummands: 3,
      maxExamples: 100,
      roster: [
        { siteId: parseSiteId("site-c"), identityKey: key(3), ...certified },
        { siteId: parseSiteId("site-a"), identityKey: key(1), ...certified },
        { siteId: parseSiteId("site-b"), identityKey: key(2), ...certified },
      ],
    };
    const config = secAggConfigOf(settings);
    expect(config).toMatchObject({
      roundId: 7,
      threshold: 2,
      degree: 2,
      vectorLength: 5,
      codec: { clipRange: 1, maxSummands: 3 },
    });
    expect(config.sessionId).toBe(settings.sessionId);
    expect(config.roster).toEqual(["site-c", "site-a", "site-b"]);
    expect([...config.identityKeys]).toEqual([
      ["site-c", key(3)],
      ["site-a", key(1)],
      ["site-b", key(2)],
    ]);
    expect(prepareRound(config).graph.sites).toHaveLength(3);
  });
});

/** Eight sites with certificates and certified keys, their settings and neighbour graph (degree 2). */
async function certifiedRound() {
  const ca = await createCa({ commonName: "roster-consortium" });
  const rng = seededRng("certified-roster");
  const roster: RosterEntry[] = [];
  for (let i = 0; i < 8; i++) {
    const siteId = parseSiteId(`site-${i}`);
    const cert = await issueCertificate(ca, { role: "site", name: siteId });
    const identityKey = generateSigningKeyPair(rng).publicKey;
    const envelopePublicKey = generateX25519KeyPair(rng).publicKey;
    const signature = signSiteKeys(cert.certPem, cert.keyPem, identityKey, envelopePublicKey);
    roster.push({
      siteId,
      identityKey,
      envelopePublicKey,
      certificate: new Uint8Array(new X509Certificate(cert.certPem).raw),
      certificateKeySignature: signature,
    });
  }
  const settings = (entries: RosterEntry[]): SecAggSettings => ({
    roundId: 1,
    sessionId: new Uint8Array(32).fill(4),
    threshold: 2,
    degree: 2,
    vectorLength: 5,
    clipRange: 1,
    maxSummands: 8,
    maxExamples: 100,
    roster: entries,
  });
  const trust = { caCert: ca.certPem, revocations: NO_REVOCATIONS };
  const me = parseSiteId("site-0");
  const graph = buildNeighbourGraph(
    roster.map((entry) => entry.siteId),
    2,
    new Uint8Array(32).fill(4),
  );
  return { rng, roster, settings, trust, me, graph };
}

describe("certifiedSecAggConfigOf", () => {
  it("checks the certified keys relayed for the site and its neighbours, the only ones it uses", async () => {
    const { rng, roster, settings, trust, me, graph } = await certifiedRound();
    const neighbour = graph.neighbours(me)[0];
    const stranger = graph.sites.find((site) => site !== me && !graph.areNeighbours(me, site));
    // The coordinator swaps in an identity key of its own choosing for one peer.
    const substituted = (victim: string | undefined) =>
      settings(
        roster.map((entry) =>
          entry.siteId === victim ? { ...entry, identityKey: generateSigningKeyPair(rng).publicKey } : entry,
        ),
      );
    expect(() => certifiedSecAggConfigOf(substituted(neighbour), trust, me)).toThrow(
      `the keys relayed for ${neighbour}: the keys of ${neighbour} are not signed by its certificate`,
    );
    expect(() => certifiedSecAggConfigOf(substituted(me), trust, me)).toThrow(
      `the keys relayed for ${me}: the keys of ${me} are not signed by its certificate`,
    );
    // A non-neighbour's key is never used here; that peer's own neighbours refuse it.
    expect(certifiedSecAggConfigOf(substituted(stranger), trust, me).roster).toHaveLength(8);
    expect(() =>
      certifiedSecAggConfigOf(
        substituted(stranger),
        trust,
        stranger ? (graph.neighbours(stranger)[0] ?? me) : me,
      ),
    ).toThrow(/are not signed by its certificate/);
  });
});

describe("secAggSettingsFor", () => {
  it("relays certificates for the site and its neighbours only, and every site hashes the same config", async () => {
    const { roster, settings, trust, graph } = await certifiedRound();
    const whole = settings(roster);
    const bare = uncertifiedRoster(whole);
    const hashes = new Set<string>();
    for (const site of graph.sites) {
      const tailored = secAggSettingsFor(whole, bare, graph, site);
      const used = new Set([site, ...graph.neighbours(site)]);
      for (const entry of tailored.roster) {
        expect(entry.certificate.length > 0).toBe(used.has(entry.siteId));
        expect(entry.certificateKeySignature.length > 0).toBe(used.has(entry.siteId));
      }
      // The wire takes the entries without certificates (proto/messages.ts rosterEntrySchema).
      const task = {
        ref: { round: 1, attempt: 1 },
        globalVersion: 0,
        deadlineMs: 1,
        he: null,
        secagg: tailored,
      };
      expect(pollResponseSchema.safeParse({ step: "eval", eval: task }).success).toBe(true);
      const config = certifiedSecAggConfigOf(tailored, trust, site);
      hashes.add(Buffer.from(prepareRound(config).configHash).toString("hex"));
    }
    expect(hashes.size).toBe(1);
    // Another site's task given to site-0 lacks certificates site-0 needs (its own, at least): refused.
    const me = parseSiteId("site-0");
    const stranger = graph.sites.find((site) => site !== me && !graph.areNeighbours(me, site)) as SiteId;
    expect(() => certifiedSecAggConfigOf(secAggSettingsFor(whole, bare, graph, stranger), trust, me)).toThrow(
      PkiError,
    );
  });
});
