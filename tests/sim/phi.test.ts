// The labelled PHI corpus, `fedtune sim --phi`'s planted notes, and the sites' scrubbing of them at load.
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { detectPhi } from "../../client/deid/scrub.ts";
import { loadSiteRows } from "../../sim/datasets.ts";
import { charTokenizer } from "../client/fake-tokenizer.ts";
import { generateFederationData, writeFederationData } from "../../sim/hospitals.ts";
import { handWrittenCorpus, parseLabelledNotes } from "../../sim/phi/hand-written.ts";
import { heldOutCorpus } from "../../sim/phi/held-out.ts";
import { plantPhi } from "../../sim/phi/hospital-notes.ts";
import { developmentCorpus } from "../../sim/phi/notes.ts";
import { scoreDetector } from "../../sim/phi/score.ts";

const STRUCTURED = ["date", "phone", "email", "ssn", "id", "url", "ip", "zip"] as const;

describe("labelled corpus", () => {
  it("labels spans that lie inside their notes, do not overlap, and hold the identifier's text", () => {
    for (const note of [...developmentCorpus(3, 60), ...heldOutCorpus(3, 60), ...handWrittenCorpus()]) {
      let end = 0;
      for (const span of note.spans) {
        expect(span.start).toBeGreaterThanOrEqual(end);
        expect(span.end).toBeLessThanOrEqual(note.text.length);
        expect(note.text.slice(span.start, span.end).trim()).not.toBe("");
        end = span.end;
      }
    }
  });

  it("parses the [[kind|text]] markup and rejects an unknown kind", () => {
    const [note] = parseLabelledNotes("# comment\nSeen by Dr [[name|Ann Lee]] on [[date|3/4/2021]].\n===\n");
    expect(note?.text).toBe("Seen by Dr Ann Lee on 3/4/2021.");
    expect(note?.spans).toEqual([
      { kind: "name", start: 11, end: 18 },
      { kind: "date", start: 22, end: 30 },
    ]);
    expect(() => parseLabelledNotes("[[pet|Rex]]")).toThrow(/unknown identifier kind "pet"/);
  });

  // The bar on the held-out part (a small sample here; bench/deid.ts measures 1000 notes).
  it("meets the recall and precision bar on the held-out part", () => {
    const { scores } = scoreDetector(heldOutCorpus(11, 150), detectPhi);
    const by = new Map(scores.map((s) => [s.kind, s]));
    for (const kind of STRUCTURED) expect(by.get(kind)?.recall, kind).toBeGreaterThanOrEqual(0.99);
    expect(by.get("name")?.recall).toBeGreaterThanOrEqual(0.95);
    expect(by.get("all")?.precision).toBeGreaterThanOrEqual(0.9);
  });
});

describe("sim --phi", () => {
  const data = generateFederationData({
    seed: 5,
    sites: 2,
    concentration: 1,
    examplesPerSite: 12,
    validationFraction: 0.2,
    testPerCondition: 1,
  });

  it("plants identifiers in training and validation records, a probe per site, and none in the test set", () => {
    const { data: phi, planted, probes } = plantPhi(data, 5);
    const site = phi.sites[0];
    const plain = data.sites[0];
    if (site === undefined || plain === undefined) throw new Error("no site");
    const first = site.train[0];
    if (first === undefined) throw new Error("no record");
    expect(first.mcq.question.startsWith(first.instruction.input)).toBe(true);
    expect(first.instruction.input).toContain(plain.train[0]?.instruction.input);
    const ids = planted.get(site.siteId) ?? [];
    expect(ids.length).toBeGreaterThan(site.train.length + site.validation.length);
    expect(ids.some((id) => first.instruction.input.includes(id))).toBe(true);
    const checked = site.validation[0];
    expect(ids.some((id) => checked?.mcq.question.includes(id))).toBe(true);
    expect(phi.test).toEqual(data.test);
    // Each probe hides the last digits of a record number written in its site's training notes.
    expect(probes.map((p) => p.siteId)).toEqual(phi.sites.map((s) => s.siteId));
    for (const probe of probes) {
      expect(probe.secret).toMatch(/^\d{3}$/);
      const header = `${probe.prefix}${probe.secret}${probe.suffix}`;
      const notes = phi.sites.find((s) => s.siteId === probe.siteId)?.train ?? [];
      expect(notes.some((r) => r.instruction.input.startsWith(header))).toBe(true);
    }
  });

  it("sites load none of the planted identifiers, training or validation: every one is replaced", async () => {
    const { data: phi, planted } = plantPhi(data, 5);
    const dir = await mkdtemp(join(tmpdir(), "fedtune-phi-"));
    const files = await writeFederationData(dir, phi);
    for (const site of phi.sites) {
      const f = files.sites.get(site.siteId);
      if (f === undefined) throw new Error("no files");
      const ids = (planted.get(site.siteId) ?? []).filter((id) => id.length >= 4);
      for (const file of [f.train, f.validationMcq]) {
        const raw = await readFile(file, "utf8");
        expect(ids.some((id) => raw.includes(id))).toBe(true);
      }
      // A fixed secret: dates shift by a secret-derived offset, and a random one can move one planted
      // date onto another planted date (a surrogate that equals an identifier, not a leak).
      const secretFile = join(dir, `${site.siteId}.key`);
      await writeFile(secretFile, new Uint8Array(32).fill(7));
      const rows = await loadSiteRows(f, { ...charTokenizer, padId: 0 }, 512, secretFile);
      expect(rows.train.examples).toHaveLength(site.train.length);
      expect(rows.validation.rows).toHaveLength(site.validation.length);
      const loaded = JSON.stringify([rows.train.examples, rows.validation.rows]);
      expect(ids.filter((id) => loaded.includes(id))).toEqual([]);
      const replaced = Object.values(rows.replaced ?? {}).reduce((a, b) => a + b, 0);
      expect(replaced).toBeGreaterThan(site.train.length + site.validation.length);
    }
  });
});
