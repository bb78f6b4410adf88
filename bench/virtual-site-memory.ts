// What a hosted site that is not in a round holds in memory: `fedtune sim` with every site in this process, live memory after a full collection.
//
// Usage: node --expose-gc bin/run-ts.mjs bench/virtual-site-memory.ts [--sites 20,200] [--participation 0.1] [--rounds 1]
// Runs the simulation (real coordinator, real site clients over loopback gRPC, the engine trainer on the
// built-in model) with its sites hosted in this process (`--workers 0`, one copy of the base model),
// so that one heap holds them all. At the start of every round stage (the coordinator's event, taken
// synchronously: no site runs meanwhile) it collects garbage and reads the live memory: the JS heap
// and the bytes of live TensorFlow.js tensors (the adapters' and optimizers' weights live in the
// backend, outside the JS heap). The least of these readings is the moment with the fewest sites
// working; the difference between two site counts, divided by the sites added, is what one more
// idle site costs (the coordinator's record of it included).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import { pino } from "pino";
import { parseSimOptions } from "../sim/options.ts";
import { runSimulation } from "../sim/runner.ts";

interface Reading {
  readonly heapBytes: number;
  readonly tensorBytes: number;
}

async function runOnce(
  sites: number,
  participation: number,
  rounds: number,
): Promise<Reading & { sites: number }> {
  const gc = global.gc;
  if (gc === undefined) throw new Error("run with node --expose-gc");
  const out = mkdtempSync(join(tmpdir(), "fedtune-idle-sites-"));
  let least: Reading | undefined;
  try {
    await runSimulation(
      parseSimOptions({ sites, participation, rounds, isolation: "thread", workers: 0, out }),
      pino({ level: "silent" }),
      (event) => {
        if (event.type !== "stage") return;
        gc();
        const reading = { heapBytes: process.memoryUsage().heapUsed, tensorBytes: tf.memory().numBytes };
        if (
          least === undefined ||
          reading.heapBytes + reading.tensorBytes < least.heapBytes + least.tensorBytes
        )
          least = reading;
      },
    );
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  if (least === undefined) throw new Error("no round stage was reached");
  return { sites, ...least };
}

const { values } = parseArgs({
  options: {
    sites: { type: "string", default: "20,200" },
    participation: { type: "string", default: "0.1" },
    rounds: { type: "string", default: "1" },
  },
});
const siteCounts = values.sites.split(",").map(Number);
const participation = Number(values.participation);
const rounds = Number(values.rounds);
const rows = [];
for (const sites of siteCounts) {
  const row = await runOnce(sites, participation, rounds);
  rows.push(row);
  console.log(
    JSON.stringify({
      bench: "virtual-site-memory",
      sites,
      participation,
      rounds,
      leastLiveHeapMiB: Number((row.heapBytes / 2 ** 20).toFixed(1)),
      leastLiveTensorMiB: Number((row.tensorBytes / 2 ** 20).toFixed(1)),
    }),
  );
}
for (let i = 1; i < rows.length; i++) {
  const [from, to] = [rows[i - 1], rows[i]] as [(typeof rows)[number], (typeof rows)[number]];
  const added = to.sites - from.sites;
  console.log(
    JSON.stringify({
      bench: "virtual-site-memory-per-site",
      fromSites: from.sites,
      toSites: to.sites,
      heapKiBPerIdleSite: Math.round((to.heapBytes - from.heapBytes) / 1024 / added),
      tensorKiBPerIdleSite: Math.round((to.tensorBytes - from.tensorBytes) / 1024 / added),
      liveKiBPerIdleSite: Math.round(
        (to.heapBytes + to.tensorBytes - from.heapBytes - from.tensorBytes) / 1024 / added,
      ),
    }),
  );
}
