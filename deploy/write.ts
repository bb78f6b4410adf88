// Writes manifests as YAML files for `kubectl apply -f <dir>`: one multi-document file per component.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import type { ManifestObject } from "./manifests.ts";

/** Groups objects by their app.kubernetes.io/name label; returns the files written, in order. */
export async function writeManifests(dir: string, objects: readonly ManifestObject[]): Promise<string[]> {
  const byComponent = new Map<string, ManifestObject[]>();
  for (const object of objects) {
    const component = object.metadata?.labels?.["app.kubernetes.io/name"] ?? "misc";
    byComponent.set(component, [...(byComponent.get(component) ?? []), object]);
  }
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (const [component, group] of byComponent) {
    const file = join(dir, `${component}.yaml`);
    await writeFile(file, group.map((object) => stringify(object.toJSON())).join("---\n"));
    files.push(file);
  }
  return files;
}
