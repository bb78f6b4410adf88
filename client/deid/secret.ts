// The site's de-identification secret: 32 random bytes kept in the state folder, made on first use, never sent anywhere.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export const DEID_SECRET_FILE = "deid-secret.key";

/** Reads the secret at `path`, or creates it (mode 0600) when absent. */
export function loadOrCreateDeidSecret(path: string): Uint8Array {
  if (existsSync(path)) {
    const secret = readFileSync(path);
    if (secret.length !== 32)
      throw new RangeError(`${path}: a de-identification secret is 32 bytes, found ${secret.length}`);
    return secret;
  }
  mkdirSync(dirname(path), { recursive: true });
  const secret = randomBytes(32);
  writeFileSync(path, secret, { mode: 0o600, flag: "wx" });
  return secret;
}
