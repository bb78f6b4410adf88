// SecAgg+ server unmask benchmark (JSON lines): time to unmask for n sites, a dropout rate and a vector length.
// Usage: node bin/run-ts.mjs bench/secagg-unmask.ts [--sites 10,100,1000] [--entries 100000,1000000]
//        [--dropouts 0,0.3] [--budget-s 180]
import { parseArgs } from "node:util";
import { seededRng, uniformBelow } from "../crypto/rng.ts";
import type { Rng } from "../crypto/rng.ts";
import { clientMaskInput, clientReceive } from "../crypto/secagg/client.ts";
import type { ClientState } from "../crypto/secagg/client.ts";
import { buildNeighbourGraph } from "../crypto/secagg/graph.ts";
import type { NeighbourGraph } from "../crypto/secagg/graph.ts";
import { advertiseAll, simulatedIdentities } from "../crypto/secagg/in-process.ts";
import type { ServerToClientMessage, SiteId } from "../crypto/secagg/messages.ts";
import { prepareRound } from "../crypto/secagg/round.ts";
import { parseSiteId } from "../crypto/site-id.ts";
import type { SecAggConfig } from "../crypto/secagg/round.ts";
import { serverCloseStage, serverReceive } from "../crypto/secagg/server.ts";
import type { ServerState } from "../crypto/secagg/server.ts";

const { values } = parseArgs({
  options: {
    sites: { type: "string", default: "10,100,1000" },
    entries: { type: "string", default: "100000,1000000" },
    dropouts: { type: "string", default: "0,0.3" },
    "budget-s": { type: "string", default: "180" },
    // Above this many mask words (n · (k + 1) · d) the sites' masking is not simulated: see below.
    "real-mask-words": { type: "string", default: "300000000" },
  },
});
const list = (s: string) => s.split(",").map(Number);
const budgetMs = Number(values["budget-s"]) * 1e3;
const realMaskWords = Number(values["real-mask-words"]);
const emit = (record: Record<string, unknown>): void => {
  process.stdout.write(JSON.stringify({ bench: "secagg-unmask", ...record }) + "\n");
};
const started = performance.now();

/**
 * Degree and threshold per roster size: classic SecAgg (k = n − 1) for small rosters,
 * SecAgg+ with k = 20 (about 2·log2 n at n = 1000, Bell et al. 2020 §3) above; t is the least
 * majority of the k + 1 holders, the lowest threshold prepareRound accepts (issue 18 §2).
 */
function parameters(n: number): { degree: number; threshold: number } {
  const degree = Math.min(n - 1, 20);
  return { degree, threshold: Math.floor((degree + 1) / 2) + 1 };
}

/** Every site whose secret the server must rebuild keeps t live holders (else the round is, rightly, refused). */
function feasible(graph: NeighbourGraph, dropped: ReadonlySet<SiteId>, t: number): boolean {
  return graph.sites.every((s) => {
    const live = graph.neighbours(s).filter((v) => !dropped.has(v)).length + (dropped.has(s) ? 0 : 1);
    return dropped.has(s) && live === 0 ? true : live >= t;
  });
}

function pickDropouts(
  graph: NeighbourGraph,
  count: number,
  t: number,
  rng: Rng,
): { dropped: Set<SiteId>; draws: number } {
  for (let draws = 1; draws <= 1000; draws++) {
    const pool = [...graph.sites];
    for (let i = pool.length - 1; i > 0; i--) {
      const j = uniformBelow(rng, i + 1);
      [pool[i], pool[j]] = [pool[j] as SiteId, pool[i] as SiteId];
    }
    const dropped = new Set(pool.slice(0, count));
    if (feasible(graph, dropped, t)) return { dropped, draws };
  }
  throw new Error("no feasible dropout pattern in 1000 draws");
}

function deliver(
  messages: readonly ServerToClientMessage[],
  clients: Map<SiteId, ClientState>,
  server: ServerState,
  rng: Rng,
  skip: ReadonlySet<SiteId> = new Set(),
): ServerState {
  for (const m of messages) {
    if (skip.has(m.recipient)) continue;
    const out = clientReceive(clients.get(m.recipient) as ClientState, m, rng);
    clients.set(m.recipient, out.state);
    if (out.message !== null) server = serverReceive(server, out.message);
  }
  return server;
}

for (const d of list(values.entries)) {
  for (const n of list(values.sites)) {
    const { degree, threshold } = parameters(n);
    if (performance.now() - started > budgetMs) {
      emit({ sites: n, entries: d, skipped: true, reason: `over the ${values["budget-s"]} s budget` });
      continue;
    }
    const rng = seededRng(`bench-secagg-unmask-${n}-${d}`);
    const roster = Array.from({ length: n }, (_, i) => parseSiteId(`site-${String(i).padStart(4, "0")}`));
    const { identitySeeds, identityKeys } = simulatedIdentities(roster, rng);
    const sessionId = new Uint8Array(32);
    rng.fill(sessionId);
    const config: SecAggConfig = {
      roundId: 1,
      sessionId,
      roster,
      threshold,
      degree,
      vectorLength: d,
      identityKeys,
    };
    const graph = buildNeighbourGraph(roster, degree, sessionId);

    // Stages 0–1 once per (n, d): site states are immutable, so both dropout rates start from them.
    const setupStart = performance.now();
    const round = prepareRound(config);
    const advertised = advertiseAll(round, roster, identitySeeds, rng);
    const { clients } = advertised;
    let server = advertised.server;
    let step = serverCloseStage(server);
    server = deliver(step.messages, clients, step.state, rng);
    step = serverCloseStage(server);
    const setupMs = performance.now() - setupStart;
    const afterShares = step;

    // Masking every site costs n·(k + 1)·d words of keystream; past the limit the sites send
    // one shared random vector instead. The server cannot tell (a masked vector is uniform),
    // so its unmask time is unchanged; only the check of the result is lost.
    const real = n * (degree + 1) * d <= realMaskWords;
    const synthetic = new Uint32Array(d);
    if (!real) for (let i = 0; i < d; i++) synthetic[i] = rng.nextUint32();

    for (const rate of list(values.dropouts)) {
      if (performance.now() - started > budgetMs) {
        emit({
          sites: n,
          entries: d,
          dropout: rate,
          skipped: true,
          reason: `over the ${values["budget-s"]} s budget`,
        });
        continue;
      }
      const { dropped, draws } = pickDropouts(graph, Math.round(rate * n), threshold, rng);
      const branchClients = new Map(clients);
      const inputs = new Map<SiteId, Uint32Array>();
      if (afterShares.state.stage !== "collecting-masked-input") throw new Error("unexpected stage");
      // Sites drop after sharing keys and before sending input: the server must rebuild their keys.
      server = { ...afterShares.state, sum: new Uint32Array(d) };
      for (const m of afterShares.messages) {
        if (dropped.has(m.recipient)) continue;
        const out = clientReceive(branchClients.get(m.recipient) as ClientState, m, rng);
        if (real) {
          const input = new Uint32Array(d);
          for (let i = 0; i < d; i++) input[i] = rng.nextUint32();
          inputs.set(m.recipient, input);
          const masked = clientMaskInput(out.state, input);
          branchClients.set(m.recipient, masked.state);
          for (const chunk of masked.messages) server = serverReceive(server, chunk);
        } else {
          const chunk = {
            kind: "masked-input-chunk",
            roundId: 1,
            siteId: m.recipient,
            offset: 0,
            values: synthetic,
          } as const;
          server = serverReceive(server, chunk);
          // Advance the site past masking without computing it: its state only needs the held shares.
          const { round, siteId, identitySeed, secrets, heldShares } = out.state as ClientState & {
            stage: "awaiting-input";
          };
          branchClients.set(m.recipient, {
            stage: "awaiting-consistency",
            round,
            siteId,
            identitySeed,
            secrets,
            heldShares,
          });
        }
      }
      for (let stage = 0; stage < 2; stage++) {
        step = serverCloseStage(server);
        server = deliver(step.messages, branchClients, step.state, rng);
      }
      if (server.stage !== "collecting-unmask") throw new Error("unexpected stage");
      const survivors = server.survivors.length;
      const pairwiseMasks = [...dropped].reduce(
        (a, u) => a + graph.neighbours(u).filter((v) => !dropped.has(v)).length,
        0,
      );
      const t0 = performance.now();
      const done = serverCloseStage(server).state;
      const unmaskMs = performance.now() - t0;
      if (done.stage !== "done") throw new Error("round did not finish");
      let verified: boolean | null = null;
      if (real) {
        const want = new Uint32Array(d);
        for (const x of inputs.values())
          for (let i = 0; i < d; i++) want[i] = (want[i] as number) + (x[i] as number);
        verified = want.every((v, i) => v === done.sum[i]);
      }
      const masks = survivors + pairwiseMasks;
      emit({
        sites: n,
        entries: d,
        dropout: rate,
        degree,
        threshold,
        survivors,
        dropped: dropped.size,
        dropoutDraws: draws,
        unmaskMs,
        masksRegenerated: masks,
        maskKeystreamBytesPerSecond: (masks * 4 * d) / (unmaskMs / 1e3),
        setupMs,
        maskedInputs: real ? "real" : "synthetic",
        sumVerified: verified,
      });
    }
  }
}
emit({ totalSeconds: (performance.now() - started) / 1e3 });
