// The consortium certificate authority: create it, issue role certificates, sign revocation lists.
import { randomBytes, webcrypto } from "node:crypto";
import {
  certificateFingerprint,
  checkIdentityName,
  identityUri,
  normaliseSerialNumber,
} from "../../crypto/pki/identity.ts";
import type { Role } from "../../crypto/pki/identity.ts";
import { crlNumberExtension } from "../../crypto/pki/crl.ts";
import * as x509 from "../../crypto/pki/x509.ts";

/** ECDSA P-256 with SHA-256: supported by every TLS stack gRPC runs on, and small. */
export const SIGNING_ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const DAY_MS = 86_400_000;
export const ORGANISATION = "fedtune";

/** PEM text: the key in PKCS#8 ("PRIVATE KEY"), which grpc-js createSsl and node:tls accept. */
export interface KeyAndCertificate {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface CreateCaOptions {
  readonly commonName?: string;
  readonly validityDays?: number;
  readonly now?: Date;
}

export interface IssueRequest {
  readonly role: Role;
  readonly name: string;
  /** DNS names and IP addresses for TLS hostname checks; only coordinator certificates get them. */
  readonly hosts?: readonly string[];
  readonly validityDays?: number;
  readonly now?: Date;
}

/** A certificate together with the private key generated for it. */
export interface IssuedCertificate extends CertifiedKey {
  readonly keyPem: string;
}

export interface CrlEntry {
  readonly serialNumber: string;
  readonly revokedAt: Date;
}

/** A positive 128-bit serial whose first byte is non-zero, so no DER padding or stripping occurs. */
function randomSerialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x10;
  return bytes.toString("hex");
}

export async function generateKeyPair(): Promise<webcrypto.CryptoKeyPair> {
  return await webcrypto.subtle.generateKey(SIGNING_ALGORITHM, true, ["sign", "verify"]);
}

export async function exportPrivateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const pkcs8 = await webcrypto.subtle.exportKey("pkcs8", key);
  return x509.PemConverter.encode(pkcs8, "PRIVATE KEY");
}

async function importCaSigningKey(keyPem: string): Promise<webcrypto.CryptoKey> {
  return webcrypto.subtle.importKey(
    "pkcs8",
    x509.PemConverter.decodeFirst(keyPem),
    SIGNING_ALGORITHM,
    false,
    ["sign"],
  );
}

function dnQuote(value: string): string {
  return value.replace(/([,+"\\<>;=])/g, "\\$1");
}

export async function createCa(options: CreateCaOptions = {}): Promise<KeyAndCertificate> {
  const now = options.now ?? new Date();
  const keys = await generateKeyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialNumber(),
    name: `CN=${dnQuote(options.commonName ?? "fedtune consortium CA")}, O=${ORGANISATION}`,
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + (options.validityDays ?? 3650) * DAY_MS),
    extensions: [
      // pathLen 0: the CA signs end-entity certificates only.
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString("pem"), keyPem: await exportPrivateKeyPem(keys.privateKey) };
}

const IP_ADDRESS = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]*:[0-9a-fA-F:.]*)$/;

/** A certificate for a public key whose private half the CA never sees (a CSR or a renewal). */
export interface CertifiedKey {
  readonly role: Role;
  readonly name: string;
  readonly certPem: string;
  readonly serialNumber: string;
  readonly fingerprint: string;
  readonly notAfter: Date;
}

/**
 * Certifies `publicKey` for one identity. The role is the OU and part of the URI SAN
 * `fedtune://<role>/<name>` (see parsePeerIdentity); extended key usage follows RFC 5280 §4.2.1.12:
 * the coordinator is a TLS server (and may dial out), sites and admins are TLS clients.
 */
export async function certifyPublicKey(
  ca: KeyAndCertificate,
  request: IssueRequest,
  publicKey: x509.PublicKey | webcrypto.CryptoKey,
): Promise<CertifiedKey> {
  checkIdentityName(request.name);
  const now = request.now ?? new Date();
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await importCaSigningKey(ca.keyPem);
  const hosts = request.role === "coordinator" ? (request.hosts ?? ["localhost", "127.0.0.1"]) : [];
  const altNames: x509.JsonGeneralName[] = [
    { type: "url", value: identityUri(request.role, request.name) },
    ...hosts.map((host): x509.JsonGeneralName =>
      IP_ADDRESS.test(host) ? { type: "ip", value: host } : { type: "dns", value: host },
    ),
  ];
  const usages =
    request.role === "coordinator"
      ? [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]
      : [x509.ExtendedKeyUsage.clientAuth];
  const notAfter = new Date(now.getTime() + (request.validityDays ?? 365) * DAY_MS);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialNumber(),
    subject: `CN=${request.name}, OU=${request.role}, O=${ORGANISATION}`,
    issuer: caCert.subject,
    publicKey,
    signingKey: caKey,
    signingAlgorithm: SIGNING_ALGORITHM,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(usages),
      new x509.SubjectAlternativeNameExtension(altNames),
      await x509.SubjectKeyIdentifierExtension.create(publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  const certPem = cert.toString("pem");
  return {
    role: request.role,
    name: request.name,
    certPem,
    serialNumber: normaliseSerialNumber(cert.serialNumber),
    fingerprint: certificateFingerprint(certPem),
    notAfter,
  };
}

/** Issues a fresh key pair and its certificate (the operator holds the key: tests, `pki issue`). */
export async function issueCertificate(
  ca: KeyAndCertificate,
  request: IssueRequest,
): Promise<IssuedCertificate> {
  checkIdentityName(request.name);
  const keys = await generateKeyPair();
  const certified = await certifyPublicKey(ca, request, keys.publicKey);
  return { ...certified, keyPem: await exportPrivateKeyPem(keys.privateKey) };
}

/** Which CRL this is and when it is current: sites refuse a number below the highest they have seen. */
export interface CrlIssue {
  readonly crlNumber: number;
  readonly thisUpdate: Date;
  /** After this the sites refuse the list: the operator reissues it (`fedtune pki crl`) before then. */
  readonly nextUpdate: Date;
}

/**
 * A CRL (RFC 5280 §5) signed by the CA, with a CRL number and nextUpdate: the coordinator relays it to the
 * sites at Join, and each site checks it (crypto/pki/crl.ts verifyCrl) before it trusts any peer's key.
 */
export async function createCrl(
  ca: KeyAndCertificate,
  entries: readonly CrlEntry[],
  issue: CrlIssue,
): Promise<string> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const crl = await x509.X509CrlGenerator.create({
    issuer: caCert.subject,
    thisUpdate: issue.thisUpdate,
    nextUpdate: issue.nextUpdate,
    extensions: [crlNumberExtension(issue.crlNumber)],
    signingAlgorithm: SIGNING_ALGORITHM,
    signingKey: await importCaSigningKey(ca.keyPem),
    entries: entries.map((entry) => ({
      serialNumber: entry.serialNumber,
      revocationDate: entry.revokedAt,
      reason: x509.X509CrlReason.privilegeWithdrawn,
    })),
  });
  // OpenSSL and node:tls look for the "X509 CRL" PEM label (RFC 7468 §5), not the library's "CRL".
  return x509.PemConverter.encode(crl.rawData, "X509 CRL");
}
