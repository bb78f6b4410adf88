// The run's own consortium PKI, generated into the output folder: a CA, the coordinator, one identity per site, an admin.
import { initPki, issueIdentity, pkiPaths } from "../coordinator/pki/index.ts";

export interface IdentityFiles {
  readonly cert: string;
  readonly key: string;
}

export interface RunPki {
  readonly dir: string;
  readonly caCert: string;
  readonly coordinator: IdentityFiles;
  readonly admin: IdentityFiles;
  readonly sites: ReadonlyMap<string, IdentityFiles>;
}

/** The coordinator's identity name in the run's PKI. */
export const COORDINATOR_NAME = "coordinator";

/** Creates a fresh CA in `dir` and issues every identity the run needs (loopback host names on the coordinator's). */
export async function createRunPki(dir: string, siteIds: readonly string[]): Promise<RunPki> {
  await initPki(dir, { commonName: "fedtune simulation CA" });
  const coordinator = await issueIdentity(dir, {
    role: "coordinator",
    name: COORDINATOR_NAME,
    hosts: ["localhost", "127.0.0.1"],
  });
  const admin = await issueIdentity(dir, { role: "admin", name: "sim-admin" });
  const sites = new Map<string, IdentityFiles>();
  for (const siteId of siteIds) {
    const issued = await issueIdentity(dir, { role: "site", name: siteId });
    sites.set(siteId, { cert: issued.certPath, key: issued.keyPath });
  }
  return {
    dir,
    caCert: pkiPaths(dir).caCert,
    coordinator: { cert: coordinator.certPath, key: coordinator.keyPath },
    admin: { cert: admin.certPath, key: admin.keyPath },
    sites,
  };
}
