// SecAgg+ refusals: wrong-stage, replayed and malformed messages get typed errors naming both stages, and change no state.
import { describe, expect, it } from "vitest";
import { ParameterError, ProtocolError } from "../../crypto/errors.ts";
import { clientMaskInput, clientReceive, createClient } from "../../crypto/secagg/client.ts";
import type { ClientState } from "../../crypto/secagg/client.ts";
import { validateClientMessage, validateServerMessage } from "../../crypto/secagg/messages.ts";
import type {
  AdvertiseKeysMessage,
  ClientToServerMessage,
  KeysBroadcastMessage,
  ShareKeysMessage,
  SharesDeliveryMessage,
  SiteId,
  UnmaskRequestMessage,
} from "../../crypto/secagg/messages.ts";
import { prepareRound } from "../../crypto/secagg/round.ts";
import { serverCloseStage, serverReceive } from "../../crypto/secagg/server.ts";
import {
  closeStage,
  deliverInbox,
  plainSum,
  refusal,
  serverSnapshot,
  startHarness,
} from "./secagg-helpers.ts";
import type { Harness } from "./secagg-helpers.ts";
import { parseSiteId } from "../../crypto/site-id.ts";

/** Sends `message` to the server, expects the refusal `code`, and checks that the server state is untouched. */
function serverRefuses(h: Harness, message: unknown, code: string, stages?: [string, string]): void {
  const before = serverSnapshot(h.server);
  const e = refusal(() => serverReceive(h.server, message as ClientToServerMessage));
  expect(e.code).toBe(code);
  if (stages !== undefined) expect([e.expectedStage, e.receivedStage]).toEqual(stages);
  expect(serverSnapshot(h.server)).toEqual(before);
}

const PARAMS = { n: 6, degree: 4, threshold: 3, vectorLength: 10 };

describe("server refusals", () => {
  it("refuses out-of-stage, replayed and malformed messages at every stage, and still unmasks correctly", () => {
    const latecomer = parseSiteId("site-0005");
    const h = startHarness("server-refusals", PARAMS, new Set([latecomer]));
    const sites = [...h.inputs.keys()].sort();
    const [a, b] = [sites[0] as SiteId, sites[1] as SiteId];
    const late = createClient({
      round: prepareRound(h.fixture.config),
      siteId: latecomer,
      identitySeed: h.fixture.identitySeeds.get(latecomer) as Uint8Array,
      rng: h.rng,
    }).message;
    const advertOfA = createClient({
      round: prepareRound(h.fixture.config),
      siteId: a,
      identitySeed: h.fixture.identitySeeds.get(a) as Uint8Array,
      rng: h.rng,
    }).message;

    // Stage 0: advertise keys.
    serverRefuses(h, advertOfA, "duplicate", ["advertise-keys", "advertise-keys"]);
    serverRefuses(
      h,
      { ...late, signature: late.signature.map((x, i) => (i === 0 ? x ^ 1 : x)) },
      "bad-signature",
    );
    serverRefuses(h, { ...late, siteId: "site-9999" }, "unknown-site");
    serverRefuses(h, { ...late, roundId: 8 }, "wrong-round");
    serverRefuses(h, { ...late, maskingPublicKey: late.maskingPublicKey.subarray(0, 31) }, "malformed");
    serverRefuses(h, { ...late, extra: 1 }, "malformed");
    serverRefuses(h, { ...late, kind: "nonsense" }, "malformed");
    serverRefuses(h, null, "malformed");
    serverRefuses(h, { kind: "share-keys", roundId: 7, siteId: a, encryptedShares: [] }, "wrong-stage", [
      "advertise-keys",
      "share-keys",
    ]);
    serverRefuses(
      h,
      { kind: "masked-input-chunk", roundId: 7, siteId: a, offset: 0, values: new Uint32Array(10) },
      "wrong-stage",
      ["advertise-keys", "masked-input"],
    );
    closeStage(h);

    // Stage 1: share keys. Capture A's genuine message first to alter it.
    const toA = h.inbox.find((m) => m.recipient === a) as KeysBroadcastMessage;
    const shareA = clientReceive(h.clients.get(a) as ClientState, toA, h.rng).message as ShareKeysMessage;
    serverRefuses(h, late, "wrong-stage", ["share-keys", "advertise-keys"]); // too late: site-0005 never advertised
    serverRefuses(h, advertOfA, "duplicate", ["share-keys", "advertise-keys"]);
    serverRefuses(h, { ...shareA, encryptedShares: shareA.encryptedShares.slice(1) }, "malformed");
    serverRefuses(
      h,
      { ...shareA, encryptedShares: [...shareA.encryptedShares, shareA.encryptedShares[0]] },
      "malformed",
    );
    serverRefuses(
      h,
      {
        ...shareA,
        encryptedShares: [
          { ...shareA.encryptedShares[0], ciphertext: new Uint8Array(103) },
          ...shareA.encryptedShares.slice(1),
        ],
      },
      "malformed",
    );
    serverRefuses(h, { ...shareA, siteId: "site-0005" }, "unknown-site");
    deliverInbox(h);
    serverRefuses(h, shareA, "duplicate", ["share-keys", "share-keys"]);
    closeStage(h);

    // Stage 2: masked input, in chunks of 4.
    deliverInbox(h, new Set(), 4);
    const chunk = { kind: "masked-input-chunk", roundId: 7, siteId: a, values: new Uint32Array(4) };
    serverRefuses(h, { ...chunk, offset: 0 }, "duplicate", ["masked-input", "masked-input"]);
    serverRefuses(h, { ...chunk, offset: 4 }, "duplicate");
    serverRefuses(h, { ...chunk, values: new Uint8Array(4), offset: 8 }, "malformed");
    serverRefuses(h, { ...chunk, values: new Uint32Array(0), offset: 8 }, "malformed");
    serverRefuses(h, { ...chunk, offset: -1 }, "malformed");
    serverRefuses(h, { ...chunk, offset: 1.5 }, "malformed");
    serverRefuses(h, { ...chunk, siteId: "site-0005", offset: 0 }, "unknown-site");
    serverRefuses(h, shareA, "duplicate", ["masked-input", "share-keys"]);
    closeStage(h);

    // Stage 3: consistency check.
    const sig = { kind: "consistency-signature", roundId: 7, siteId: b, signature: new Uint8Array(64) };
    serverRefuses(h, sig, "bad-signature");
    serverRefuses(h, { ...sig, signature: new Uint8Array(63) }, "malformed");
    serverRefuses(h, { ...chunk, offset: 8, values: new Uint32Array(2) }, "duplicate", [
      "consistency-check",
      "masked-input",
    ]);
    serverRefuses(
      h,
      { kind: "unmask-response", roundId: 7, siteId: b, selfMaskShares: [], maskingKeyShares: [] },
      "wrong-stage",
      ["consistency-check", "unmask"],
    );
    deliverInbox(h);
    closeStage(h);

    // Stage 4: unmask.
    const response = {
      kind: "unmask-response",
      roundId: 7,
      siteId: b,
      selfMaskShares: [],
      maskingKeyShares: [],
    };
    serverRefuses(h, response, "malformed");
    serverRefuses(h, { ...response, selfMaskShares: [{ owner: b, share: new Uint8Array(31) }] }, "malformed");
    serverRefuses(
      h,
      { ...response, selfMaskShares: [{ owner: b, share: new Uint8Array(32).fill(0xff) }] },
      "malformed",
    );
    deliverInbox(h);
    serverRefuses(h, response, "duplicate", ["unmask", "unmask"]);
    closeStage(h);
    serverRefuses(h, response, "duplicate");
    expect(h.server.stage === "done" && h.server.sum).toEqual(
      plainSum(
        h,
        sites.filter((s) => s !== "site-0005"),
      ),
    );
  });
});

describe("site refusals", () => {
  it("refuses out-of-stage, replayed, misaddressed, forged and tampered messages, and still completes", () => {
    const h = startHarness("client-refusals", PARAMS);
    const sites = [...h.inputs.keys()].sort();
    const a = sites[0] as SiteId;
    const clientRefuses = (message: unknown, code: string, stages?: [string, string]) => {
      const state = h.clients.get(a) as ClientState;
      const stage = state.stage;
      const e = refusal(() => clientReceive(state, message as KeysBroadcastMessage, h.rng));
      expect(e.code).toBe(code);
      if (stages !== undefined) expect([e.expectedStage, e.receivedStage]).toEqual(stages);
      expect(h.clients.get(a)?.stage).toBe(stage);
    };
    const unmaskRequest: UnmaskRequestMessage = {
      kind: "unmask-request",
      roundId: 7,
      recipient: a,
      survivors: sites,
      signatures: [],
    };
    clientRefuses(unmaskRequest, "wrong-stage", ["share-keys", "unmask"]);
    expect(() => clientMaskInput(h.clients.get(a) as ClientState, new Uint32Array(10))).toThrow(
      ProtocolError,
    );
    closeStage(h);

    const keys = h.inbox.find((m) => m.recipient === a) as KeysBroadcastMessage;
    const ad = keys.advertisements[0] as AdvertiseKeysMessage;
    clientRefuses({ ...keys, recipient: sites[1] }, "unknown-site");
    clientRefuses({ ...keys, roundId: 6 }, "wrong-round");
    clientRefuses({ ...keys, advertisements: [{ ...ad, signature: new Uint8Array(64) }] }, "bad-signature");
    clientRefuses({ ...keys, advertisements: [ad, ad] }, "malformed");
    clientRefuses(
      { ...keys, advertisements: [{ ...ad, maskingPublicKey: new Uint8Array(32) }] },
      "bad-signature",
    ); // key swapped after signing
    clientRefuses({ ...keys, advertisements: keys.advertisements.slice(0, 1) }, "too-few-sites"); // 2 holders < t = 3
    const notNeighbour = sites.find((s) => s !== a && !keys.advertisements.some((x) => x.siteId === s));
    if (notNeighbour !== undefined) {
      clientRefuses(
        { ...keys, advertisements: [...keys.advertisements, { ...ad, siteId: notNeighbour }] },
        "unknown-site",
      );
    }
    deliverInbox(h);
    clientRefuses(keys, "duplicate", ["masked-input", "share-keys"]);
    closeStage(h);

    const delivery = h.inbox.find((m) => m.recipient === a) as SharesDeliveryMessage;
    const first = delivery.shares[0] as SharesDeliveryMessage["shares"][number];
    const tampered = first.ciphertext.slice();
    tampered[60] = (tampered[60] as number) ^ 1;
    clientRefuses(
      { ...delivery, shares: [{ ...first, ciphertext: tampered }, ...delivery.shares.slice(1)] },
      "decryption-failed",
    );
    const other = delivery.shares[1] as SharesDeliveryMessage["shares"][number];
    clientRefuses(
      { ...delivery, shares: [{ ...first, sender: other.sender }, ...delivery.shares.slice(1)] },
      "decryption-failed",
    );
    clientRefuses({ ...delivery, shares: [first, first] }, "malformed");
    clientRefuses(
      { ...delivery, shares: [{ ...first, ciphertext: first.ciphertext.subarray(1) }] },
      "malformed",
    );
    clientRefuses({ ...delivery, shares: [{ ...first, sender: "site-9999" }] }, "unknown-site");
    const state = h.clients.get(a) as ClientState;
    const opened = clientReceive(state, delivery, h.rng);
    expect(() => clientMaskInput(opened.state, new Uint32Array(9))).toThrow(/input has 9 entries/);
    expect(refusal(() => clientReceive(opened.state, delivery, h.rng)).code).toBe("duplicate");
    deliverInbox(h);
    closeStage(h);

    const request = h.inbox.find((m) => m.recipient === a);
    if (request?.kind !== "consistency-request") throw new Error("setup");
    clientRefuses({ ...request, survivors: request.survivors.filter((s) => s !== a) }, "malformed"); // omits a site that sent input
    clientRefuses({ ...request, survivors: [...request.survivors, "site-9999"] }, "unknown-site");
    clientRefuses({ ...request, survivors: [...request.survivors].reverse() }, "malformed"); // not sorted
    clientRefuses({ ...request, survivors: [a] }, "too-few-sites");
    for (; h.server.stage !== "done"; closeStage(h)) deliverInbox(h);
    expect(h.server.sum).toEqual(plainSum(h, sites));
    expect(
      refusal(() => clientReceive(h.clients.get(a) as ClientState, { ...unmaskRequest }, h.rng)).code,
    ).toBe("duplicate");
  });

  it("the validators accept exactly the message shapes and nothing else", () => {
    const ok = { kind: "consistency-signature", roundId: 1, siteId: "s", signature: new Uint8Array(64) };
    expect(validateClientMessage(ok)).toEqual(ok);
    for (const bad of [
      { ...ok, signature: Array.from(new Uint8Array(64)) },
      { ...ok, siteId: "" },
      { ...ok, siteId: "x".repeat(65) },
      { ...ok, siteId: "../etc" },
      { ...ok, roundId: -1 },
      { ...ok, roundId: 2 ** 53 },
      (({ signature: _s, ...rest }) => rest)(ok),
      [ok],
    ]) {
      expect(refusal(() => validateClientMessage(bad)).code).toBe("malformed");
    }
    expect(refusal(() => validateServerMessage(ok)).code).toBe("malformed");
    const broadcast = { kind: "keys-broadcast", roundId: 1, recipient: "s", advertisements: [] };
    expect(validateServerMessage(broadcast)).toEqual(broadcast);
    expect(refusal(() => validateServerMessage({ ...broadcast, advertisements: [ok] })).code).toBe(
      "malformed",
    );
  });
});

describe("stage-closing refusals", () => {
  it("a site whose masked input arrived only in part makes the stage refuse to close (its partial input cannot be removed)", () => {
    const h = startHarness("partial-input", PARAMS);
    closeStage(h);
    deliverInbox(h);
    closeStage(h);
    const a = [...h.inputs.keys()].sort()[0] as SiteId;
    const toA = h.inbox.filter((m) => m.recipient === a);
    h.inbox = h.inbox.filter((m) => m.recipient !== a);
    deliverInbox(h, new Set(), 4);
    const opened = clientReceive(h.clients.get(a) as ClientState, toA[0] as SharesDeliveryMessage, h.rng);
    const chunks = clientMaskInput(opened.state, h.inputs.get(a) as Uint32Array, { chunkLength: 4 }).messages;
    h.server = serverReceive(h.server, chunks[0] as ClientToServerMessage);
    const before = serverSnapshot(h.server);
    expect(refusal(() => serverCloseStage(h.server)).code).toBe("incomplete-input");
    expect(serverSnapshot(h.server)).toEqual(before);
    for (const c of chunks.slice(1)) h.server = serverReceive(h.server, c);
    expect(() => serverCloseStage(h.server)).not.toThrow();
  });

  it("prepareRound refuses configs that could not work", () => {
    const h = startHarness("bad-config", PARAMS);
    const config = h.fixture.config;
    const bad = [
      { ...config, threshold: 1 },
      { ...config, threshold: 6 }, // k + 1 = 5 holders
      { ...config, degree: 6 },
      { ...config, sessionId: new Uint8Array(31) },
      { ...config, vectorLength: 0 },
      { ...config, roundId: -1 },
      { ...config, identityKeys: new Map([...config.identityKeys].slice(1)) },
    ];
    for (const c of bad) expect(() => prepareRound(c)).toThrow(ParameterError);
    const round = prepareRound(config);
    expect(() =>
      createClient({
        round,
        siteId: parseSiteId("site-0000"),
        identitySeed: h.fixture.identitySeeds.get(parseSiteId("site-0001")) as Uint8Array,
        rng: h.rng,
      }),
    ).toThrow(ParameterError);
    expect(() =>
      createClient({ round, siteId: parseSiteId("nobody"), identitySeed: new Uint8Array(32), rng: h.rng }),
    ).toThrow(ParameterError);
  });
});
