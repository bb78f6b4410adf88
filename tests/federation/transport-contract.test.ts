// One contract, two transports (STYLE.md item 3): gRPC over mutual TLS and in-memory must behave alike.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialGrpc } from "../../client/transport/grpc.ts";
import { dialInMemory } from "../../client/transport/in-memory.ts";
import { pkiAuthenticator } from "../../coordinator/transport/authenticator.ts";
import { serveGrpc } from "../../coordinator/transport/grpc-server.ts";
import { serveInMemory } from "../../coordinator/transport/in-memory.ts";
import { FederationError } from "../../proto/errors.ts";
import type { AdminHandlers, FederationHandlers } from "../../proto/rpc.ts";
import {
  createInMemoryNetwork,
  type DialFunction,
  type ServeFunction,
  type ServerHandle,
  type TlsIdentity,
} from "../../proto/transport.ts";
import { createTestPki, revocationList, type TestPki } from "./helpers/pki.ts";

const DEADLINE = { deadlineMs: 10_000 };

function notUsed(): never {
  throw new FederationError("failed_precondition", "not used in this test");
}

/** Handlers that echo and record calls, so a test can see that a refused call never reached one. */
function fakeHandlers(calls: string[]): { federation: FederationHandlers; admin: AdminHandlers } {
  const federation: FederationHandlers = {
    join: (peer, request) => {
      calls.push(`join:${peer.name}`);
      return Promise.resolve({
        siteId: peer.name,
        privacyMode: "none",
        vectorLength: request.clientVersion.length,
        totalRounds: 3,
        federationName: "contract",
        lora: { r: 4, alpha: 8, dropout: 0, targetModules: ["q_proj"], mode: "ffa", seed: 1 },
        revocationList: new Uint8Array(),
      });
    },
    poll: (peer, request, ctx) => {
      calls.push(`poll:${peer.name}`);
      if (request.waitMs === 1) throw new Error("secret key material 0xdeadbeef");
      if (request.waitMs === 2)
        return Promise.reject(
          new FederationError("failed_precondition", "expected training, received unmask"),
        );
      if (request.waitMs === 3) {
        return new Promise((_, reject) =>
          ctx.signal.addEventListener("abort", () => reject(new Error("aborted"))),
        );
      }
      return Promise.resolve({ step: "wait", wait: { retryAfterMs: request.waitMs } });
    },
    fetchAdapter: async function* (_peer, request) {
      await Promise.resolve();
      for (let i = 0; i < 3; i++) {
        yield { offset: i * 4, data: new Uint8Array(16).fill(request.version + i) };
      }
    },
    submitUpdate: async (_peer, parts) => {
      let total = 0;
      for await (const part of parts) if (part.part === "chunk") total += part.chunk.data.length;
      return { note: `received ${total}` };
    },
    advertiseKeys: notUsed,
    shareKeys: notUsed,
    signSurvivors: notUsed,
    unmask: notUsed,
    submitMetrics: (_peer, request) => Promise.resolve({ note: Object.keys(request.metrics).join(",") }),
    decline: notUsed,
    publishKeys: notUsed,
    fetchKeys: notUsed,
    exportAggregates: notUsed,
  };
  const admin: AdminHandlers = {
    status: (peer) => {
      calls.push(`status:${peer.name}`);
      return Promise.resolve({
        federationName: "contract",
        privacyMode: "secagg",
        strategy: "fedavg",
        round: 2,
        attempt: 1,
        stage: "idle",
        completedRounds: 1,
        totalRounds: 3,
        sitesJoined: 2,
        sitesOnline: 2,
      });
    },
    rounds: notUsed,
    submitRun: notUsed,
    listRuns: notUsed,
    showRun: notUsed,
    abortRun: notUsed,
    sites: notUsed,
    audit: notUsed,
    verifyAudit: notUsed,
    dropSite: notUsed,
  };
  return { federation, admin };
}

const joinRequest = {
  baseModelHash: "a".repeat(64),
  identityKey: new Uint8Array(32),
  keyBindingSignature: new Uint8Array(64),
  envelopePublicKey: new Uint8Array(32),
  clientVersion: "v12345",
  certificate: new Uint8Array(600),
  certificateKeySignature: new Uint8Array(72),
};

const transports: {
  name: string;
  make: () => { serve: ServeFunction; dial: DialFunction; listen: string };
}[] = [
  { name: "grpc", make: () => ({ serve: serveGrpc, dial: dialGrpc, listen: "127.0.0.1:0" }) },
  {
    name: "in-memory",
    make: () => {
      const network = createInMemoryNetwork();
      return { serve: serveInMemory(network), dial: dialInMemory(network), listen: "contract" };
    },
  },
];

describe.each(transports)("transport contract: $name", ({ make }) => {
  let pki: TestPki;
  let server: ServerHandle;
  let dial: DialFunction;
  const calls: string[] = [];
  const revocations = revocationList();
  const site = (name: string): TlsIdentity => pki.sites.get(name) as TlsIdentity;

  beforeAll(async () => {
    pki = await createTestPki(["alpha", "beta", "gamma"]);
    const transport = make();
    dial = transport.dial;
    server = await transport.serve({
      listen: transport.listen,
      tls: pki.coordinator,
      authenticator: pkiAuthenticator(pki.ca.certPem, () => revocations.current()),
      ...fakeHandlers(calls),
    });
    revocations.revoke(pki.sites.get("gamma")?.fingerprint ?? "");
  });
  afterAll(async () => {
    await server.close();
  });

  it("answers unary calls with validated, typed responses and the caller's certificate identity", async () => {
    const connection = dial({ address: server.address, tls: site("alpha") });
    const { revocationList, ...response } = await connection.federation.join(joinRequest, DEADLINE);
    expect(Array.from(revocationList)).toEqual([]);
    expect(response).toEqual({
      siteId: "alpha",
      privacyMode: "none",
      vectorLength: 6,
      totalRounds: 3,
      federationName: "contract",
      lora: { r: 4, alpha: 8, dropout: 0, targetModules: ["q_proj"], mode: "ffa", seed: 1 },
    });
    const poll = await connection.federation.poll({ waitMs: 25, ledger: null }, DEADLINE);
    expect(poll).toEqual({ step: "wait", wait: { retryAfterMs: 25 } });
    connection.close();
  });

  it("streams chunks in order both ways", async () => {
    const connection = dial({ address: server.address, tls: site("alpha") });
    const chunks = [];
    for await (const chunk of connection.federation.fetchAdapter({ version: 7 }, DEADLINE))
      chunks.push(chunk);
    expect(chunks.map((chunk) => [chunk.offset, chunk.data[0], chunk.data.length])).toEqual([
      [0, 7, 16],
      [4, 8, 16],
      [8, 9, 16],
    ]);
    const header = {
      ref: { round: 1, attempt: 1 },
      encoding: "plain" as const,
      length: 8,
      numExamples: 1,
      trainLoss: 0,
    };
    const ack = await connection.federation.submitUpdate(
      [
        { part: "header", header },
        { part: "chunk", chunk: { offset: 0, data: new Uint8Array(12) } },
        { part: "chunk", chunk: { offset: 3, data: new Uint8Array(20) } },
      ],
      DEADLINE,
    );
    expect(ack.note).toBe("received 32");
    connection.close();
  });

  it("refuses invalid fields with INVALID_ARGUMENT before the handler runs", async () => {
    const connection = dial({ address: server.address, tls: site("alpha") });
    const before = calls.length;
    const bad = { ...joinRequest, identityKey: new Uint8Array(31) };
    await expect(connection.federation.join(bad, DEADLINE)).rejects.toMatchObject({
      code: "invalid_argument",
      publicMessage: expect.stringContaining("identityKey") as unknown,
    });
    const badChunk = connection.federation.submitUpdate(
      [{ part: "chunk", chunk: { offset: 0, data: new Uint8Array(0) } }],
      DEADLINE,
    );
    await expect(badChunk).rejects.toMatchObject({ code: "invalid_argument" });
    expect(calls.length).toBe(before);
    connection.close();
  });

  it("translates typed errors and hides untyped ones", async () => {
    const connection = dial({ address: server.address, tls: site("alpha") });
    await expect(connection.federation.poll({ waitMs: 2, ledger: null }, DEADLINE)).rejects.toMatchObject({
      code: "failed_precondition",
      publicMessage: "expected training, received unmask",
    });
    const hidden = await connection.federation
      .poll({ waitMs: 1, ledger: null }, DEADLINE)
      .catch((error: unknown) => error);
    expect(hidden).toBeInstanceOf(FederationError);
    expect((hidden as FederationError).code).toBe("internal");
    expect((hidden as FederationError).message).not.toContain("deadbeef");
    connection.close();
  });

  it("enforces the caller's deadline", async () => {
    const connection = dial({ address: server.address, tls: site("alpha") });
    await expect(
      connection.federation.poll({ waitMs: 3, ledger: null }, { deadlineMs: 200 }),
    ).rejects.toMatchObject({
      code: "deadline_exceeded",
    });
    connection.close();
  });

  it("refuses revoked, wrong-role and foreign certificates before any handler runs", async () => {
    const before = calls.length;
    const revoked = dial({ address: server.address, tls: site("gamma") });
    await expect(revoked.federation.join(joinRequest, DEADLINE)).rejects.toMatchObject({
      code: "unauthenticated",
    });
    revoked.close();
    const siteAsAdmin = dial({ address: server.address, tls: site("beta") });
    await expect(siteAsAdmin.admin.status({}, DEADLINE)).rejects.toMatchObject({ code: "permission_denied" });
    siteAsAdmin.close();
    const adminAsSite = dial({ address: server.address, tls: pki.admin });
    await expect(adminAsSite.federation.poll({ waitMs: 0, ledger: null }, DEADLINE)).rejects.toMatchObject({
      code: "permission_denied",
    });
    expect((await adminAsSite.admin.status({}, DEADLINE)).privacyMode).toBe("secagg");
    adminAsSite.close();
    const stranger = dial({ address: server.address, tls: pki.stranger });
    await expect(stranger.federation.join(joinRequest, { deadlineMs: 3000 })).rejects.toBeInstanceOf(
      FederationError,
    );
    stranger.close();
    expect(calls.slice(before)).toEqual(["status:operator"]);
  });

  it("requires a deadline on every call", async () => {
    const connection = dial({ address: server.address, tls: site("alpha") });
    await expect(
      connection.federation.poll({ waitMs: 0, ledger: null }, { deadlineMs: 0 }),
    ).rejects.toMatchObject({
      code: "invalid_argument",
    });
    connection.close();
  });
});
