// De-identification benchmark (JSON lines): recall and precision by identifier kind on each part of the labelled PHI corpus, false alarms on notes without PHI, and scrub throughput beside one plain regex pass over the same text.
// Usage: node bin/run-ts.mjs bench/deid.ts [--notes 1000] [--seed 1] [--misses 0]
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { Scrubber, detectPhi } from "../client/deid/scrub.ts";
import { generatePretrainingCorpus } from "../sim/clinical/corpus.ts";
import type { LabelledNote } from "../sim/phi/builder.ts";
import { handWrittenCorpus } from "../sim/phi/hand-written.ts";
import { heldOutCorpus } from "../sim/phi/held-out.ts";
import { developmentCorpus } from "../sim/phi/notes.ts";
import { scoreDetector } from "../sim/phi/score.ts";

const { values } = parseArgs({
  options: {
    notes: { type: "string", default: "1000" },
    seed: { type: "string", default: "1" },
    misses: { type: "string", default: "0" },
  },
});
const count = Number(values.notes);
const seed = Number(values.seed);
const emit = (record: Record<string, unknown>): void => {
  process.stdout.write(JSON.stringify({ bench: "deid", ...record }) + "\n");
};
const round = (x: number): number | null => (Number.isFinite(x) ? Number(x.toFixed(4)) : null);

const parts: [string, LabelledNote[]][] = [
  ["held-out", heldOutCorpus(seed, count)],
  ["hand-written-2", handWrittenCorpus(2)],
  ["hand-written-1", handWrittenCorpus(1)],
  ["development", developmentCorpus(seed, count)],
];
for (const [part, notes] of parts) {
  const { scores, misses, falseAlarms } = scoreDetector(notes, detectPhi);
  for (const s of scores) {
    if (s.labelled === 0 && s.found === 0) continue;
    emit({
      part,
      notes: notes.length,
      kind: s.kind,
      labelled: s.labelled,
      recall: round(s.recall),
      found: s.found,
      precision: round(s.precision),
    });
  }
  for (const miss of misses.slice(0, Number(values.misses))) emit({ part, miss });
  for (const alarm of falseAlarms.slice(0, Number(values.misses))) emit({ part, falseAlarm: alarm });
}

// Notes of the simulation without any injected identifier: every span found but an age over 89 is a false alarm.
const clean = generatePretrainingCorpus(seed, 200 * count);
let spans = 0;
let falseAlarms = 0;
for (const doc of clean) {
  for (const s of detectPhi(doc)) {
    spans++;
    if (s.kind !== "age") falseAlarms++;
  }
}
emit({
  part: "no-phi",
  documents: clean.length,
  spans,
  falseAlarms,
  falseAlarmsPerThousandDocs: round((1000 * falseAlarms) / clean.length),
});

// Throughput: the whole scrub beside one pass of a single regex over the same notes (the floor of any regex scrubber).
const texts = parts[0]?.[1].map((n) => n.text) ?? [];
const chars = texts.reduce((sum, t) => sum + t.length, 0);
const scrubber = new Scrubber(new Uint8Array(32).fill(7));
let t0 = performance.now();
for (const t of texts) scrubber.scrub(t);
const scrubMs = performance.now() - t0;
t0 = performance.now();
let matches = 0;
for (const t of texts) matches += [...t.matchAll(/\b\d{3}-\d{2}-\d{4}\b/g)].length;
const regexMs = performance.now() - t0;
emit({
  part: "throughput",
  notes: texts.length,
  chars,
  scrubCharsPerSecond: Math.round(chars / (scrubMs / 1000)),
  oneRegexCharsPerSecond: Math.round(chars / (regexMs / 1000)),
  ratio: round(scrubMs / regexMs),
  matches,
});
