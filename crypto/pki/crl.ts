// The consortium's revocation list as a site checks it: a CA-signed X.509 CRL (RFC 5280 §5) with a CRL number,
// verified before its revocations are trusted, so that a coordinator can relay it but neither forge nor edit one.
import { normaliseSerialNumber, PkiError } from "./identity.ts";
import type { CertificateInput, Revocations } from "./identity.ts";
import { Extension, X509Certificate, X509Crl } from "./x509.ts";

/** RFC 5280 §5.2.3: id-ce-cRLNumber, a monotonically increasing sequence number for a CA's CRLs. */
export const CRL_NUMBER_OID = "2.5.29.20";

/** A CRL number is at most 20 octets (RFC 5280 §5.2.3); fedtune's stay within JavaScript's safe integers. */
const MAX_CRL_NUMBER = Number.MAX_SAFE_INTEGER;

/** The cRLNumber extension (non-critical, RFC 5280 §5.2.3) holding `crlNumber` as a DER INTEGER. */
export function crlNumberExtension(crlNumber: number): Extension {
  if (!Number.isSafeInteger(crlNumber) || crlNumber < 0)
    throw new PkiError("malformed", `CRL number ${crlNumber} is not a non-negative integer`);
  let hex = crlNumber.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  // DER INTEGER: two's complement, so a leading byte ≥ 0x80 needs a zero byte before it.
  if (Number.parseInt(hex.slice(0, 2), 16) >= 0x80) hex = `00${hex}`;
  const content = Buffer.from(hex, "hex");
  return new Extension(CRL_NUMBER_OID, false, Buffer.concat([Buffer.from([0x02, content.length]), content]));
}

function parseCrl(crlBytes: CertificateInput): X509Crl {
  try {
    return new X509Crl(typeof crlBytes === "string" ? crlBytes : Buffer.from(crlBytes));
  } catch {
    throw new PkiError("malformed", "the revocation list cannot be parsed");
  }
}

/** The CRL number of a CRL (DER or PEM), unverified: for the CA's own folder, to number the next one. */
export function readCrlNumber(crlBytes: CertificateInput): number {
  return crlNumberOf(parseCrl(crlBytes));
}

function crlNumberOf(crl: X509Crl): number {
  const extension = crl.extensions.find((e) => e.type === CRL_NUMBER_OID);
  if (extension === undefined) throw new PkiError("malformed", "the revocation list carries no CRL number");
  const der = new Uint8Array(extension.value);
  const length = der[1] ?? 0;
  if (
    der[0] !== 0x02 ||
    length < 1 ||
    length > 8 ||
    der.length !== 2 + length ||
    ((der[2] ?? 0) & 0x80) !== 0
  )
    throw new PkiError("malformed", "the revocation list's CRL number is not a non-negative INTEGER");
  const value = Number(BigInt(`0x${Buffer.from(der.subarray(2)).toString("hex")}`));
  if (value > MAX_CRL_NUMBER)
    throw new PkiError("malformed", "the revocation list's CRL number is too large");
  return value;
}

/** A revocation list whose CA signature, issuer, validity period and number have been checked. */
export interface VerifiedCrl {
  readonly crlNumber: number;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  /** The revoked serial numbers (a CRL names certificates by serial, not by fingerprint). */
  readonly revocations: Revocations;
}

/**
 * Parses and verifies a CRL (DER or PEM) against the consortium CA: signed by the CA's key, issued by the
 * CA's subject, carrying a CRL number and a nextUpdate, and current at `now` (thisUpdate ≤ now ≤ nextUpdate).
 * Throws PkiError otherwise.
 */
export async function verifyCrl(
  crlBytes: CertificateInput,
  caCert: CertificateInput,
  now: Date = new Date(),
): Promise<VerifiedCrl> {
  const crl = parseCrl(crlBytes);
  let ca: X509Certificate;
  try {
    ca = new X509Certificate(typeof caCert === "string" ? caCert : Buffer.from(caCert));
  } catch {
    throw new PkiError("malformed", "the CA certificate cannot be parsed");
  }
  let signed: boolean;
  try {
    signed = crl.issuer === ca.subject && (await crl.verify({ publicKey: ca }));
  } catch {
    signed = false;
  }
  if (!signed) throw new PkiError("unknown-ca", "the revocation list is not signed by the consortium CA");
  const { thisUpdate, nextUpdate } = crl;
  if (nextUpdate === undefined) throw new PkiError("malformed", "the revocation list has no nextUpdate");
  if (now < thisUpdate) throw new PkiError("malformed", "the revocation list is not valid yet");
  if (now > nextUpdate)
    throw new PkiError(
      "expired",
      `the revocation list expired at ${nextUpdate.toISOString()} (the operator reissues it with \`fedtune pki crl\`)`,
    );
  return {
    crlNumber: crlNumberOf(crl),
    thisUpdate,
    nextUpdate,
    revocations: {
      fingerprints: new Set(),
      serialNumbers: new Set(crl.entries.map((entry) => normaliseSerialNumber(entry.serialNumber))),
    },
  };
}
