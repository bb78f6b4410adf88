// `fedtune sim --phi`: the simulated hospitals' notes carry identifiers, as real notes do; the sites scrub them at load.
import { seededRng } from "../../crypto/rng.ts";
import type { Rng, RngSeed } from "../../crypto/rng.ts";
import { DIAGNOSIS_INSTRUCTION } from "../clinical/rows.ts";
import type { FederationData, PatientRecord } from "../hospitals.ts";
import type { SecretInContext } from "../leakage/secret-rank.ts";
import type { LabelledNote } from "./builder.ts";
import { phiAround } from "./notes.ts";

/** The identifiers planted in each site's records, as written (for checking the trained model). */
export type PlantedIdentifiers = ReadonlyMap<string, readonly string[]>;

/**
 * A record number planted in a site's training note: its last digits are the secret, the note's
 * header around them the context (sim/phi/identifier-rank.ts ranks them under the global adapter).
 */
export interface IdentifierProbe extends SecretInContext {
  readonly siteId: string;
}

/** Digits of a record number the probe hides: 1 000 candidates, few enough to rank exactly. */
export const PROBE_DIGITS = 3;

export interface PlantedPhi {
  readonly data: FederationData;
  readonly planted: PlantedIdentifiers;
  /** One per site: its first training record whose header's record number ends in digits. */
  readonly probes: readonly IdentifierProbe[];
}

function identifiersOf(note: LabelledNote): string[] {
  return note.spans.map((s) => note.text.slice(s.start, s.end));
}

/** The header's record number as a probe: context up to its last digits, and the rest of its line. */
function probeOf(siteId: string, header: LabelledNote): IdentifierProbe | undefined {
  const span = header.spans.find((s) => s.kind === "id");
  if (span === undefined) return undefined;
  const value = header.text.slice(span.start, span.end);
  if (!new RegExp(`\\d{${PROBE_DIGITS}}$`).test(value)) return undefined;
  const lineEnd = header.text.indexOf("\n", span.end);
  return {
    siteId,
    prefix: header.text.slice(0, span.end - PROBE_DIGITS),
    secret: value.slice(-PROBE_DIGITS),
    suffix: header.text.slice(span.end, lineEnd < 0 ? undefined : lineEnd),
  };
}

/** The record with its note wrapped in identifiers: the instruction row's input and the question alike. */
function wrapRecord(
  rng: Rng,
  record: PatientRecord,
): { record: PatientRecord; before: LabelledNote; ids: string[] } {
  const { before, after } = phiAround(rng);
  const wrapped = `${before.text}${record.instruction.input}${after.text}`;
  return {
    record: {
      ...record,
      instruction: { ...record.instruction, input: wrapped },
      mcq: { ...record.mcq, question: `${wrapped}\n${DIAGNOSIS_INSTRUCTION}` },
    },
    before,
    ids: [...identifiersOf(before), ...identifiersOf(after)],
  };
}

/**
 * Wraps every site record's note (training and validation: a site's notes all carry identifiers)
 * in a header, contact and record sentences, and a signature. Each site draws from its own stream
 * (seed/phi/siteId), so the clinical content and every other draw of the run stay as they are. The
 * global test set is the simulation's own, scored centrally, and stays without identifiers.
 */
export function plantPhi(data: FederationData, seed: RngSeed): PlantedPhi {
  const planted = new Map<string, string[]>();
  const probes: IdentifierProbe[] = [];
  const sites = data.sites.map((site) => {
    const rng = seededRng(`${String(seed)}/phi/${site.siteId}`);
    const identifiers: string[] = [];
    let probe: IdentifierProbe | undefined;
    const plant = (record: PatientRecord): ReturnType<typeof wrapRecord> => {
      const wrapped = wrapRecord(rng, record);
      identifiers.push(...wrapped.ids);
      return wrapped;
    };
    const train = site.train.map((record) => {
      const wrapped = plant(record);
      probe ??= probeOf(site.siteId, wrapped.before);
      return wrapped.record;
    });
    const validation = site.validation.map((record) => plant(record).record);
    planted.set(site.siteId, identifiers);
    if (probe !== undefined) probes.push(probe);
    return { ...site, train, validation };
  });
  return { data: { ...data, sites }, planted, probes };
}
