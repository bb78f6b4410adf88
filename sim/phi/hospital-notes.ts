// `fedtune sim --phi`: the simulated hospitals' training notes carry identifiers, as real notes do; the sites scrub them at load.
import { seededRng } from "../../crypto/rng.ts";
import type { RngSeed } from "../../crypto/rng.ts";
import { DIAGNOSIS_INSTRUCTION } from "../clinical/rows.ts";
import type { FederationData, PatientRecord } from "../hospitals.ts";
import type { LabelledNote } from "./builder.ts";
import { phiAround } from "./notes.ts";

/** The identifiers planted in each site's records, as written (for checking the trained model). */
export type PlantedIdentifiers = ReadonlyMap<string, readonly string[]>;

function identifiersOf(note: LabelledNote): string[] {
  return note.spans.map((s) => note.text.slice(s.start, s.end));
}

/**
 * Wraps every training record's note in identifiers (header, contact and record sentences,
 * signature): the instruction row's input and the multiple-choice question get the same ones.
 * Each site draws from its own stream (seed/phi/siteId), so the clinical content and every other
 * draw of the run stay as they are; validation and test records are left without identifiers.
 */
export function plantPhi(
  data: FederationData,
  seed: RngSeed,
): { data: FederationData; planted: PlantedIdentifiers } {
  const planted = new Map<string, string[]>();
  const sites = data.sites.map((site) => {
    const rng = seededRng(`${String(seed)}/phi/${site.siteId}`);
    const identifiers: string[] = [];
    const train = site.train.map((record): PatientRecord => {
      const { before, after } = phiAround(rng);
      identifiers.push(...identifiersOf(before), ...identifiersOf(after));
      const note = record.instruction.input;
      const wrapped = `${before.text}${note}${after.text}`;
      return {
        ...record,
        instruction: { ...record.instruction, input: wrapped },
        mcq: { ...record.mcq, question: `${wrapped}\n${DIAGNOSIS_INSTRUCTION}` },
      };
    });
    planted.set(site.siteId, identifiers);
    return { ...site, train };
  });
  return { data: { ...data, sites }, planted };
}
