// `fedtune sim --emit k8s`: the simulated federation as Kubernetes manifests — its hospitals, PKI and configs, ready for kubectl apply.
import { randomBytes } from "node:crypto";
import { consortiumManifests, coordinatorHostNames } from "../deploy/manifests.ts";
import type { ConsortiumDeployment, ManifestObject } from "../deploy/manifests.ts";
import { writeManifests } from "../deploy/write.ts";
import { createCa, issueCertificate } from "../coordinator/pki/index.ts";
import { hashBaseModel } from "../model/model-dir.ts";
import { federationSettingsOf } from "./federation-config.ts";
import type { SimOptions } from "./options.ts";
import { generateSimData } from "./prepare.ts";

export interface EmitK8sOptions {
  readonly image: string;
  readonly storageSize: string;
}

const jsonl = (rows: readonly unknown[]): string => rows.map((row) => JSON.stringify(row)).join("\n") + "\n";

/** Prefix of the emitted objects' names. */
export const SIM_CONSORTIUM = "fedtune-sim";

/**
 * The deployment of a simulated federation: one coordinator and one site client per synthetic
 * hospital, each site with its own certificate (issued here by a fresh CA) and its records.
 */
export async function simulatedConsortium(
  options: SimOptions,
  emit: EmitK8sOptions,
): Promise<ConsortiumDeployment> {
  const data = generateSimData(options);
  const ca = await createCa({ commonName: "fedtune simulation CA" });
  const coordinator = await issueCertificate(ca, {
    role: "coordinator",
    name: "coordinator",
    hosts: coordinatorHostNames(SIM_CONSORTIUM),
  });
  const settings = federationSettingsOf(
    options,
    await hashBaseModel(options.model),
    Math.min(options.evaluateEvery, options.rounds),
  );
  return {
    name: SIM_CONSORTIUM,
    image: emit.image,
    // Pods may wait minutes for a node and an image pull before they join.
    federation: { ...settings, deadlines: { ...settings.deadlines, joinMs: 900_000 } },
    coordinatorTls: { caPem: ca.certPem, certPem: coordinator.certPem, keyPem: coordinator.keyPem },
    statusToken: randomBytes(32).toString("hex"),
    storageSize: emit.storageSize,
    sites: await Promise.all(
      data.sites.map(async (site) => {
        const issued = await issueCertificate(ca, { role: "site", name: site.siteId });
        return {
          siteId: site.siteId,
          tls: { caPem: ca.certPem, certPem: issued.certPem, keyPem: issued.keyPem },
          settings: { baseModel: options.model },
          data: {
            train: jsonl(site.train.map((r) => (options.trainFormat === "mcq" ? r.mcq : r.instruction))),
            validation: jsonl(site.validation.map((r) => r.mcq)),
          },
        };
      }),
    ),
  };
}

/** Builds, validates and writes the manifests into `dir`; returns the objects and the files. */
export async function emitK8s(
  options: SimOptions,
  emit: EmitK8sOptions,
  dir: string,
): Promise<{ readonly objects: ManifestObject[]; readonly files: string[] }> {
  const objects = consortiumManifests(await simulatedConsortium(options, emit));
  return { objects, files: await writeManifests(dir, objects) };
}
