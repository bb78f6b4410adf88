// Test fixtures for SecAgg+: rosters with identity keys, configs and a hand-driven round, all from a seeded Rng.
import { ProtocolError } from "../../crypto/errors.ts";
import { seededRng } from "../../crypto/rng.ts";
import type { Rng } from "../../crypto/rng.ts";
import { clientMaskInput, clientReceive, createClient } from "../../crypto/secagg/client.ts";
import type { ClientState } from "../../crypto/secagg/client.ts";
import { simulatedIdentities } from "../../crypto/secagg/in-process.ts";
import type { ServerToClientMessage, SiteId } from "../../crypto/secagg/messages.ts";
import { prepareRound } from "../../crypto/secagg/round.ts";
import { parseSiteId } from "../../crypto/site-id.ts";
import type { SecAggConfig } from "../../crypto/secagg/round.ts";
import { createServer, serverCloseStage, serverPending, serverReceive } from "../../crypto/secagg/server.ts";
import type { ServerState } from "../../crypto/secagg/server.ts";

export interface Fixture {
  readonly config: SecAggConfig;
  readonly identitySeeds: ReadonlyMap<SiteId, Uint8Array>;
}

export function siteNames(n: number): SiteId[] {
  return Array.from({ length: n }, (_, i) => parseSiteId(`site-${String(i).padStart(4, "0")}`));
}

export function makeFixture(
  rng: Rng,
  params: { n: number; degree: number; threshold: number; vectorLength: number; roundId?: number },
): Fixture {
  const roster = siteNames(params.n);
  const { identitySeeds, identityKeys } = simulatedIdentities(roster, rng);
  const sessionId = new Uint8Array(32);
  rng.fill(sessionId);
  return {
    config: {
      roundId: params.roundId ?? 7,
      sessionId,
      roster,
      threshold: params.threshold,
      degree: params.degree,
      vectorLength: params.vectorLength,
      identityKeys,
    },
    identitySeeds,
  };
}

/** A round driven by hand, one stage at a time, so tests can intercept, alter or replay any message. */
export interface Harness {
  readonly fixture: Fixture;
  readonly rng: Rng;
  readonly inputs: ReadonlyMap<SiteId, Uint32Array>;
  server: ServerState;
  clients: Map<SiteId, ClientState>;
  /** Server messages of the last closed stage, not yet delivered. */
  inbox: ServerToClientMessage[];
}

export function startHarness(
  label: string,
  params: { n: number; degree: number; threshold: number; vectorLength: number },
  silent: ReadonlySet<SiteId> = new Set(),
): Harness {
  const rng = seededRng(label);
  const fixture = makeFixture(rng, params);
  const inputs = new Map(
    fixture.config.roster.map((s) => {
      const x = new Uint32Array(params.vectorLength);
      for (let i = 0; i < x.length; i++) x[i] = rng.nextUint32();
      return [s, x] as const;
    }),
  );
  const round = prepareRound(fixture.config);
  const h: Harness = {
    fixture,
    rng,
    inputs,
    server: createServer(round),
    clients: new Map(),
    inbox: [],
  };
  for (const site of fixture.config.roster) {
    if (silent.has(site)) continue;
    const start = createClient({
      round,
      siteId: site,
      identitySeed: fixture.identitySeeds.get(site) as Uint8Array,
      rng,
    });
    h.clients.set(site, start.state);
    h.server = serverReceive(h.server, start.message);
  }
  return h;
}

export function closeStage(h: Harness): void {
  const t = serverCloseStage(h.server);
  h.server = t.state;
  h.inbox = t.messages;
}

/** Delivers the inbox to every site not in `silent`, and their answers (masked inputs included) to the server. */
export function deliverInbox(
  h: Harness,
  silent: ReadonlySet<SiteId> = new Set(),
  chunkLength?: number,
): void {
  for (const m of h.inbox) {
    const state = h.clients.get(m.recipient);
    if (state === undefined || silent.has(m.recipient)) continue;
    const out = clientReceive(state, m, h.rng);
    h.clients.set(m.recipient, out.state);
    if (out.message !== null) h.server = serverReceive(h.server, out.message);
    if (out.state.stage === "awaiting-input") {
      const masked = clientMaskInput(
        out.state,
        h.inputs.get(m.recipient) as Uint32Array,
        chunkLength === undefined ? {} : { chunkLength },
      );
      h.clients.set(m.recipient, masked.state);
      for (const chunk of masked.messages) h.server = serverReceive(h.server, chunk);
    }
  }
  h.inbox = [];
}

export function plainSum(h: Harness, sites: readonly SiteId[]): Uint32Array {
  const sum = new Uint32Array(h.fixture.config.vectorLength);
  for (const s of sites) {
    const x = h.inputs.get(s) as Uint32Array;
    for (let i = 0; i < sum.length; i++) sum[i] = (sum[i] as number) + (x[i] as number);
  }
  return sum;
}

/** Everything observable about a server state, to show a refused message changed nothing. */
export function serverSnapshot(state: ServerState): unknown {
  return {
    stage: state.stage,
    pending: serverPending(state),
    sum: "sum" in state ? Array.from(state.sum) : null,
  };
}

/** The ProtocolError that `f` throws; anything else, or no error, fails the test. */
export function refusal(f: () => unknown): ProtocolError {
  try {
    f();
  } catch (e) {
    if (e instanceof ProtocolError) return e;
    throw e;
  }
  throw new Error("expected a ProtocolError");
}
