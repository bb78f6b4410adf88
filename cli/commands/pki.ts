// `fedtune pki init|issue|revoke|crl`: the consortium operator's certificate authority commands.
import type { Command, ParsedArgs } from "../command.ts";
import { UsageError } from "../command.ts";
import {
  CRL_VALIDITY_DAYS,
  initPki,
  issueCrl,
  issueIdentity,
  PkiError,
  pkiPaths,
  revoke,
  ROLES,
} from "../../coordinator/pki/index.ts";

export const DEFAULT_PKI_DIR = "pki";

/**
 * PKI refusals (name taken, nothing to revoke, no CA) depend on the folder's state: exit 1, nothing
 * written. A name outside the allowed alphabet is wrong whatever the state, so it is a usage error (exit 2).
 */
export async function reportPkiErrors(
  action: () => Promise<void>,
  ctx: Parameters<Command["run"]>[1],
): Promise<number> {
  try {
    await action();
    return 0;
  } catch (error) {
    if (error instanceof PkiError && error.code === "invalid-name") throw new UsageError(error.message);
    if (error instanceof PkiError) {
      ctx.logger.error({ code: error.code }, error.message);
      return 1;
    }
    throw error;
  }
}

export function readValidityDays(args: ParsedArgs, fallback: number): number {
  const validityDays = args.integer("validity-days", fallback);
  if (validityDays < 1) throw new UsageError("--validity-days must be at least 1");
  return validityDays;
}

export const pkiInitCommand: Command = {
  path: ["pki", "init"],
  summary: "Create the consortium certificate authority",
  details:
    "Writes ca.key.pem (mode 600; keep it offline) and ca.cert.pem. Refuses to overwrite an existing CA.",
  options: {
    out: { type: "string", description: "PKI folder to create", defaultText: DEFAULT_PKI_DIR },
    name: { type: "string", description: "Common name of the CA", defaultText: "fedtune consortium CA" },
    "validity-days": { type: "string", description: "CA lifetime in days", defaultText: "3650" },
  },
  async run(args, ctx) {
    const dir = args.string("out") ?? DEFAULT_PKI_DIR;
    const validityDays = readValidityDays(args, 3650);
    const commonName = args.string("name");
    return reportPkiErrors(async () => {
      await initPki(dir, { validityDays, ...(commonName === undefined ? {} : { commonName }) });
      const paths = pkiPaths(dir);
      ctx.print(JSON.stringify({ caCert: paths.caCert, caKey: paths.caKey }));
    }, ctx);
  },
};

export const pkiIssueCommand: Command = {
  path: ["pki", "issue"],
  summary: "Issue a key and certificate to a coordinator, site or admin",
  details:
    "Writes <name>.key.pem and <name>.cert.pem into the PKI folder. The role is bound into the " +
    "certificate (OU and the URI SAN fedtune://<role>/<name>); coordinator certificates carry " +
    "--hosts as DNS/IP SANs for TLS hostname checks.",
  options: {
    role: { type: "string", description: `One of ${ROLES.join(", ")}` },
    name: { type: "string", description: "Identity name (site id, coordinator or admin name)" },
    dir: { type: "string", description: "PKI folder holding the CA", defaultText: DEFAULT_PKI_DIR },
    hosts: {
      type: "string",
      description: "Comma-separated DNS names / IPs (coordinator only)",
      defaultText: "localhost,127.0.0.1",
    },
    "validity-days": { type: "string", description: "Certificate lifetime in days", defaultText: "365" },
  },
  async run(args, ctx) {
    const dir = args.string("dir") ?? DEFAULT_PKI_DIR;
    const roleText = args.requireString("role");
    const role = ROLES.find((candidate) => candidate === roleText);
    if (role === undefined)
      throw new UsageError(`--role must be one of ${ROLES.join(", ")}, got "${roleText}"`);
    const name = args.requireString("name");
    const hosts = args.list("hosts");
    if (hosts !== undefined && role !== "coordinator") {
      throw new UsageError("--hosts applies to coordinator certificates only");
    }
    const validityDays = readValidityDays(args, 365);
    return reportPkiErrors(async () => {
      const issued = await issueIdentity(dir, {
        role,
        name,
        validityDays,
        ...(hosts === undefined ? {} : { hosts }),
      });
      ctx.print(
        JSON.stringify({
          name: issued.name,
          role: issued.role,
          cert: issued.certPath,
          key: issued.keyPath,
          serialNumber: issued.serialNumber,
          fingerprint: issued.fingerprint,
          notAfter: issued.notAfter.toISOString(),
        }),
      );
    }, ctx);
  },
};

export const pkiRevokeCommand: Command = {
  path: ["pki", "revoke"],
  summary: "Revoke an identity's certificate",
  details:
    "Adds every unrevoked certificate of --name to revocations.json (a running coordinator reloads it " +
    "within a second, refuses the site's calls and drops it from the round in progress) and issues the next " +
    "CA-signed crl.pem (as `fedtune pki crl`).",
  options: {
    name: { type: "string", description: "Identity to revoke" },
    dir: { type: "string", description: "PKI folder holding the CA", defaultText: DEFAULT_PKI_DIR },
  },
  async run(args, ctx) {
    const dir = args.string("dir") ?? DEFAULT_PKI_DIR;
    const name = args.requireString("name");
    return reportPkiErrors(async () => {
      const added = await revoke(dir, name);
      for (const entry of added) ctx.print(JSON.stringify(entry));
    }, ctx);
  },
};

export const pkiCrlCommand: Command = {
  path: ["pki", "crl"],
  summary: "(Re)issue the CA-signed revocation list the coordinator relays to sites",
  details:
    "Writes crl.pem from revocations.json with the next CRL number, current for --validity-days. The " +
    "coordinator relays it to each site at Join; sites refuse a CRL past its nextUpdate or numbered below " +
    "the highest they have seen, so reissue it before it expires.",
  options: {
    dir: { type: "string", description: "PKI folder holding the CA", defaultText: DEFAULT_PKI_DIR },
    "validity-days": {
      type: "string",
      description: "Days until the CRL's nextUpdate",
      defaultText: String(CRL_VALIDITY_DAYS),
    },
  },
  async run(args, ctx) {
    const dir = args.string("dir") ?? DEFAULT_PKI_DIR;
    const validityDays = readValidityDays(args, CRL_VALIDITY_DAYS);
    return reportPkiErrors(async () => {
      const issued = await issueCrl(dir, { validityDays });
      ctx.print(
        JSON.stringify({
          crl: pkiPaths(dir).crl,
          crlNumber: issued.crlNumber,
          nextUpdate: issued.nextUpdate.toISOString(),
        }),
      );
    }, ctx);
  },
};
