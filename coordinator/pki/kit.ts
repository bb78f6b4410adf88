// Provisioning kits: what the operator hands a site or an admin after signing its CSR (no private key inside).
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { stringify } from "yaml";
import { writeFileAtomic } from "../../durable/atomic-file.ts";
import { IDENTITY_NAME_PATTERN, PkiError, ROLES } from "../../crypto/pki/identity.ts";
import type { Role } from "../../crypto/pki/identity.ts";

export const KIT_FILE = "kit.json";
export const KIT_CA_CERT = "ca.cert.pem";

/** kit.json: names the files next to it; the key is the one `fedtune pki request` left in the same folder. */
export const kitManifestSchema = z.strictObject({
  version: z.literal(1),
  name: z.string().regex(IDENTITY_NAME_PATTERN),
  role: z.enum(ROLES),
  coordinator: z.string().min(1),
  caCert: z.string().min(1),
  cert: z.string().min(1),
  key: z.string().min(1),
});
export type KitManifest = z.infer<typeof kitManifestSchema>;

export interface KitContents {
  readonly name: string;
  readonly role: Role;
  /** The coordinator's host:port, as sites and admins dial it. */
  readonly coordinator: string;
  readonly certPem: string;
  readonly caPem: string;
}

export interface WrittenKit {
  readonly dir: string;
  readonly files: readonly string[];
  /** One line that starts the site client, or shows the federation's status for an admin. */
  readonly startCommand: string;
}

/** The key file name `fedtune pki request` writes, and the kit's site.yaml and kit.json refer to. */
export function requestKeyFile(name: string): string {
  return `${name}.key.pem`;
}

export function requestCsrFile(name: string): string {
  return `${name}.csr.pem`;
}

function siteYaml(kit: KitContents, manifest: KitManifest): string {
  const header = [
    `# fedtune site config for ${kit.name}, written by \`fedtune pki sign\`.`,
    `# Keep ${manifest.key} (made by \`fedtune pki request\`) in this folder and point data.train at your JSONL rows.`,
    "# Every key is described in docs/configuration.md.",
  ];
  const body = {
    name: kit.name,
    coordinator: kit.coordinator,
    tls: { caCert: manifest.caCert, cert: manifest.cert, key: manifest.key },
    data: { train: "data/train.jsonl" },
    stateDir: "site-state",
  };
  return `${header.join("\n")}\n${stringify(body)}`;
}

/**
 * Writes a kit into `dir` (created; refused when it already holds a kit, so a renewal never
 * overwrites a kit a site may be reading): the certificate, the CA certificate, kit.json, and for a
 * site a filled-in site.yaml, plus START.txt with the one command to run.
 */
export function writeKit(dir: string, kit: KitContents): WrittenKit {
  if (existsSync(join(dir, KIT_FILE))) throw new PkiError("exists", `${dir} already holds a kit`);
  mkdirSync(dir, { recursive: true });
  const manifest: KitManifest = {
    version: 1,
    name: kit.name,
    role: kit.role,
    coordinator: kit.coordinator,
    caCert: KIT_CA_CERT,
    cert: `${kit.name}.cert.pem`,
    key: requestKeyFile(kit.name),
  };
  const files: [string, string][] = [
    [manifest.cert, kit.certPem],
    [manifest.caCert, kit.caPem],
    [KIT_FILE, `${JSON.stringify(manifest, null, 2)}\n`],
  ];
  const startCommand =
    kit.role === "site" ? "fedtune client start --config site.yaml" : "fedtune admin status --kit .";
  if (kit.role === "site") files.push(["site.yaml", siteYaml(kit, manifest)]);
  files.push(["START.txt", `${startCommand}\n`]);
  for (const [file, text] of files) writeFileAtomic(join(dir, file), text);
  return { dir, files: files.map(([file]) => join(dir, file)), startCommand };
}
