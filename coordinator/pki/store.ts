// The PKI folder: CA, issued identities, the revocation list and CRL, as written by `fedtune pki`.
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { writeFileAtomic } from "../../durable/atomic-file.ts";
import { certifyPublicKey, createCa, createCrl, issueCertificate } from "./authority.ts";
import type {
  CertifiedKey,
  CreateCaOptions,
  IssuedCertificate,
  IssueRequest,
  KeyAndCertificate,
} from "./authority.ts";
import {
  checkIdentityName,
  IDENTITY_NAME_PATTERN,
  parsePeerIdentity,
  PkiError,
  ROLES,
} from "../../crypto/pki/identity.ts";
import type { Revocations } from "../../crypto/pki/identity.ts";
import { readCrlNumber } from "../../crypto/pki/crl.ts";
import { PemConverter, SubjectAlternativeNameExtension, X509Certificate } from "../../crypto/pki/x509.ts";
import type { PublicKey } from "../../crypto/pki/x509.ts";

const PRIVATE_FILE_MODE = 0o600;
const PRIVATE_DIR_MODE = 0o700;

export interface PkiPaths {
  readonly caCert: string;
  /** The CA signing key, alone in its own mode-700 folder: only issue, sign, renew and revoke read it. */
  readonly caKeyDir: string;
  readonly caKey: string;
  readonly issued: string;
  readonly revocations: string;
  readonly crl: string;
  readonly identityCert: (name: string) => string;
  readonly identityKey: (name: string) => string;
}

export function pkiPaths(dir: string): PkiPaths {
  return {
    caCert: join(dir, "ca.cert.pem"),
    caKeyDir: join(dir, "ca-key"),
    caKey: join(dir, "ca-key", "ca.key.pem"),
    issued: join(dir, "issued.json"),
    revocations: join(dir, "revocations.json"),
    crl: join(dir, "crl.pem"),
    identityCert: (name) => join(dir, `${name}.cert.pem`),
    identityKey: (name) => join(dir, `${name}.key.pem`),
  };
}

const issuedEntrySchema = z.object({
  name: z.string().regex(IDENTITY_NAME_PATTERN),
  role: z.enum(ROLES),
  serialNumber: z.string().regex(/^[0-9A-F]+$/),
  fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
  issuedAt: z.iso.datetime(),
  notAfter: z.iso.datetime(),
});
export type IssuedEntry = z.infer<typeof issuedEntrySchema>;
const issuedFileSchema = z.object({ version: z.literal(1), certificates: z.array(issuedEntrySchema) });

const revocationEntrySchema = z.object({
  name: z.string(),
  serialNumber: z.string().regex(/^[0-9A-F]+$/),
  fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
  revokedAt: z.iso.datetime(),
});
export type RevocationEntry = z.infer<typeof revocationEntrySchema>;
const revocationFileSchema = z.object({
  version: z.literal(1),
  revoked: z.array(revocationEntrySchema),
});

function readJson<T>(path: string, schema: z.ZodType<T>, fallback: T): T {
  if (!existsSync(path)) return fallback;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new PkiError("malformed", `${path}: not valid JSON (${(error as Error).message})`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new PkiError("malformed", `${path}: ${problems.join("; ")}`);
  }
  return parsed.data;
}

function readText(path: string, what: string): string {
  if (!existsSync(path)) throw new PkiError("not-found", `${what} not found at ${path}`);
  return readFileSync(path, "utf8");
}

export function listIssued(dir: string): IssuedEntry[] {
  return readJson(pkiPaths(dir).issued, issuedFileSchema, { version: 1, certificates: [] }).certificates;
}

export function listRevoked(dir: string): RevocationEntry[] {
  return readJson(pkiPaths(dir).revocations, revocationFileSchema, { version: 1, revoked: [] }).revoked;
}

/** Creates the CA in `dir`; refuses to overwrite an existing one (that would orphan every certificate). */
export async function initPki(dir: string, options: CreateCaOptions = {}): Promise<KeyAndCertificate> {
  const paths = pkiPaths(dir);
  if (existsSync(paths.caCert) || existsSync(paths.caKey)) {
    throw new PkiError("exists", `a CA already exists in ${dir}`);
  }
  mkdirSync(paths.caKeyDir, { recursive: true, mode: PRIVATE_DIR_MODE });
  chmodSync(paths.caKeyDir, PRIVATE_DIR_MODE);
  const ca = await createCa(options);
  writeFileAtomic(paths.caKey, ca.keyPem, { mode: PRIVATE_FILE_MODE });
  writeFileAtomic(paths.caCert, ca.certPem);
  return ca;
}

/** The CA certificate alone: what the coordinator and sites need to verify peers. */
export function loadCaCertificate(dir: string): string {
  return readText(pkiPaths(dir).caCert, "CA certificate");
}

/** The CA certificate and signing key: needed only to issue and revoke. */
function loadCa(dir: string): KeyAndCertificate {
  const paths = pkiPaths(dir);
  return { certPem: readText(paths.caCert, "CA certificate"), keyPem: readText(paths.caKey, "CA key") };
}

export interface IssuedFiles extends IssuedCertificate {
  readonly certPath: string;
  readonly keyPath: string;
}

export interface CertifiedFiles extends CertifiedKey {
  readonly certPath: string;
}

function activeCertificateOf(dir: string, name: string): IssuedEntry | undefined {
  const revokedSerials = new Set(listRevoked(dir).map((entry) => entry.serialNumber));
  return listIssued(dir)
    .filter((entry) => entry.name === name && !revokedSerials.has(entry.serialNumber))
    .at(-1);
}

/** A name that still holds an unrevoked certificate is refused, so an identity is never silently replaced. */
function refuseLiveName(dir: string, name: string): void {
  const active = activeCertificateOf(dir, name);
  if (active !== undefined) {
    throw new PkiError(
      "exists",
      `${name} already holds an unrevoked ${active.role} certificate; revoke it first`,
    );
  }
}

/** Writes `<name>.cert.pem` and appends the certificate to issued.json. */
function recordCertificate(dir: string, cert: CertifiedKey, now: Date): string {
  const paths = pkiPaths(dir);
  const certPath = paths.identityCert(cert.name);
  writeFileAtomic(certPath, cert.certPem);
  const entry: IssuedEntry = {
    name: cert.name,
    role: cert.role,
    serialNumber: cert.serialNumber,
    fingerprint: cert.fingerprint,
    issuedAt: now.toISOString(),
    notAfter: cert.notAfter.toISOString(),
  };
  writeFileAtomic(
    paths.issued,
    `${JSON.stringify({ version: 1, certificates: [...listIssued(dir), entry] }, null, 2)}\n`,
  );
  return certPath;
}

/**
 * Issues an identity, key included, and writes `<name>.key.pem` / `<name>.cert.pem` into the PKI
 * folder (the simulation and single-machine tests; real sites use {@link signRequest}).
 */
export async function issueIdentity(dir: string, request: IssueRequest): Promise<IssuedFiles> {
  checkIdentityName(request.name);
  const ca = loadCa(dir);
  refuseLiveName(dir, request.name);
  const now = request.now ?? new Date();
  const cert = await issueCertificate(ca, { ...request, now });
  const keyPath = pkiPaths(dir).identityKey(request.name);
  writeFileAtomic(keyPath, cert.keyPem, { mode: PRIVATE_FILE_MODE });
  return { ...cert, certPath: recordCertificate(dir, cert, now), keyPath };
}

export interface SignOptions {
  readonly hosts?: readonly string[];
  readonly validityDays?: number;
  readonly now?: Date;
}

/** Certifies the key of a CSR (see request.ts) under the name and role it asks for. No private key is read but the CA's. */
export async function signRequest(
  dir: string,
  requested: {
    readonly name: string;
    readonly role: IssueRequest["role"];
    readonly publicKey: PublicKey;
  },
  options: SignOptions = {},
): Promise<CertifiedFiles> {
  const ca = loadCa(dir);
  refuseLiveName(dir, requested.name);
  const now = options.now ?? new Date();
  const cert = await certifyPublicKey(
    ca,
    { ...options, name: requested.name, role: requested.role, now },
    requested.publicKey,
  );
  return { ...cert, certPath: recordCertificate(dir, cert, now) };
}

/**
 * A new certificate for the same key, name, role and hosts as the newest unrevoked one of `name`
 * (read from `<name>.cert.pem`); the old one stays valid until it expires, so a site swaps at leisure.
 */
export async function renewIdentity(
  dir: string,
  name: string,
  options: Omit<SignOptions, "hosts"> = {},
): Promise<CertifiedFiles> {
  checkIdentityName(name);
  const ca = loadCa(dir);
  const active = activeCertificateOf(dir, name);
  if (active === undefined)
    throw new PkiError("not-found", `no unrevoked certificate issued to ${name} in ${dir}`);
  const current = new X509Certificate(readText(pkiPaths(dir).identityCert(name), `certificate of ${name}`));
  const { role } = parsePeerIdentity(current.toString("pem"));
  const hosts =
    current
      .getExtension(SubjectAlternativeNameExtension)
      ?.names.items.filter((item) => item.type === "dns" || item.type === "ip")
      .map((item) => item.value) ?? [];
  const now = options.now ?? new Date();
  const cert = await certifyPublicKey(ca, { ...options, name, role, hosts, now }, current.publicKey);
  return { ...cert, certPath: recordCertificate(dir, cert, now) };
}

/**
 * Revokes every unrevoked certificate issued to `name`: appends them to revocations.json (what the
 * coordinator reloads) and rewrites crl.pem signed by the CA. Returns the entries it added.
 */
export async function revoke(dir: string, name: string, now: Date = new Date()): Promise<RevocationEntry[]> {
  loadCa(dir); // refuses before anything is written where the CA key is missing
  const paths = pkiPaths(dir);
  const revoked = listRevoked(dir);
  const revokedSerials = new Set(revoked.map((entry) => entry.serialNumber));
  const added: RevocationEntry[] = listIssued(dir)
    .filter((entry) => entry.name === name && !revokedSerials.has(entry.serialNumber))
    .map((entry) => ({
      name,
      serialNumber: entry.serialNumber,
      fingerprint: entry.fingerprint,
      revokedAt: now.toISOString(),
    }));
  if (added.length === 0) {
    throw new PkiError("not-found", `no unrevoked certificate issued to ${name} in ${dir}`);
  }
  const all = [...revoked, ...added];
  writeFileAtomic(paths.revocations, `${JSON.stringify({ version: 1, revoked: all }, null, 2)}\n`);
  await issueCrl(dir, { now });
  return added;
}

/** Days a CRL stays current unless `fedtune pki crl --days` says otherwise. */
export const CRL_VALIDITY_DAYS = 30;

/**
 * (Re)issues crl.pem from revocations.json: signed by the CA, numbered one above the CRL it replaces, current
 * from `now` for `validityDays`. The coordinator relays it to the sites at Join; a site refuses a CRL past its
 * nextUpdate, and one numbered below the highest it has seen. Returns the new CRL's number and nextUpdate.
 */
export async function issueCrl(
  dir: string,
  options: { readonly now?: Date; readonly validityDays?: number } = {},
): Promise<{ readonly crlNumber: number; readonly nextUpdate: Date }> {
  const ca = loadCa(dir);
  const paths = pkiPaths(dir);
  // Whole seconds, as the CRL stores its times (RFC 5280 §5.1.2.4): what is returned is what is signed.
  const now = new Date(Math.floor((options.now ?? new Date()).getTime() / 1000) * 1000);
  const validityDays = options.validityDays ?? CRL_VALIDITY_DAYS;
  if (!Number.isInteger(validityDays) || validityDays < 1)
    throw new PkiError("malformed", `CRL validity of ${validityDays} days: give a whole number of days ≥ 1`);
  const crlNumber = existsSync(paths.crl) ? readCrlNumber(readFileSync(paths.crl, "utf8")) + 1 : 1;
  const nextUpdate = new Date(now.getTime() + validityDays * 86_400_000);
  const crlPem = await createCrl(
    ca,
    listRevoked(dir).map((entry) => ({
      serialNumber: entry.serialNumber,
      revokedAt: new Date(entry.revokedAt),
    })),
    // thisUpdate a minute back, as certificates' notBefore: a site whose clock lags a little takes it at once.
    { crlNumber, thisUpdate: new Date(now.getTime() - 60_000), nextUpdate },
  );
  writeFileAtomic(paths.crl, crlPem);
  return { crlNumber, nextUpdate };
}

/** The CA-signed CRL as DER for relaying to the sites, or undefined where none has been issued. */
export function readCrlDer(dir: string): Uint8Array | undefined {
  const path = pkiPaths(dir).crl;
  if (!existsSync(path)) return undefined;
  return new Uint8Array(PemConverter.decodeFirst(readFileSync(path, "utf8")));
}

/** The revocation list as verifyPeer wants it; an absent file means nothing is revoked. */
export function loadRevocations(dir: string): Revocations {
  const revoked = listRevoked(dir);
  return {
    fingerprints: new Set(revoked.map((entry) => entry.fingerprint)),
    serialNumbers: new Set(revoked.map((entry) => entry.serialNumber)),
  };
}

export interface RevocationSource {
  /** The current list, re-read when revocations.json changed since the last call. */
  current(): Revocations;
}

/**
 * A revocation list that follows `fedtune pki revoke` without a restart: each call stats the file
 * (cheap) and reloads it when its modification time or size changed. A list that fails to parse
 * throws on every call until fixed, so callers fail closed rather than un-revoke anyone silently.
 */
export function openRevocationSource(dir: string): RevocationSource {
  const path = pkiPaths(dir).revocations;
  const statStamp = (): string => {
    if (!existsSync(path)) return "absent";
    const stats = statSync(path);
    return `${stats.mtimeMs}:${stats.size}:${stats.ino}`;
  };
  let stamp = statStamp();
  let revocations: Revocations = loadRevocations(dir);
  return {
    current(): Revocations {
      const next = statStamp();
      if (next !== stamp) {
        revocations = loadRevocations(dir);
        stamp = next;
      }
      return revocations;
    },
  };
}
