// SecAgg+ masking benchmark (JSON lines): a site's masking throughput beside the raw AES-256-CTR keystream rate, same run.
// Usage: node bin/run-ts.mjs bench/secagg-mask.ts [--entries 1048576] [--neighbours 10] [--repeats 5]
import { createCipheriv } from "node:crypto";
import { parseArgs } from "node:util";
import { seededRng } from "../crypto/rng.ts";
import { clientMaskInput, clientReceive } from "../crypto/secagg/client.ts";
import type { ClientState } from "../crypto/secagg/client.ts";
import { advertiseAll, simulatedIdentities } from "../crypto/secagg/in-process.ts";
import { prepareRound } from "../crypto/secagg/round.ts";
import { parseSiteId, type SiteId } from "../crypto/site-id.ts";
import type { SecAggConfig } from "../crypto/secagg/round.ts";
import { serverCloseStage, serverReceive } from "../crypto/secagg/server.ts";

const { values } = parseArgs({
  options: {
    entries: { type: "string", default: String(1 << 20) },
    neighbours: { type: "string", default: "10" },
    repeats: { type: "string", default: "5" },
  },
});
const d = Number(values.entries);
const k = Number(values.neighbours);
const repeats = Number(values.repeats);
const emit = (record: Record<string, unknown>): void => {
  process.stdout.write(JSON.stringify({ bench: "secagg-mask", ...record }) + "\n");
};

// A complete graph on k + 1 sites gives the measured site exactly k neighbours.
const rng = seededRng("bench-secagg-mask");
const roster = Array.from({ length: k + 1 }, (_, i) => parseSiteId(`site-${i}`));
const { identitySeeds, identityKeys } = simulatedIdentities(roster, rng);
const sessionId = new Uint8Array(32);
rng.fill(sessionId);
const config: SecAggConfig = {
  roundId: 1,
  sessionId,
  roster,
  threshold: Math.floor((k + 1) / 2) + 1,
  degree: k,
  vectorLength: d,
  identityKeys,
};
const round = prepareRound(config);
const started = advertiseAll(round, roster, identitySeeds, rng);
const { clients } = started;
let server = started.server;
for (let stage = 0; stage < 2; stage++) {
  const step = serverCloseStage(server);
  server = step.state;
  for (const m of step.messages) {
    const out = clientReceive(clients.get(m.recipient) as ClientState, m, rng);
    clients.set(m.recipient, out.state);
    if (out.message !== null) server = serverReceive(server, out.message);
  }
}
const site = clients.get(roster[0] as SiteId) as ClientState;
const input = new Uint32Array(d);
for (let i = 0; i < d; i++) input[i] = rng.nextUint32();

const masks = k + 1;
const keystreamBytes = masks * 4 * d;
const zeros = new Uint8Array(64 * 1024);
const key = new Uint8Array(32);
/** The reference: the same number of keystream bytes from node:crypto, in the same 64 KiB calls, discarded. */
function rawKeystream(): number {
  let sink = 0;
  for (let m = 0; m < masks; m++) {
    key[0] = m;
    const cipher = createCipheriv("aes-256-ctr", key, new Uint8Array(16));
    for (let done = 0; done < 4 * d; done += zeros.length) sink ^= cipher.update(zeros)[0] as number;
  }
  return sink;
}

// Alternate the two measurements so machine load affects both alike; report the best of each.
let bestRaw = Infinity;
let bestMask = Infinity;
for (let r = 0; r < repeats; r++) {
  let t = performance.now();
  rawKeystream();
  bestRaw = Math.min(bestRaw, performance.now() - t);
  t = performance.now();
  clientMaskInput(site, input);
  bestMask = Math.min(bestMask, performance.now() - t);
}
const rawRate = keystreamBytes / (bestRaw / 1e3);
const maskKeystreamRate = keystreamBytes / (bestMask / 1e3);
emit({ metric: "aes256ctr_keystream", bytes: keystreamBytes, ms: bestRaw, bytesPerSecond: rawRate });
emit({
  metric: "site_masking",
  entries: d,
  neighbours: k,
  masks,
  ms: bestMask,
  // Bytes of update protected per second: each of the 4·d bytes needs k + 1 mask words.
  updateBytesPerSecond: (4 * d) / (bestMask / 1e3),
  // The mask keystream the site generated and applied per second, against the raw rate.
  maskKeystreamBytesPerSecond: maskKeystreamRate,
  ratioToKeystream: maskKeystreamRate / rawRate,
  ratioUpdateToKeystream: (4 * d) / (bestMask / 1e3) / rawRate,
  target: ">= 0.5 of the keystream rate, counting the k + 1 masks a site must expand",
});
