// Synthetic hospitals: profiles that differ as real ones do, non-IID label mixes, per-site splits and a global test set.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { seededRng } from "../crypto/rng.ts";
import type { Rng, RngSeed } from "../crypto/rng.ts";
import { CONDITIONS } from "./clinical/conditions.ts";
import type { Category } from "./clinical/conditions.ts";
import { toInstructionRow, toMcqRow } from "./clinical/rows.ts";
import type { InstructionRow, McqRow } from "./clinical/rows.ts";
import { chance, dirichlet, pick, standardNormal, weightedIndex } from "./clinical/sampling.ts";
import { NOTE_STYLES, generateVignette, renderNote } from "./clinical/vignette.ts";
import type { NoteStyle } from "./clinical/vignette.ts";

/** What kind of hospital a site is: its case mix, size, house note style and data quality. */
export interface HospitalProfile {
  readonly kind: string;
  readonly displayName: string;
  /** Relative case-mix weight per category; categories not listed weigh 1. */
  readonly specialty: Readonly<Partial<Record<Category, number>>>;
  /** Relative number of records (1 = the run's examplesPerSite). */
  readonly size: number;
  readonly styles: Readonly<Record<NoteStyle, number>>;
  /** Share of known phrases its clinicians abbreviate (0–1). */
  readonly abbreviationRate: number;
  /** Probability that a training record carries a wrong diagnosis (coding errors). */
  readonly labelNoise: number;
}

/** The profiles in the order sites take them; a run with more sites cycles through the list. */
export const HOSPITAL_PROFILES: readonly HospitalProfile[] = [
  {
    kind: "general",
    displayName: "General hospital",
    specialty: { tropical: 0.3, obstetric: 0.6 },
    size: 1.5,
    styles: { narrative: 0.5, soap: 0.3, triage: 0.2 },
    abbreviationRate: 0.3,
    labelNoise: 0.03,
  },
  {
    kind: "childrens",
    displayName: "Children's hospital",
    specialty: {
      paediatric: 12,
      infectious: 1.5,
      respiratory: 1.2,
      cardiac: 0.05,
      oncology: 0.4,
      obstetric: 0,
      musculoskeletal: 0.2,
    },
    size: 1.0,
    styles: { narrative: 0.6, soap: 0.3, triage: 0.1 },
    abbreviationRate: 0.2,
    labelNoise: 0.02,
  },
  {
    kind: "cardiac",
    displayName: "Cardiac centre",
    specialty: {
      cardiac: 14,
      respiratory: 1.5,
      haematology: 1.2,
      paediatric: 0.05,
      obstetric: 0,
      tropical: 0.05,
    },
    size: 0.8,
    styles: { narrative: 0.2, soap: 0.6, triage: 0.2 },
    abbreviationRate: 0.6,
    labelNoise: 0.02,
  },
  {
    kind: "rural",
    displayName: "Rural clinic",
    specialty: { infectious: 2, musculoskeletal: 1.5, oncology: 0.2, cardiac: 0.6, neuro: 0.5 },
    size: 0.45,
    styles: { narrative: 0.1, soap: 0.2, triage: 0.7 },
    abbreviationRate: 0.8,
    labelNoise: 0.08,
  },
  {
    kind: "oncology",
    displayName: "Oncology centre",
    specialty: {
      oncology: 14,
      haematology: 2,
      infectious: 0.6,
      paediatric: 0.1,
      obstetric: 0,
      tropical: 0.05,
    },
    size: 0.8,
    styles: { narrative: 0.5, soap: 0.4, triage: 0.1 },
    abbreviationRate: 0.4,
    labelNoise: 0.02,
  },
  {
    kind: "tropical",
    displayName: "Infectious-disease and tropical unit",
    specialty: { tropical: 14, infectious: 4, cardiac: 0.1, oncology: 0.1, endocrine: 0.2 },
    size: 0.7,
    styles: { narrative: 0.3, soap: 0.3, triage: 0.4 },
    abbreviationRate: 0.5,
    labelNoise: 0.04,
  },
  {
    kind: "womens",
    displayName: "Women's hospital",
    specialty: {
      obstetric: 16,
      haematology: 2,
      endocrine: 1.5,
      infectious: 1.2,
      cardiac: 0.2,
      paediatric: 0.1,
    },
    size: 0.7,
    styles: { narrative: 0.4, soap: 0.5, triage: 0.1 },
    abbreviationRate: 0.3,
    labelNoise: 0.02,
  },
  {
    kind: "geriatric",
    displayName: "Geriatric centre",
    specialty: {
      musculoskeletal: 4,
      cardiac: 2.5,
      renal: 3,
      neuro: 2.5,
      paediatric: 0,
      obstetric: 0,
      tropical: 0.05,
    },
    size: 1.0,
    styles: { narrative: 0.3, soap: 0.3, triage: 0.4 },
    abbreviationRate: 0.5,
    labelNoise: 0.05,
  },
];

/** One record as a site holds it. `label` may be wrong (label noise); `trueLabel` never is. */
export interface PatientRecord {
  readonly conditionId: string;
  readonly label: string;
  readonly trueLabel: string;
  readonly style: NoteStyle;
  readonly instruction: InstructionRow;
  readonly mcq: McqRow;
}

export interface SiteData {
  /** e.g. "site-03-rural". */
  readonly siteId: string;
  readonly profile: HospitalProfile;
  /** Probability of each condition (CONDITIONS order) at this site. */
  readonly labelDistribution: readonly number[];
  readonly train: readonly PatientRecord[];
  readonly validation: readonly PatientRecord[];
}

export interface FederationData {
  readonly sites: readonly SiteData[];
  /** Held out from every site: conditions in equal shares, note styles from every house. */
  readonly test: readonly PatientRecord[];
}

export interface FederationDataOptions {
  readonly seed: RngSeed;
  readonly sites: number;
  /**
   * Dirichlet concentration α: each site's label mix is Dirichlet(α·K·q) around its profile's
   * specialty mix q (K conditions). Large α keeps every site near its specialty; small α makes
   * sites see a few conditions only (Hsu et al. 2019, "Measuring the effects of non-identical
   * data distribution", arXiv:1909.06335).
   */
  readonly concentration: number;
  /** Records per site for a size-1 profile, before the validation split. */
  readonly examplesPerSite: number;
  readonly validationFraction: number;
  /** Upper bound on a site's validation records (they are scored every round, at the site). */
  readonly maxValidationPerSite?: number;
  /** Test records per condition. */
  readonly testPerCondition: number;
  /** Share of questions whose distractors share the true condition's category (the hard ones). */
  readonly hardQuestionRate?: number;
  /** Multiplies every profile's label-noise rate (0 turns noise off). */
  readonly labelNoiseScale?: number;
}

/** A profile's expected mix over CONDITIONS: its category weights, normalised. */
export function specialtyMix(profile: HospitalProfile): number[] {
  const w = CONDITIONS.map((c) => profile.specialty[c.category] ?? 1);
  const total = w.reduce((s, x) => s + x, 0);
  return w.map((x) => x / total);
}

function profileStyle(rng: Rng, profile: HospitalProfile): NoteStyle {
  return (
    NOTE_STYLES[
      weightedIndex(
        rng,
        NOTE_STYLES.map((s) => profile.styles[s]),
      )
    ] ?? "narrative"
  );
}

function makeRecord(
  rng: Rng,
  conditionIndex: number,
  profile: HospitalProfile,
  noise: number,
  hardQuestionRate: number,
): PatientRecord {
  const condition = CONDITIONS[conditionIndex];
  if (condition === undefined) throw new RangeError(`condition index ${conditionIndex} out of range`);
  const style = profileStyle(rng, profile);
  const note = renderNote(rng, generateVignette(rng, condition), style, {
    abbreviationRate: profile.abbreviationRate,
  });
  const label = chance(rng, noise)
    ? pick(
        rng,
        CONDITIONS.filter((c) => c.id !== condition.id),
      ).name
    : condition.name;
  return {
    conditionId: condition.id,
    label,
    trueLabel: condition.name,
    style,
    instruction: toInstructionRow(note, label),
    mcq: toMcqRow(rng, note, condition.id, label, hardQuestionRate),
  };
}

function siteId(index: number, profile: HospitalProfile): string {
  return `site-${String(index + 1).padStart(2, "0")}-${profile.kind}`;
}

/**
 * Generates every site's records and the global test set. Each site draws from its own
 * stream (seed/site/i), so adding a site leaves the others unchanged.
 */
export function generateFederationData(options: FederationDataOptions): FederationData {
  if (!Number.isInteger(options.sites) || options.sites < 1)
    throw new RangeError(`sites must be ≥ 1, got ${options.sites}`);
  if (!(options.concentration > 0))
    throw new RangeError(`concentration must be > 0, got ${options.concentration}`);
  if (!(options.validationFraction >= 0 && options.validationFraction < 1))
    throw new RangeError(`validationFraction must be in [0, 1), got ${options.validationFraction}`);
  const base = String(options.seed);
  const noiseScale = options.labelNoiseScale ?? 1;
  const hardRate = options.hardQuestionRate ?? 0.5;
  const sites: SiteData[] = [];
  for (let i = 0; i < options.sites; i++) {
    const profile = HOSPITAL_PROFILES[i % HOSPITAL_PROFILES.length] as HospitalProfile;
    const rng = seededRng(`${base}/site/${i}`);
    const mix = specialtyMix(profile);
    const labelDistribution = dirichlet(
      rng,
      mix.map((q) => Math.max(options.concentration * mix.length * q, 1e-3)),
    );
    // Sizes vary around the profile's by a log-normal factor (σ = 0.25), as hospitals of a kind do.
    const count = Math.max(
      8,
      Math.round(options.examplesPerSite * profile.size * Math.exp(0.25 * standardNormal(rng))),
    );
    const nValidation = Math.min(
      options.maxValidationPerSite ?? Number.POSITIVE_INFINITY,
      Math.max(2, Math.round(count * options.validationFraction)),
    );
    const records: PatientRecord[] = [];
    for (let j = 0; j < count; j++) {
      const isTrain = j >= nValidation;
      records.push(
        makeRecord(
          rng,
          weightedIndex(rng, labelDistribution),
          profile,
          isTrain ? profile.labelNoise * noiseScale : 0,
          hardRate,
        ),
      );
    }
    sites.push({
      siteId: siteId(i, profile),
      profile,
      labelDistribution,
      validation: records.slice(0, nValidation),
      train: records.slice(nValidation),
    });
  }
  const testRng = seededRng(`${base}/test`);
  const test: PatientRecord[] = [];
  for (let c = 0; c < CONDITIONS.length; c++) {
    for (let j = 0; j < options.testPerCondition; j++) {
      test.push(makeRecord(testRng, c, pick(testRng, HOSPITAL_PROFILES), 0, hardRate));
    }
  }
  return { sites, test };
}

/**
 * More records from one site's own distribution (its profile, label mix and training label noise)
 * from a stream of their own, so that the site's records are unchanged: rows that no one trains on,
 * for the membership-inference probe (sim/leakage/membership.ts).
 */
export function heldOutRecords(
  site: SiteData,
  count: number,
  options: Pick<FederationDataOptions, "seed" | "labelNoiseScale" | "hardQuestionRate">,
): PatientRecord[] {
  const rng = seededRng(`${String(options.seed)}/held-out/${site.siteId}`);
  const noise = site.profile.labelNoise * (options.labelNoiseScale ?? 1);
  return Array.from({ length: count }, () =>
    makeRecord(
      rng,
      weightedIndex(rng, site.labelDistribution),
      site.profile,
      noise,
      options.hardQuestionRate ?? 0.5,
    ),
  );
}

/** Where a site's files live under the run's data folder. */
export interface SiteFiles {
  readonly dir: string;
  readonly train: string;
  readonly trainMcq: string;
  readonly validation: string;
  readonly validationMcq: string;
}

export interface FederationFiles {
  readonly sites: ReadonlyMap<string, SiteFiles>;
  readonly test: string;
  readonly testMcq: string;
}

function jsonl(rows: readonly unknown[]): string {
  return rows.map((r) => JSON.stringify(r)).join("\n") + (rows.length > 0 ? "\n" : "");
}

/**
 * Writes <dir>/<siteId>/{train,train-mcq,validation,validation-mcq}.jsonl for every site and
 * <dir>/test/{test,test-mcq}.jsonl, plus each site's profile.json (label mix, sizes).
 */
export async function writeFederationData(dir: string, data: FederationData): Promise<FederationFiles> {
  const sites = new Map<string, SiteFiles>();
  for (const site of data.sites) {
    const siteDir = join(dir, site.siteId);
    await mkdir(siteDir, { recursive: true });
    const files: SiteFiles = {
      dir: siteDir,
      train: join(siteDir, "train.jsonl"),
      trainMcq: join(siteDir, "train-mcq.jsonl"),
      validation: join(siteDir, "validation.jsonl"),
      validationMcq: join(siteDir, "validation-mcq.jsonl"),
    };
    await writeFile(files.train, jsonl(site.train.map((r) => r.instruction)));
    await writeFile(files.trainMcq, jsonl(site.train.map((r) => r.mcq)));
    await writeFile(files.validation, jsonl(site.validation.map((r) => r.instruction)));
    await writeFile(files.validationMcq, jsonl(site.validation.map((r) => r.mcq)));
    const profile = {
      siteId: site.siteId,
      kind: site.profile.kind,
      displayName: site.profile.displayName,
      trainRecords: site.train.length,
      validationRecords: site.validation.length,
      labelDistribution: Object.fromEntries(
        CONDITIONS.map((c, k) => [c.name, Number((site.labelDistribution[k] ?? 0).toFixed(4))]),
      ),
    };
    await writeFile(join(siteDir, "profile.json"), JSON.stringify(profile, null, 2) + "\n");
    sites.set(site.siteId, files);
  }
  const testDir = join(dir, "test");
  await mkdir(testDir, { recursive: true });
  const test = join(testDir, "test.jsonl");
  const testMcq = join(testDir, "test-mcq.jsonl");
  await writeFile(test, jsonl(data.test.map((r) => r.instruction)));
  await writeFile(testMcq, jsonl(data.test.map((r) => r.mcq)));
  return { sites, test, testMcq };
}

/**
 * Mean total-variation distance between each site's label mix and the federation's average
 * mix: 0 for identical sites, near 1 when sites share no conditions.
 */
export function labelSkew(data: FederationData): number {
  const k = CONDITIONS.length;
  const mean = new Array<number>(k).fill(0);
  for (const s of data.sites)
    for (let j = 0; j < k; j++) mean[j] = (mean[j] ?? 0) + (s.labelDistribution[j] ?? 0) / data.sites.length;
  let total = 0;
  for (const s of data.sites) {
    let tv = 0;
    for (let j = 0; j < k; j++) tv += Math.abs((s.labelDistribution[j] ?? 0) - (mean[j] ?? 0));
    total += tv / 2;
  }
  return total / data.sites.length;
}
