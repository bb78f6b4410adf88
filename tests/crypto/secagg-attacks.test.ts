// Attacks by a coordinator that deviates from SecAgg+, replayed against the sites' own state machines (issue 18).
import { describe, expect, it } from "vitest";
import { ParameterError } from "../../crypto/errors.ts";
import { generateSigningKeyPair, x25519PublicKey } from "../../crypto/keys.ts";
import { applyMasks } from "../../crypto/prg.ts";
import type { SignedMask } from "../../crypto/prg.ts";
import { seededRng } from "../../crypto/rng.ts";
import { combineShares } from "../../crypto/shamir.ts";
import type { ShamirShare } from "../../crypto/shamir.ts";
import { clientMaskInput, clientReceive, createClient } from "../../crypto/secagg/client.ts";
import type { ClientState } from "../../crypto/secagg/client.ts";
import { advertiseAll } from "../../crypto/secagg/in-process.ts";
import { buildNeighbourGraph } from "../../crypto/secagg/graph.ts";
import type {
  AdvertiseKeysMessage,
  ConsistencySignatureMessage,
  SiteId,
  UnmaskResponseMessage,
} from "../../crypto/secagg/messages.ts";
import {
  pairwiseMaskSeed,
  pairwiseSign,
  prepareRound,
  roundConfigHash,
  selfMaskSeed,
  shareIndex,
} from "../../crypto/secagg/round.ts";
import type { SecAggConfig, SecAggRound } from "../../crypto/secagg/round.ts";
import { serverCloseStage, serverReceive } from "../../crypto/secagg/server.ts";
import { closeStage, deliverInbox, makeFixture, refusal, startHarness } from "./secagg-helpers.ts";

/**
 * Split survivor lists (issue 18 §2): an honest run of stages 0–2 with four sites on the complete
 * graph, then the coordinator tells {A, B} that only A and B survived and {C, D} that only C and D
 * did. A and B reveal A's self-mask seed shares; C and D reveal A's masking-key shares. With t = 2
 * both secrets rebuild, and A's masked input unmasks alone. `round` is built without prepareRound
 * so that the attack can be shown against a site that would accept the threshold.
 */
function splitSurvivorAttack(
  round: SecAggRound,
  identitySeeds: ReadonlyMap<SiteId, Uint8Array>,
): Uint32Array {
  const rng = seededRng("split-survivors");
  const { config } = round;
  const sites = [...round.graph.sites];
  const [a, b, c, d] = sites as [SiteId, SiteId, SiteId, SiteId];
  const inputOfA = Uint32Array.from([100, 200, 300, 400]);
  const started = advertiseAll(round, sites, identitySeeds, rng);
  const { clients } = started;
  let server = started.server;
  const advertisements = new Map<SiteId, AdvertiseKeysMessage>();
  let maskedA: Uint32Array | undefined;
  for (let stage = 0; stage < 2; stage++) {
    const step = serverCloseStage(server);
    server = step.state;
    for (const m of step.messages) {
      if (m.kind === "keys-broadcast") for (const ad of m.advertisements) advertisements.set(ad.siteId, ad);
      const out = clientReceive(clients.get(m.recipient) as ClientState, m, rng);
      clients.set(m.recipient, out.state);
      if (out.message !== null) server = serverReceive(server, out.message);
      if (out.state.stage === "awaiting-input") {
        const masked = clientMaskInput(out.state, m.recipient === a ? inputOfA : new Uint32Array(4));
        clients.set(m.recipient, masked.state);
        if (m.recipient === a)
          maskedA = Uint32Array.from((masked.messages[0] as { values: Uint32Array }).values);
      }
    }
  }
  const reveal = (group: readonly SiteId[]): UnmaskResponseMessage[] => {
    const survivors = [...group].sort();
    const signatures = survivors.map((site) => {
      const out = clientReceive(
        clients.get(site) as ClientState,
        { kind: "consistency-request", roundId: config.roundId, recipient: site, survivors },
        rng,
      );
      clients.set(site, out.state);
      const { siteId, signature } = out.message as ConsistencySignatureMessage;
      return { siteId, signature };
    });
    return survivors.map((site) => {
      const out = clientReceive(
        clients.get(site) as ClientState,
        { kind: "unmask-request", roundId: config.roundId, recipient: site, survivors, signatures },
        rng,
      );
      return out.message as UnmaskResponseMessage;
    });
  };
  const sharesOfA = (responses: UnmaskResponseMessage[], kind: "selfMaskShares" | "maskingKeyShares") =>
    responses.map((r): ShamirShare => ({
      x: shareIndex(round, r.siteId),
      y: (r[kind].find((s) => s.owner === a) as { share: Uint8Array }).share,
    }));
  const selfMaskSecret = combineShares(sharesOfA(reveal([a, b]), "selfMaskShares"), config.threshold);
  const maskingSecretKey = combineShares(sharesOfA(reveal([c, d]), "maskingKeyShares"), config.threshold);
  const own = { secretKey: maskingSecretKey, publicKey: x25519PublicKey(maskingSecretKey) };
  const masks: SignedMask[] = [{ seed: selfMaskSeed(round, selfMaskSecret), sign: -1 }];
  for (const peer of [b, c, d]) {
    const peerKey = (advertisements.get(peer) as AdvertiseKeysMessage).maskingPublicKey;
    masks.push({
      seed: pairwiseMaskSeed(round, own, peerKey, a, peer),
      sign: pairwiseSign(a, peer) === 1 ? -1 : 1,
    });
  }
  const recovered = Uint32Array.from(maskedA as Uint32Array);
  applyMasks(recovered, masks);
  return recovered;
}

function roundWith(threshold: number) {
  const fixture = makeFixture(seededRng(`split-${threshold}`), {
    n: 4,
    degree: 3,
    threshold,
    vectorLength: 4,
  });
  return fixture;
}

describe("a coordinator that splits the survivor list", () => {
  it("recovers a site's input when t = 2 of 4 holders is accepted (the attack the majority rule stops)", () => {
    const { config, identitySeeds } = roundWith(2);
    const graph = buildNeighbourGraph(config.roster, config.degree, config.sessionId);
    const unchecked = { config, graph, configHash: roundConfigHash(config, graph) };
    expect(Array.from(splitSurvivorAttack(unchecked, identitySeeds))).toEqual([100, 200, 300, 400]);
  });

  it("cannot run: sites and coordinator both refuse t = 2 of 4 holders as not a majority", () => {
    const { config } = roundWith(2);
    expect(() => prepareRound(config)).toThrow(ParameterError);
    expect(() => prepareRound(config)).toThrow(/majority/);
  });

  it("fails with a majority threshold: t = 3 of 4, each half of the split is refused by its sites", () => {
    const { config, identitySeeds } = roundWith(3);
    const e = refusal(() => splitSurvivorAttack(prepareRound(config), identitySeeds));
    expect(e.code).toBe("too-few-sites");
  });
});

/**
 * Stage 0 with each site holding the config the coordinator showed it: every site advertises, and
 * `recipient` receives its neighbours' advertisements. Returns what the recipient's state machine does.
 */
function keysAt(
  configs: ReadonlyMap<SiteId, SecAggConfig>,
  identitySeeds: ReadonlyMap<SiteId, Uint8Array>,
  recipient: SiteId,
) {
  const rng = seededRng("config-split");
  const starts = new Map(
    [...configs].map(([site, config]) => [
      site,
      createClient({
        round: prepareRound(config),
        siteId: site,
        identitySeed: identitySeeds.get(site) as Uint8Array,
        rng,
      }),
    ]),
  );
  const own = starts.get(recipient) as ReturnType<typeof createClient>;
  const advertisements = [...starts].filter(([site]) => site !== recipient).map(([, start]) => start.message);
  return () =>
    clientReceive(
      own.state,
      { kind: "keys-broadcast", roundId: own.message.roundId, recipient, advertisements },
      rng,
    );
}

describe("a coordinator that shows sites different round parameters", () => {
  const fixture = makeFixture(seededRng("config-split"), { n: 5, degree: 4, threshold: 3, vectorLength: 8 });
  const { config, identitySeeds } = fixture;
  const [a] = config.roster as [SiteId];
  const showing = (aConfig: SecAggConfig) =>
    new Map(config.roster.map((site) => [site, site === a ? aConfig : config]));

  it("control: every site holding the same config accepts its peers", () => {
    expect(keysAt(showing(config), identitySeeds, a)().state.stage).toBe("awaiting-shares");
  });

  it.each([
    ["a higher threshold", { threshold: 4 }],
    ["another vector length", { vectorLength: 9 }],
    ["another codec range", { codec: { clipRange: 1, maxSummands: 5 } }],
  ] as const)("%s for one site makes its peers' advertisements fail to verify there", (_, change) => {
    const e = refusal(keysAt(showing({ ...config, ...change }), identitySeeds, a));
    expect(e.code).toBe("bad-signature");
  });

  it("a peer's identity key substituted in one site's roster makes that site refuse its other peers", () => {
    // The coordinator's own key in place of peer b's, shown to a only (consistent substitution at every
    // site is what certificate-signed keys stop; see crypto/pki/key-binding.ts).
    const b = config.roster[1] as SiteId;
    const substituted = new Map(config.identityKeys).set(
      b,
      generateSigningKeyPair(seededRng("evil")).publicKey,
    );
    const e = refusal(keysAt(showing({ ...config, identityKeys: substituted }), identitySeeds, a));
    expect(e.code).toBe("bad-signature");
  });
});

describe("a site that reveals a corrupted self-mask share", () => {
  it("is detected at reconstruction: the rebuilt seed does not match the signed commitment", () => {
    const h = startHarness("corrupt-self-mask-share", { n: 3, degree: 2, threshold: 2, vectorLength: 4 });
    const [liar, owner] = h.fixture.config.roster as [SiteId, SiteId, SiteId];
    for (let stage = 0; stage < 3; stage++) {
      closeStage(h);
      deliverInbox(h);
    }
    closeStage(h);
    // Stage 4: the liar answers first (its shares are the first the server combines), with one
    // byte of its share of the owner's self-mask seed changed; it is still a field element.
    const requests = [
      ...h.inbox.filter((m) => m.recipient === liar),
      ...h.inbox.filter((m) => m.recipient !== liar),
    ];
    h.inbox = [];
    for (const m of requests) {
      const out = clientReceive(h.clients.get(m.recipient) as ClientState, m, h.rng);
      h.clients.set(m.recipient, out.state);
      let message = out.message as UnmaskResponseMessage;
      if (m.recipient === liar) {
        const selfMaskShares = message.selfMaskShares.map((s) => {
          if (s.owner !== owner) return s;
          const share = s.share.slice();
          share[0] = (share[0] as number) ^ 1;
          return { owner: s.owner, share };
        });
        message = { ...message, selfMaskShares };
      }
      h.server = serverReceive(h.server, message);
    }
    const error = refusal(() => serverCloseStage(h.server));
    expect(error.code).toBe("reconstruction-failed");
    expect(error.message).toMatch(/self-mask seed/);
  });
});
