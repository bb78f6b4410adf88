// SecAgg+ end to end: masks cancel, dropouts at every stage are recovered, fewer than t is refused, and neither secrecy rule can be broken.
import { describe, expect, it } from "vitest";
import { createFixedPointCodec } from "../../crypto/codec.ts";
import { seededRng } from "../../crypto/rng.ts";
import { parseSiteId } from "../../crypto/site-id.ts";
import { clientDispose, clientReceive } from "../../crypto/secagg/client.ts";
import type { ClientState } from "../../crypto/secagg/client.ts";
import { playInProcessRound, runInProcessRound } from "../../crypto/secagg/in-process.ts";
import { PROTOCOL_STAGES } from "../../crypto/secagg/messages.ts";
import type {
  ProtocolStage,
  SiteId,
  UnmaskRequestMessage,
  UnmaskResponseMessage,
} from "../../crypto/secagg/messages.ts";
import { buildNeighbourGraph } from "../../crypto/secagg/graph.ts";
import { serverCloseStage, serverReceive } from "../../crypto/secagg/server.ts";
import type { ServerState } from "../../crypto/secagg/server.ts";
import {
  closeStage,
  deliverInbox,
  makeFixture,
  plainSum,
  refusal,
  serverSnapshot,
  startHarness,
} from "./secagg-helpers.ts";

describe("SecAgg+ masks cancel", () => {
  it("for random rosters, degrees and thresholds the unmasked sum is the exact Z_2^32 sum", () => {
    const rng = seededRng("random-rosters");
    for (let trial = 0; trial < 6; trial++) {
      const n = 3 + (rng.nextUint32() % 10);
      const degree = 2 + (rng.nextUint32() % (n - 2));
      const holders = degree % 2 === 1 && n % 2 === 1 ? degree + 2 : degree + 1;
      const threshold =
        Math.floor(holders / 2) + 1 + (rng.nextUint32() % (holders - Math.floor(holders / 2)));
      const fx = makeFixture(rng, { n, degree, threshold, vectorLength: 37 });
      // Arbitrary site names, so canonical order differs from creation order.
      const rename = new Map(
        fx.config.roster.map((s) => [s, parseSiteId(`h${rng.nextUint32().toString(36)}-${s}`)]),
      );
      const config = {
        ...fx.config,
        roster: [...rename.values()],
        identityKeys: new Map([...fx.config.identityKeys].map(([s, k]) => [rename.get(s) as SiteId, k])),
      };
      const identitySeeds = new Map([...fx.identitySeeds].map(([s, k]) => [rename.get(s) as SiteId, k]));
      const inputs = new Map(
        config.roster.map((s) => [s, Uint32Array.from({ length: 37 }, () => rng.nextUint32())]),
      );
      const { sum, survivors } = runInProcessRound({
        config,
        identitySeeds,
        inputOf: (s) => inputs.get(s) as Uint32Array,
        rng,
      });
      expect(survivors).toEqual([...config.roster].sort());
      const want = new Uint32Array(37);
      for (const x of inputs.values())
        for (let i = 0; i < 37; i++) want[i] = (want[i] as number) + (x[i] as number);
      expect(sum).toEqual(want);
    }
  });

  it("the server's running sum is masked until unmasking, and chunked input accumulates into one vector", () => {
    const h = startHarness("masked-sum", { n: 6, degree: 3, threshold: 3, vectorLength: 50 });
    closeStage(h);
    deliverInbox(h);
    closeStage(h);
    deliverInbox(h, new Set(), 7); // chunks of 7 entries
    const sites = [...h.inputs.keys()];
    const before = h.server.stage === "collecting-masked-input" ? h.server.sum.slice() : null;
    expect(before).not.toEqual(plainSum(h, sites));
    for (; h.server.stage !== "done"; deliverInbox(h)) closeStage(h);
    expect(h.server.sum).toEqual(plainSum(h, sites));
  });
});

/** Stages at which a dropout still leaves the site's input in the sum. */
const COUNTED_IF_DROPPED_AT: readonly ProtocolStage[] = ["consistency-check", "unmask"];

describe("SecAgg+ dropout recovery", () => {
  const configs = [
    { n: 8, degree: 7, threshold: 5 }, // classic SecAgg (complete graph)
    { n: 12, degree: 4, threshold: 3 },
    { n: 11, degree: 6, threshold: 4 },
  ];
  for (const p of configs) {
    it.each(PROTOCOL_STAGES)(
      `n = ${p.n}, k = ${p.degree}, t = ${p.threshold}: two sites drop at %s`,
      (stage) => {
        const rng = seededRng(`drop-${p.n}-${stage}`);
        const fx = makeFixture(rng, { ...p, vectorLength: 64 });
        const inputs = new Map(
          fx.config.roster.map((s) => [s, Uint32Array.from({ length: 64 }, () => rng.nextUint32())]),
        );
        const dropped = [...fx.config.roster].sort().filter((_, i) => i === 1 || i === 6);
        const { sum, survivors } = runInProcessRound({
          ...fx,
          inputOf: (s) => inputs.get(s) as Uint32Array,
          rng,
          dropouts: new Map(dropped.map((s) => [s, stage])),
        });
        const counted = COUNTED_IF_DROPPED_AT.includes(stage)
          ? fx.config.roster
          : fx.config.roster.filter((s) => !dropped.includes(s));
        expect(survivors).toEqual([...counted].sort());
        const want = new Uint32Array(64);
        for (const s of counted)
          for (let i = 0; i < 64; i++)
            want[i] = (want[i] as number) + ((inputs.get(s) as Uint32Array)[i] as number);
        expect(sum).toEqual(want);
      },
    );
  }

  it("one dropout at every stage at once, with float updates and private weights through the codec", () => {
    const rng = seededRng("all-stages");
    const n = 20;
    const fx = makeFixture(rng, { n, degree: 10, threshold: 6, vectorLength: 101 });
    const update = createFixedPointCodec({ clipRange: 50, maxSummands: n });
    const count = createFixedPointCodec({ clipRange: 1000, maxSummands: n });
    const roster = [...fx.config.roster].sort();
    const dropouts = new Map<SiteId, ProtocolStage>(
      PROTOCOL_STAGES.map((stage, i) => [roster[3 * i + 1] as SiteId, stage]),
    );
    // Site k protects n_k·Δ_k (100 entries) and n_k (1 entry), so only Σ n_k·Δ_k and Σ n_k are revealed.
    const deltas = new Map(
      roster.map((s) => [s, Float32Array.from({ length: 100 }, () => rng.nextFloat64() * 0.2 - 0.1)]),
    );
    const counts = new Map(roster.map((s) => [s, 1 + (rng.nextUint32() % 500)]));
    const inputOf = (s: SiteId) => {
      const v = new Uint32Array(101);
      const nk = counts.get(s) as number;
      update.encode(
        (deltas.get(s) as Float32Array).map((x) => x * nk),
        { out: v, offset: 0, rng },
      );
      count.encode(Float32Array.of(nk), { out: v, offset: 100, rng });
      return v;
    };
    const { sum, survivors } = runInProcessRound({ ...fx, inputOf, rng, dropouts, chunkLength: 40 });
    const counted = roster.filter(
      (s) => !["advertise-keys", "share-keys", "masked-input"].includes(dropouts.get(s) ?? "none"),
    );
    expect(survivors).toEqual(counted);
    const weighted = update.decodeSum(sum.subarray(0, 100), survivors.length);
    const totalCount = count.decodeSum(sum.subarray(100), survivors.length)[0] as number;
    expect(totalCount).toBeCloseTo(
      counted.reduce((a, s) => a + (counts.get(s) as number), 0),
      2,
    );
    for (let i = 0; i < 100; i++) {
      const exact = counted.reduce(
        (a, s) => a + Math.fround(((deltas.get(s) as Float32Array)[i] as number) * (counts.get(s) as number)),
        0,
      );
      expect(Math.abs((weighted[i] as number) - exact)).toBeLessThanOrEqual(
        update.maxAbsError(survivors.length, true) + 1e-4,
      );
    }
  });
});

describe("SecAgg+ refuses rather than returning a wrong sum", () => {
  it.each(["masked-input", "consistency-check", "unmask"] as const)(
    "fewer than t sites left at %s",
    (stage) => {
      const h = startHarness(`few-${stage}`, { n: 6, degree: 5, threshold: 4, vectorLength: 8 });
      const silentFrom = PROTOCOL_STAGES.indexOf(stage);
      const quiet = new Set([...h.inputs.keys()].sort().slice(0, 3));
      for (let i = 1; i <= silentFrom; i++) {
        closeStage(h);
        deliverInbox(h, i === silentFrom ? quiet : new Set());
      }
      const before = serverSnapshot(h.server);
      const e = refusal(() => serverCloseStage(h.server));
      expect(e.code).toBe("too-few-sites");
      expect(serverSnapshot(h.server)).toEqual(before);
    },
  );

  it("a SecAgg+ survivor whose neighbours fall silent below t cannot be unmasked, though t sites answered overall", () => {
    const h = startHarness("few-neighbours", { n: 12, degree: 4, threshold: 3, vectorLength: 8 });
    const graph = buildNeighbourGraph(h.fixture.config.roster, 4, h.fixture.config.sessionId);
    const victim = graph.sites[0] as SiteId;
    const quiet = new Set(graph.neighbours(victim).slice(0, 3));
    for (let i = 1; i < PROTOCOL_STAGES.length; i++) {
      closeStage(h);
      deliverInbox(h, i === PROTOCOL_STAGES.length - 1 ? quiet : new Set());
    }
    const before = serverSnapshot(h.server);
    expect(refusal(() => serverCloseStage(h.server)).code).toBe("too-few-sites");
    expect(serverSnapshot(h.server)).toEqual(before);
  });
});

describe("SecAgg+ secrecy", () => {
  /** Plays to the unmask pause with two sites dropping before masked input. */
  function pausedAtUnmask(label: string) {
    const rng = seededRng(label);
    const fx = makeFixture(rng, { n: 10, degree: 6, threshold: 4, vectorLength: 16 });
    const roster = [...fx.config.roster].sort();
    const dropped = [roster[2] as SiteId, roster[5] as SiteId];
    const game = playInProcessRound({
      ...fx,
      rng,
      inputOf: () => new Uint32Array(16).fill(3),
      dropouts: new Map(dropped.map((s) => [s, "masked-input" as const])),
    });
    for (let r = game.next(); !r.done; r = game.next()) {
      if (r.value.stage === "unmask") return { server: r.value.server, dropped, roster };
    }
    throw new Error("no unmask pause");
  }

  it("clientDispose on a site's last state zeroes every secret of its round, and the revealed shares survive it", () => {
    const h = startHarness("dispose", { n: 5, degree: 4, threshold: 3, vectorLength: 8 });
    const site = [...h.inputs.keys()].sort()[0] as SiteId;
    const stateOf = () => h.clients.get(site) as ClientState;
    const secrets: Uint8Array[] = [];
    const advertised = stateOf();
    if (advertised.stage !== "awaiting-keys") throw new Error("setup");
    secrets.push(advertised.encryptionKeys.secretKey, advertised.maskingKeys.secretKey);
    closeStage(h);
    deliverInbox(h);
    const shared = stateOf();
    if (shared.stage !== "awaiting-shares") throw new Error("setup");
    secrets.push(shared.selfMaskSecret);
    closeStage(h);
    deliverInbox(h);
    const masked = stateOf();
    if (masked.stage !== "awaiting-consistency") throw new Error("setup");
    for (const s of masked.heldShares.values()) secrets.push(s.maskingKey, s.selfMask);
    expect(secrets).toHaveLength(2 + 1 + 2 * 5);
    for (; h.server.stage !== "collecting-unmask"; deliverInbox(h)) closeStage(h);
    expect(stateOf().stage).toBe("done");
    const isZero = (b: Uint8Array) => b.every((v) => v === 0);
    expect(secrets.filter(isZero)).toEqual([]);
    for (const state of h.clients.values()) clientDispose(state);
    expect(secrets.every(isZero)).toBe(true);
    closeStage(h);
    expect(h.server.sum).toEqual(plainSum(h, [...h.inputs.keys()]));
  });

  it("the server never holds both the self-mask share and the masking-key share of one site", () => {
    const { server, dropped } = pausedAtUnmask("both-secrets");
    if (server.stage !== "collecting-unmask") throw new Error(server.stage);
    const selfOwners = new Set<SiteId>();
    const keyOwners = new Set<SiteId>();
    for (const m of server.responses.values()) {
      for (const s of m.selfMaskShares) selfOwners.add(s.owner);
      for (const s of m.maskingKeyShares) keyOwners.add(s.owner);
    }
    expect([...keyOwners].sort()).toEqual(dropped);
    expect([...selfOwners].sort()).toEqual([...server.survivors]);
    expect([...selfOwners].filter((s) => keyOwners.has(s))).toEqual([]);
  });

  it("the server refuses a masking-key share of a survivor and a self-mask share of a dropped site, changing nothing", () => {
    const { server, dropped } = pausedAtUnmask("forbidden");
    if (server.stage !== "collecting-unmask") throw new Error(server.stage);
    // Re-submit one site's genuine response, altered, to a server that has not seen it yet.
    const [responder, genuine] = [...server.responses][0] as [SiteId, UnmaskResponseMessage];
    const rest = new Map(server.responses);
    rest.delete(responder);
    const fresh: ServerState = { ...server, responses: rest };
    const survivor = genuine.selfMaskShares[0]?.owner as SiteId;
    const share = new Uint8Array(32);
    const withKeyOfSurvivor = {
      ...genuine,
      maskingKeyShares: [...genuine.maskingKeyShares, { owner: survivor, share }],
    };
    const withSelfOfDropped = {
      ...genuine,
      selfMaskShares: [...genuine.selfMaskShares, { owner: dropped[0] as SiteId, share }],
    };
    for (const bad of [withKeyOfSurvivor, withSelfOfDropped]) {
      const before = serverSnapshot(fresh);
      expect(refusal(() => serverReceive(fresh, bad)).code).toBe("forbidden-share");
      expect(serverSnapshot(fresh)).toEqual(before);
    }
    const missing = { ...genuine, selfMaskShares: genuine.selfMaskShares.slice(1) };
    expect(refusal(() => serverReceive(fresh, missing)).code).toBe("malformed");
    const done = serverCloseStage(serverReceive(fresh, genuine)).state;
    if (done.stage !== "done") throw new Error(done.stage);
    expect(Array.from(done.sum)).toEqual(new Array(16).fill(3 * done.survivors.length));
  });

  it("a site reveals nothing against a survivor list other than the one it signed, or without t valid signatures", () => {
    const h = startHarness("site-secrecy", { n: 7, degree: 6, threshold: 4, vectorLength: 4 });
    for (let i = 0; i < 2; i++) {
      closeStage(h);
      deliverInbox(h);
    }
    closeStage(h);
    // Consistency check: a cheating server shows site A a list without B (hoping for B's masking-key
    // share while B's self-mask share comes from the others) and the other sites the true list.
    const requests = h.inbox;
    const [a, b] = [requests[0]?.recipient as SiteId, requests[1]?.recipient as SiteId];
    const trueList = requests[0]?.kind === "consistency-request" ? requests[0].survivors : [];
    const forged = trueList.filter((s) => s !== b);
    const stateBefore = h.clients.get(a);
    if (stateBefore === undefined || requests[0]?.kind !== "consistency-request") throw new Error("setup");
    const signedForged = clientReceive(stateBefore, { ...requests[0], survivors: forged }, h.rng);
    const stateA = signedForged.state;
    h.inbox = requests.slice(1);
    deliverInbox(h);
    closeStage(h);
    const toOther = h.inbox[0] as UnmaskRequestMessage;
    const toA: UnmaskRequestMessage = { ...toOther, recipient: a };
    // Shown the true list, A refuses: it signed another.
    expect(refusal(() => clientReceive(stateA, toA, h.rng)).code).toBe("malformed");
    // Shown its own forged list with the others' signatures (made on the true list), A refuses too.
    const othersOnForged = toA.signatures.filter((x) => x.siteId !== b);
    expect(
      refusal(() => clientReceive(stateA, { ...toA, survivors: forged, signatures: othersOnForged }, h.rng))
        .code,
    ).toBe("bad-signature");
    expect(refusal(() => clientReceive(stateA, { ...toA, survivors: forged }, h.rng)).code).toBe(
      "unknown-site",
    ); // B signed, yet "dropped"
    // With fewer than t signatures (only its own, on the forged list), A refuses.
    const own = { siteId: a, signature: (signedForged.message as { signature: Uint8Array }).signature };
    expect(
      refusal(() => clientReceive(stateA, { ...toA, survivors: forged, signatures: [own] }, h.rng)).code,
    ).toBe("too-few-sites");
    expect(stateA.stage).toBe("awaiting-unmask");
    // An honest request: self-mask shares of survivors only, and no key share (nobody dropped).
    const other = h.clients.get(toOther.recipient);
    if (other === undefined) throw new Error("setup");
    const response = clientReceive(other, toOther, h.rng).message as UnmaskResponseMessage;
    expect(response.maskingKeyShares).toEqual([]);
    expect(response.selfMaskShares.map((s) => s.owner).sort()).toEqual([...trueList]);
  });
});
