// he mode, a site that joins after the key ceremony: a key holder seals the consortium key to it, and it takes part from then on.
import nacl from "tweetnacl";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DurableState } from "../../coordinator/service/durable-state.ts";
import type { CoordinatorEvent } from "../../coordinator/service/records.ts";
import { createCkksContext, loadSeal, type CkksContext } from "../../crypto/ckks/context.ts";
import {
  acceptHandoff,
  deliverHandoffs,
  deliveredHandoffs,
  handOnConsortiumKey,
  keyHolders,
  openConsortiumKey,
  planHandoffs,
  sealConsortiumKey,
} from "../../crypto/ckks/key-ceremony.ts";
import { generateConsortiumSecretKey } from "../../crypto/ckks/site.ts";
import { CkksFormatError } from "../../crypto/ckks/wire.ts";
import { ProtocolError } from "../../crypto/errors.ts";
import { seededRng } from "../../crypto/rng.ts";
import type { KeyPart } from "../../proto/messages.ts";
import type { DialFunction } from "../../proto/transport.ts";
import { createFederation, fedAvgOf, type Federation } from "./helpers/federation.ts";
import { createTestPki } from "./helpers/pki.ts";
import { siteIds } from "../helpers/site-ids.ts";

const [alpha, beta, gamma, delta, epsilon] = siteIds("alpha", "beta", "gamma", "delta", "epsilon");

let ckks: CkksContext;
beforeAll(async () => {
  ckks = createCkksContext(await loadSeal());
});
afterAll(() => ckks.dispose());

function boxKeyPair(seed: string): nacl.BoxKeyPair {
  const secret = new Uint8Array(nacl.box.secretKeyLength);
  seededRng(seed).fill(secret);
  return nacl.box.keyPair.fromSecretKey(secret);
}

describe("key handoff transitions", () => {
  const base = keyHolders("fed/ckks/1", [alpha, beta, gamma]);
  const plan = (now: number, candidates = [alpha, beta, gamma]) =>
    planHandoffs(base, { waiting: [delta, alpha], candidates, now, deadlineMs: 100 });

  it("asks one idle holder per late site, hands the step once, and makes the recipient a holder", () => {
    const planned = plan(0);
    expect([...planned.handoffs.values()]).toEqual([
      { recipient: delta, holder: alpha, deadlineAt: 100, delivered: false },
    ]);
    // Nothing changed: the same state comes back (the coordinator wakes pollers only on change).
    expect(planHandoffs(planned, { waiting: [delta], candidates: [alpha], now: 1, deadlineMs: 100 })).toBe(
      planned,
    );
    expect(deliverHandoffs(planned, beta, 1).recipients).toEqual([]);
    const delivered = deliverHandoffs(planned, alpha, 1);
    expect(delivered.recipients).toEqual([delta]);
    expect(deliverHandoffs(delivered.state, alpha, 2).recipients).toEqual([]);
    expect(deliveredHandoffs(delivered.state, alpha, 2)).toEqual([delta]);
    const keyed = acceptHandoff(delivered.state, alpha, [delta], 3);
    expect([...keyed.holders].sort()).toEqual([alpha, beta, delta, gamma]);
    expect(keyed.handoffs.size).toBe(0);
  });

  it("waits without an idle holder, and retries an expired handoff with the next holder", () => {
    expect(plan(0, [])).toBe(base);
    const first = deliverHandoffs(plan(0), alpha, 0).state;
    const retried = planHandoffs(first, {
      waiting: [delta],
      candidates: [alpha, beta],
      now: 101,
      deadlineMs: 100,
    });
    expect(retried.handoffs.get(delta)?.holder).toBe(beta);
    // The first holder's late upload is refused and changes nothing.
    expect(() => acceptHandoff(retried, alpha, [delta], 102)).toThrow(ProtocolError);
  });

  it("refuses uploads that were not asked for, not yet handed, expired or repeated", () => {
    const planned = plan(0);
    const delivered = deliverHandoffs(planned, alpha, 0).state;
    const refusal = (f: () => unknown): string => {
      try {
        f();
      } catch (error) {
        if (error instanceof ProtocolError) return error.code;
      }
      return "accepted";
    };
    expect(refusal(() => acceptHandoff(planned, alpha, [delta], 1))).toBe("wrong-stage");
    expect(refusal(() => acceptHandoff(delivered, beta, [delta], 1))).toBe("unknown-site");
    expect(refusal(() => acceptHandoff(delivered, alpha, [epsilon], 1))).toBe("unknown-site");
    expect(refusal(() => acceptHandoff(delivered, alpha, [delta, delta], 1))).toBe("duplicate");
    expect(refusal(() => acceptHandoff(delivered, alpha, [], 1))).toBe("malformed");
    expect(refusal(() => acceptHandoff(delivered, alpha, [delta], 101))).toBe("wrong-stage");
  });

  it("a holder re-seals the key it holds; only the newcomer opens it, with the holder as sealer", () => {
    const keyId = "fed/ckks/1";
    const [dealer, holder, newcomer, coordinator] = ["dealer", "holder", "newcomer", "coordinator"].map(
      (name) => ({ siteId: name, keys: boxKeyPair(name) }),
    ) as [{ siteId: string; keys: nacl.BoxKeyPair }, ...{ siteId: string; keys: nacl.BoxKeyPair }[]];
    if (holder === undefined || newcomer === undefined || coordinator === undefined)
      throw new Error("fixture");
    const secretKey = generateConsortiumSecretKey(ckks);
    const own = sealConsortiumKey({
      secretKey,
      keyId,
      paramsFingerprint: ckks.fingerprint,
      dealer: { siteId: dealer.siteId, boxSecretKey: dealer.keys.secretKey },
      recipient: { siteId: holder.siteId, boxPublicKey: holder.keys.publicKey },
      rng: seededRng("nonce-own"),
    });
    const [envelope] = handOnConsortiumKey({
      ownEnvelope: own,
      keyId,
      paramsFingerprint: ckks.fingerprint,
      ownSealer: { siteId: dealer.siteId, boxPublicKey: dealer.keys.publicKey },
      holder: { siteId: holder.siteId, boxSecretKey: holder.keys.secretKey },
      recipients: [{ siteId: newcomer.siteId, boxPublicKey: newcomer.keys.publicKey }],
      rng: seededRng("nonce-handoff"),
    });
    if (envelope === undefined) throw new Error("no envelope");
    const open = (sealerKey: Uint8Array, sealerId = holder.siteId, recipientKeys = newcomer.keys) =>
      openConsortiumKey({
        envelope,
        keyId,
        paramsFingerprint: ckks.fingerprint,
        dealer: { siteId: sealerId, boxPublicKey: sealerKey },
        recipient: { siteId: newcomer.siteId, boxSecretKey: recipientKeys.secretKey },
      });
    expect(open(holder.keys.publicKey)).toEqual(secretKey);
    expect(() => open(dealer.keys.publicKey, dealer.siteId)).toThrow(CkksFormatError);
    expect(() => open(coordinator.keys.publicKey)).toThrow(CkksFormatError);
    expect(() => open(holder.keys.publicKey, holder.siteId, coordinator.keys)).toThrow(CkksFormatError);
    secretKey.fill(0);
  });
});

const SITES = [alpha, beta, gamma];
const LATE = delta;

/** FedAvg with η = 1 over each completed training round's survivors, each site's updates taken in order. */
function expectedGlobal(federation: Federation): Float64Array {
  const rounds = federation.coordinatorEvents
    .flatMap((e) => (e.type === "round_completed" && e.kind === "train" ? [e] : []))
    .sort((a, b) => a.ref.round - b.ref.round);
  if (rounds.length === 0) throw new Error("no training round completed");
  const used = new Map<string, number>();
  return fedAvgOf(
    rounds.map((round) =>
      round.survivors.map((site) => {
        const index = used.get(site) ?? 0;
        used.set(site, index + 1);
        const update = federation.updates.get(site)?.[index];
        if (update === undefined) throw new Error(`${site} has no update ${index}`);
        return update;
      }),
    ),
  );
}

describe("he federation with a site that joins after round 1", () => {
  // Five rounds of up to four sites, the last an evaluation whose counts go through five SecAgg+ stages.
  it("the late site is keyed by a holder, is not picked until then, and its updates enter a correct aggregate", async () => {
    const pki = await createTestPki([...SITES, LATE]);
    const startedAt = new Map<number, { time: number; participants: readonly string[] }>();
    // Set once the federation is up; the event and dial hooks below run only after that.
    const fed0: { federation?: Federation } = {};
    let late: ReturnType<Federation["startSite"]> | undefined;
    let lateJoinedAt = Number.POSITIVE_INFINITY;
    const waiters: (() => void)[] = [];
    const onEvent = (event: CoordinatorEvent): void => {
      if (event.type === "round_started") {
        startedAt.set(event.ref.round, { time: Date.now(), participants: event.participants });
        for (const wake of waiters.splice(0)) wake();
      }
      if (
        event.type === "round_completed" &&
        event.ref.round === 1 &&
        late === undefined &&
        fed0.federation
      ) {
        late = fed0.federation.startSite(LATE, {
          onEvent: (e) => {
            if (e.type === "joined") lateJoinedAt = Date.now();
          },
        });
      }
    };
    const roundStarted = (round: number): Promise<void> =>
      new Promise((resolve) => {
        const check = (): void => (startedAt.has(round) ? resolve() : void waiters.push(check));
        check();
      });
    // Holders upload the handoff envelopes through this wrapper, which holds them until round 3 has
    // started: that round must leave out the late site even though it is online, because it has no key.
    const handoffs: { holder: string; recipients: string[] }[] = [];
    const holding =
      (holder: string): DialFunction =>
      (options) => {
        const connection = (fed0.federation as Federation).dial(options);
        return {
          ...connection,
          federation: {
            ...connection.federation,
            publishKeys: async (parts, callOptions) => {
              const list: KeyPart[] = [];
              for await (const part of parts) list.push(part);
              const recipients = list.flatMap((p) => (p.part === "header" ? [p.header.recipient] : []));
              if (recipients.includes(LATE)) {
                await roundStarted(3);
                handoffs.push({ holder, recipients });
              }
              return connection.federation.publishKeys(list, callOptions);
            },
          },
        };
      };
    const fed = await createFederation({
      sites: SITES,
      transport: "grpc",
      pki,
      ckks,
      onCoordinatorEvent: onEvent,
      config: { rounds: 4, privacy: { mode: "he" }, sitesPerRound: { fraction: 1, minimum: 3 } },
    });
    fed0.federation = fed;
    const sites = SITES.map((name) => fed.startSite(name, { dial: holding(name) }));
    const summary = await fed.coordinator.done;
    const siteSummaries = await Promise.all(sites.map((site) => site.done));
    const lateSummary = await (late as NonNullable<typeof late>).done;
    await fed.coordinator.stop();

    expect(summary.outcome).toBe("completed");
    expect(summary.rounds.map((r) => [r.round, r.kind, r.outcome])).toEqual([
      [1, "train", "completed"],
      [2, "train", "completed"],
      [3, "train", "completed"],
      [4, "train", "completed"],
      [5, "eval", "completed"],
    ]);
    // One holder handed the key on; the late site was online for round 3 but had no key yet.
    expect(handoffs).toHaveLength(1);
    expect(handoffs[0]?.recipients).toEqual([LATE]);
    expect(lateJoinedAt).toBeLessThan(startedAt.get(3)?.time ?? 0);
    for (const round of [1, 2, 3]) expect(startedAt.get(round)?.participants).not.toContain(LATE);
    for (const round of [4, 5]) expect(startedAt.get(round)?.participants).toContain(LATE);
    expect(siteSummaries.map((s) => s.roundsContributed)).toEqual([4, 4, 4]);
    expect(lateSummary.outcome).toBe("finished");
    expect(lateSummary.roundsContributed).toBe(1);

    // Every site, the late one included, rebuilt the same global adapter from the encrypted aggregates.
    const expected = expectedGlobal(fed);
    for (const site of [...SITES, LATE]) {
      const global = fed.evaluated.get(site)?.at(-1);
      if (global === undefined) throw new Error(`${site} did not evaluate`);
      for (let i = 0; i < expected.length; i++)
        expect(Math.abs((global[i] ?? 0) - (expected[i] ?? 0))).toBeLessThan(1e-5);
    }

    const state = DurableState.open(fed.config.storageDir, undefined);
    try {
      const handedOn = state
        .auditEntries(0)
        .filter((entry) => entry.kind === "key_handed_on")
        .map((entry) => JSON.parse(entry.detailsJson) as { holder: string; recipients: string[] });
      expect(handedOn).toEqual([
        expect.objectContaining({ holder: handoffs[0]?.holder, recipients: [LATE] }),
      ]);
      expect(state.envelopeSealer(`${fed.config.name}/ckks/1`, LATE)).toBe(handoffs[0]?.holder);
      expect(state.verifyAudit().ok).toBe(true);
    } finally {
      state.close();
    }
  }, 60_000);
});
