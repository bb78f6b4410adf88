// Where an admin command finds its coordinator address, CA, certificate and key: flags, then environment, then an admin kit.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { ParsedArgs } from "./command.ts";
import { UsageError } from "./command.ts";
import { KIT_FILE, kitManifestSchema } from "../coordinator/pki/index.ts";

export const ADMIN_ENV = {
  coordinator: "FEDTUNE_COORDINATOR",
  ca: "FEDTUNE_CA_CERT",
  cert: "FEDTUNE_ADMIN_CERT",
  key: "FEDTUNE_ADMIN_KEY",
  kit: "FEDTUNE_ADMIN_KIT",
} as const;

export interface AdminConnectionSettings {
  readonly coordinator: string;
  readonly caPath: string;
  readonly certPath: string;
  readonly keyPath: string;
}

const DEFAULTS = { coordinator: "127.0.0.1:50051", ca: "pki/ca.cert.pem" } as const;

/** Reads kit.json from a kit folder (or the file itself); its paths are relative to the kit. */
function readKit(path: string): Partial<Record<"coordinator" | "ca" | "cert" | "key", string>> {
  const file = path.endsWith(".json") ? path : join(path, KIT_FILE);
  if (!existsSync(file)) throw new UsageError(`no admin kit at ${file}`);
  const parsed = kitManifestSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
  if (!parsed.success || parsed.data.role !== "admin") {
    throw new UsageError(`${file} is not an admin kit written by \`fedtune pki sign\``);
  }
  const base = dirname(resolve(file));
  return {
    coordinator: parsed.data.coordinator,
    ca: join(base, parsed.data.caCert),
    cert: join(base, parsed.data.cert),
    key: join(base, parsed.data.key),
  };
}

/** Flags win over environment variables, which win over the kit (--kit or FEDTUNE_ADMIN_KIT). */
export function resolveAdminConnection(
  args: ParsedArgs,
  env: NodeJS.ProcessEnv = process.env,
): AdminConnectionSettings {
  const kitPath = args.string("kit") ?? env[ADMIN_ENV.kit];
  const kit = kitPath === undefined ? {} : readKit(kitPath);
  const pick = (key: "coordinator" | "ca" | "cert" | "key"): string | undefined =>
    args.string(key) ?? env[ADMIN_ENV[key]] ?? kit[key];
  const certPath = pick("cert");
  const keyPath = pick("key");
  if (certPath === undefined || keyPath === undefined) {
    throw new UsageError(
      `an admin certificate and key are required: --cert/--key, ${ADMIN_ENV.cert}/${ADMIN_ENV.key}, or --kit`,
    );
  }
  return {
    coordinator: pick("coordinator") ?? DEFAULTS.coordinator,
    caPath: pick("ca") ?? DEFAULTS.ca,
    certPath,
    keyPath,
  };
}
