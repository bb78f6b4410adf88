// `fedtune pki request|sign|renew`: a site or admin makes its own key; the operator certifies it and hands back a kit.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Command, CliContext, ParsedArgs } from "../command.ts";
import { UsageError } from "../command.ts";
import { writeFileAtomic } from "../../durable/atomic-file.ts";
import {
  createSigningRequest,
  loadCaCertificate,
  PkiError,
  readSigningRequest,
  renewIdentity,
  requestCsrFile,
  requestKeyFile,
  ROLES,
  signRequest,
  writeKit,
} from "../../coordinator/pki/index.ts";
import type { CertifiedFiles } from "../../coordinator/pki/index.ts";
import { DEFAULT_PKI_DIR, readValidityDays, reportPkiErrors } from "./pki.ts";

const DEFAULT_KITS_DIR = "kits";

const kitOptions = {
  dir: { type: "string", description: "PKI folder holding the CA", defaultText: DEFAULT_PKI_DIR },
  coordinator: { type: "string", description: "The coordinator's host:port, as sites dial it" },
  out: { type: "string", description: "Kit folder to create", defaultText: "kits/<name>" },
  "validity-days": { type: "string", description: "Certificate lifetime in days", defaultText: "365" },
} as const;

function writeKitFor(args: ParsedArgs, ctx: CliContext, cert: CertifiedFiles, defaultOut: string): void {
  const kit = writeKit(args.string("out") ?? defaultOut, {
    name: cert.name,
    role: cert.role,
    coordinator: args.requireString("coordinator"),
    certPem: cert.certPem,
    caPem: loadCaCertificate(args.string("dir") ?? DEFAULT_PKI_DIR),
  });
  ctx.print(
    JSON.stringify({
      name: cert.name,
      role: cert.role,
      kit: kit.dir,
      serialNumber: cert.serialNumber,
      notAfter: cert.notAfter.toISOString(),
      start: kit.startCommand,
    }),
  );
}

export const pkiRequestCommand: Command = {
  path: ["pki", "request"],
  summary: "Make this site's (or admin's) private key and a certificate signing request",
  details:
    "Run at the hospital. Writes <name>.key.pem (mode 600; it never leaves this machine) and " +
    "<name>.csr.pem, which you send to the operator for `fedtune pki sign`. Unpack the kit you get " +
    "back into the same folder.",
  options: {
    name: { type: "string", description: "Site (or admin) name" },
    role: { type: "string", description: "site or admin", defaultText: "site" },
    out: { type: "string", description: "Folder for the key and CSR", defaultText: "." },
  },
  async run(args, ctx) {
    const name = args.requireString("name");
    const roleText = args.string("role") ?? "site";
    const role = ROLES.find((candidate) => candidate === roleText);
    if (role === undefined)
      throw new UsageError(`--role must be one of ${ROLES.join(", ")}, got "${roleText}"`);
    const out = args.string("out") ?? ".";
    return reportPkiErrors(async () => {
      const request = await createSigningRequest(name, role);
      const keyPath = join(out, requestKeyFile(name));
      const csrPath = join(out, requestCsrFile(name));
      if (existsSync(keyPath))
        throw new PkiError("exists", `${keyPath} exists; a request never replaces a key`);
      mkdirSync(out, { recursive: true });
      writeFileAtomic(keyPath, request.keyPem, { mode: 0o600 });
      writeFileAtomic(csrPath, request.csrPem);
      ctx.print(JSON.stringify({ key: keyPath, csr: csrPath, next: `send ${csrPath} to the operator` }));
    }, ctx);
  },
};

export const pkiSignCommand: Command = {
  path: ["pki", "sign"],
  summary: "Sign a site's or admin's CSR and write its kit",
  details:
    "Reads the CSR (never a private key other than the CA's) and writes a kit: the certificate, the CA " +
    "certificate, kit.json, for a site a filled-in site.yaml, and START.txt with the command to run.",
  options: {
    csr: { type: "string", description: "The CSR made by `fedtune pki request`" },
    hosts: { type: "string", description: "Comma-separated DNS names / IPs (coordinator CSRs only)" },
    ...kitOptions,
  },
  async run(args, ctx) {
    const dir = args.string("dir") ?? DEFAULT_PKI_DIR;
    const csrPath = args.requireString("csr");
    args.requireString("coordinator");
    const validityDays = readValidityDays(args, 365);
    const hosts = args.list("hosts");
    return reportPkiErrors(async () => {
      if (!existsSync(csrPath)) throw new PkiError("not-found", `CSR not found at ${csrPath}`);
      const requested = await readSigningRequest(readFileSync(csrPath, "utf8"));
      if (hosts !== undefined && requested.role !== "coordinator") {
        throw new UsageError("--hosts applies to coordinator certificates only");
      }
      const cert = await signRequest(dir, requested, {
        validityDays,
        ...(hosts === undefined ? {} : { hosts }),
      });
      writeKitFor(args, ctx, cert, join(DEFAULT_KITS_DIR, cert.name));
    }, ctx);
  },
};

export const pkiRenewCommand: Command = {
  path: ["pki", "renew"],
  summary: "Certify an identity's key again for a new period and write a fresh kit",
  details:
    "Re-certifies the key of the newest unrevoked certificate of --name (same role and hosts); the " +
    "old certificate stays valid until it expires. The site copies the new certificate from the kit.",
  options: { name: { type: "string", description: "Identity to renew" }, ...kitOptions },
  async run(args, ctx) {
    const dir = args.string("dir") ?? DEFAULT_PKI_DIR;
    const name = args.requireString("name");
    args.requireString("coordinator");
    const validityDays = readValidityDays(args, 365);
    return reportPkiErrors(async () => {
      const cert = await renewIdentity(dir, name, { validityDays });
      const stamp = new Date().toISOString().slice(0, 10);
      writeKitFor(args, ctx, cert, join(DEFAULT_KITS_DIR, `${name}-renewed-${stamp}`));
    }, ctx);
  },
};
