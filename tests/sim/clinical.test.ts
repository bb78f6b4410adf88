// The conditions table, vignettes, rows and pretraining corpus: coverage, validity for the engine's loader, determinism.
import { describe, expect, it } from "vitest";
import { parseJsonl } from "../../client/data/load-jsonl.ts";
import { seededRng } from "../../crypto/rng.ts";
import { LABS } from "../../sim/clinical/catalogue.ts";
import { CONDITIONS, LABELS, parseConditions } from "../../sim/clinical/conditions.ts";
import { generatePretrainingCorpus } from "../../sim/clinical/corpus.ts";
import { toInstructionRow, toMcqRow } from "../../sim/clinical/rows.ts";
import { dirichlet, gamma } from "../../sim/clinical/sampling.ts";
import { NOTE_STYLES, abbreviate, generateVignette, renderNote } from "../../sim/clinical/vignette.ts";

describe("conditions table", () => {
  it("has at least 40 conditions with unique ids and labels across many specialties", () => {
    expect(CONDITIONS.length).toBeGreaterThanOrEqual(40);
    expect(new Set(CONDITIONS.map((c) => c.id)).size).toBe(CONDITIONS.length);
    expect(new Set(LABELS).size).toBe(CONDITIONS.length);
    const categories = new Set(CONDITIONS.map((c) => c.category));
    for (const c of ["paediatric", "cardiac", "oncology", "infectious", "tropical", "obstetric"] as const) {
      expect(categories.has(c)).toBe(true);
    }
  });

  it("gives every condition two core symptoms, exam findings, treatments and ordered ranges", () => {
    for (const c of CONDITIONS) {
      expect(c.symptoms.length, c.id).toBeGreaterThanOrEqual(2);
      expect(c.exam.length, c.id).toBeGreaterThanOrEqual(1);
      expect(c.treatments.length, c.id).toBeGreaterThanOrEqual(1);
      expect(c.investigations.length, c.id).toBeGreaterThanOrEqual(1);
      expect(c.age[0], c.id).toBeLessThan(c.age[1]);
      for (const [lab, range] of Object.entries(c.labs)) {
        expect(LABS[lab as keyof typeof LABS], `${c.id}.${lab}`).toBeDefined();
        expect(range[0], `${c.id}.${lab}`).toBeLessThanOrEqual(range[1]);
      }
    }
  });

  it("refuses a table row with a bad field, an unknown key or a duplicate id", () => {
    const first = CONDITIONS[0]!;
    expect(parseConditions([first, CONDITIONS[1]])).toEqual([first, CONDITIONS[1]]);
    const bad: readonly [string, unknown][] = [
      ["range", { ...first, age: [80, 40] }],
      ["lab", { ...first, labs: { notALab: [1, 2] } }],
      ["category", { ...first, category: "astrology" }],
      ["key", { ...first, severity: "high" }],
      ["symptoms", { ...first, symptoms: ["cough"] }],
    ];
    for (const [what, row] of bad) expect(() => parseConditions([row]), what).toThrow();
    expect(() => parseConditions([first, { ...CONDITIONS[1]!, id: first.id }])).toThrow(
      /duplicate condition id/,
    );
  });
});

describe("vignettes and notes", () => {
  it("are identical for the same seed and differ for another", () => {
    const render = (seed: number): string[] => {
      const rng = seededRng(seed);
      return CONDITIONS.map((c, i) =>
        renderNote(rng, generateVignette(rng, c), NOTE_STYLES[i % 3] ?? "soap", { abbreviationRate: 0.5 }),
      );
    };
    expect(render(7)).toEqual(render(7));
    expect(render(7)).not.toEqual(render(8));
  });

  it("keep patients inside the condition's age range and never name the diagnosis", () => {
    const rng = seededRng("ages");
    for (const c of CONDITIONS) {
      for (let i = 0; i < 5; i++) {
        const v = generateVignette(rng, c);
        expect(v.ageYears).toBeGreaterThanOrEqual(c.age[0]);
        expect(v.ageYears).toBeLessThanOrEqual(c.age[1]);
        if (c.maleFraction === 0) expect(v.sex).toBe("female");
        for (const style of NOTE_STYLES) {
          const note = renderNote(rng, v, style, { abbreviationRate: 0 }).toLowerCase();
          expect(note.includes(c.name.toLowerCase()), `${c.id} ${style}: ${note}`).toBe(false);
        }
      }
    }
  });

  it("abbreviate whole words only", () => {
    expect(abbreviate(seededRng(1), "seen without pain, with fever; withdrawn", 1)).toBe(
      "seen w/o pain, w/ pyrexia; withdrawn",
    );
    expect(abbreviate(seededRng(1), "chest pain", 0)).toBe("chest pain");
  });
});

describe("rows", () => {
  it("load cleanly with the engine's JSONL loader, the MCQ answer pointing at the diagnosis", () => {
    const rng = seededRng("rows");
    const lines: string[] = [];
    for (const c of CONDITIONS) {
      const note = renderNote(rng, generateVignette(rng, c), "narrative", { abbreviationRate: 0.3 });
      lines.push(JSON.stringify(toInstructionRow(note, c.name)));
      const mcq = toMcqRow(rng, note, c.id, c.name);
      expect(new Set(mcq.options).size).toBe(4);
      expect(mcq.options[mcq.answer]).toBe(c.name);
      lines.push(JSON.stringify(mcq));
    }
    const parsed = parseJsonl(lines.join("\n"), "rows.jsonl", { strict: true });
    expect(parsed.invalid).toEqual([]);
    expect(parsed.examples.filter((e) => e.kind === "instruction")).toHaveLength(CONDITIONS.length);
    expect(parsed.examples.filter((e) => e.kind === "mcq")).toHaveLength(CONDITIONS.length);
  });
});

describe("pretraining corpus", () => {
  it("is deterministic, reaches the requested size and covers every condition's name", () => {
    const a = generatePretrainingCorpus(3, 200_000);
    expect(generatePretrainingCorpus(3, 200_000)).toEqual(a);
    expect(generatePretrainingCorpus(4, 200_000)).not.toEqual(a);
    const text = a.join("\n");
    expect(text.length).toBeGreaterThanOrEqual(200_000);
    expect(text.length).toBeLessThan(202_000);
    const mentioned = CONDITIONS.filter((c) => text.toLowerCase().includes(c.name.toLowerCase()));
    expect(mentioned.length).toBeGreaterThan(CONDITIONS.length * 0.9);
    expect(text).toContain("S: ");
    expect(text).toContain("Common abbreviations");
  });
});

describe("sampling", () => {
  it("draws Gamma(k) with mean k and Dirichlet vectors on the simplex", () => {
    const rng = seededRng("gamma");
    for (const shape of [0.3, 1, 4]) {
      let sum = 0;
      const n = 4000;
      for (let i = 0; i < n; i++) sum += gamma(rng, shape);
      expect(sum / n).toBeCloseTo(shape, 0);
    }
    const p = dirichlet(rng, [0.1, 0.1, 0.1, 0.1]);
    expect(p.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 12);
    expect(p.every((x) => x > 0)).toBe(true);
  });
});
