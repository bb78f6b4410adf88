// Runs a whole SecAgg+ round in one process (simulation, tests, benchmarks): the real state machines, messages passed by hand.
import { generateSigningKeyPair } from "../keys.ts";
import type { Rng } from "../rng.ts";
import { clientDispose, clientMaskInput, clientReceive, createClient } from "./client.ts";
import type { ClientState } from "./client.ts";
import { PROTOCOL_STAGES } from "./messages.ts";
import type { ClientToServerMessage, ProtocolStage, SiteId } from "./messages.ts";
import { prepareRound } from "./round.ts";
import type { SecAggConfig, SecAggRound } from "./round.ts";
import { createServer, serverCloseStage, serverReceive } from "./server.ts";
import type { ServerState, ServerTransition } from "./server.ts";

/** Long-term Ed25519 identities for simulated sites: the seeds they sign with and the public keys a config lists. */
export function simulatedIdentities(
  sites: readonly SiteId[],
  rng: Rng,
): { identitySeeds: Map<SiteId, Uint8Array>; identityKeys: Map<SiteId, Uint8Array> } {
  const identitySeeds = new Map<SiteId, Uint8Array>();
  const identityKeys = new Map<SiteId, Uint8Array>();
  for (const site of sites) {
    const pair = generateSigningKeyPair(rng);
    identitySeeds.set(site, pair.seed);
    identityKeys.set(site, pair.publicKey);
  }
  return { identitySeeds, identityKeys };
}

/** Stage 0 (advertise keys) for `sites`: their clients, and a new server holding every advertisement. */
export function advertiseAll(
  round: SecAggRound,
  sites: readonly SiteId[],
  identitySeeds: ReadonlyMap<SiteId, Uint8Array>,
  rng: Rng,
): { server: ServerState; clients: Map<SiteId, ClientState> } {
  let server = createServer(round);
  const clients = new Map<SiteId, ClientState>();
  for (const site of sites) {
    const start = createClient({
      round,
      siteId: site,
      identitySeed: identitySeeds.get(site) as Uint8Array,
      rng,
    });
    clients.set(site, start.state);
    server = serverReceive(server, start.message);
  }
  return { server, clients };
}

export interface InProcessRoundOptions {
  readonly config: SecAggConfig;
  /** Each roster site's Ed25519 identity seed. */
  readonly identitySeeds: ReadonlyMap<SiteId, Uint8Array>;
  /** A site's protected vector (already encoded), asked for once, when the site masks it. */
  readonly inputOf: (site: SiteId) => Uint32Array;
  /** Sites that fall silent from the given stage on: they send nothing in it or later. */
  readonly dropouts?: ReadonlyMap<SiteId, ProtocolStage>;
  readonly rng: Rng;
  /** Entries per masked-input chunk (default: whole vector). */
  readonly chunkLength?: number;
}

/** The server, paused with every message of `stage` received, before it closes the stage. */
export interface StagePause {
  readonly stage: ProtocolStage;
  readonly server: ServerState;
}

/**
 * Plays a round, yielding before each stage closes (a benchmark times the step after the
 * "unmask" pause: that is the server's unmasking alone) and returning the done state.
 * Masked inputs are fed to the server as each site produces them, so only one is alive at a time.
 */
export function* playInProcessRound(
  options: InProcessRoundOptions,
): Generator<StagePause, ServerState & { stage: "done" }> {
  const { config, identitySeeds, inputOf, rng } = options;
  const dropouts = options.dropouts ?? new Map<SiteId, ProtocolStage>();
  const silent = (site: SiteId, stage: ProtocolStage) => {
    const from = dropouts.get(site);
    return from !== undefined && PROTOCOL_STAGES.indexOf(stage) >= PROTOCOL_STAGES.indexOf(from);
  };
  const advertising = [...config.roster].sort().filter((site) => !silent(site, "advertise-keys"));
  const started = advertiseAll(prepareRound(config), advertising, identitySeeds, rng);
  const { clients } = started;
  let server = started.server;
  const send = (m: ClientToServerMessage | null) => {
    if (m !== null) server = serverReceive(server, m);
  };
  let step: ServerTransition | undefined;
  for (const stage of PROTOCOL_STAGES) {
    if (stage !== "advertise-keys") {
      for (const m of (step as ServerTransition).messages) {
        const state = clients.get(m.recipient);
        if (state === undefined || silent(m.recipient, stage)) continue;
        const out = clientReceive(state, m, rng);
        clients.set(m.recipient, out.state);
        send(out.message);
        if (out.state.stage === "awaiting-input") {
          const masked = clientMaskInput(
            out.state,
            inputOf(m.recipient),
            options.chunkLength === undefined ? {} : { chunkLength: options.chunkLength },
          );
          clients.set(m.recipient, masked.state);
          for (const chunk of masked.messages) send(chunk);
        }
      }
    }
    yield { stage, server };
    step = serverCloseStage(server);
    server = step.state;
  }
  for (const state of clients.values()) clientDispose(state);
  if (server.stage !== "done") throw new Error("in-process round: server did not finish");
  return server;
}

/** Plays a round to the end and returns the unmasked sum and the survivors whose inputs it holds. */
export function runInProcessRound(options: InProcessRoundOptions): {
  sum: Uint32Array;
  survivors: readonly SiteId[];
} {
  const rounds = playInProcessRound(options);
  for (let r = rounds.next(); ; r = rounds.next()) {
    if (r.done === true) return { sum: r.value.sum, survivors: r.value.survivors };
  }
}
