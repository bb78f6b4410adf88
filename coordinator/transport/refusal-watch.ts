// Counts refused certificates (revoked, expired, wrong role, unreadable): one report at the 1st, 10th, 100th, …
// refusal of each, so a site that keeps calling with a revoked certificate is seen without an entry per call.
import { X509Certificate, createHash } from "node:crypto";
import { FederationError } from "../../proto/errors.ts";
import type { PeerAuthenticator } from "../../proto/transport.ts";

export interface CertificateRefusal {
  /** Hex SHA-256 of the certificate's DER ("" when the caller presented none). */
  readonly fingerprint: string;
  /** The certificate's subject, as far as it can be read. */
  readonly subject: string;
  /** What the caller was told, e.g. "certificate refused: revoked". */
  readonly reason: string;
  /** Refusals of this certificate so far, this one included. */
  readonly refusals: number;
}

/** Distinct certificates counted; past this the counts start over (a consortium sees far fewer). */
const MAX_COUNTED = 10_000;

/** 1, 10, 100, …: the counts at which a certificate's refusals are reported. */
export function isReportedCount(count: number): boolean {
  let n = count;
  while (n >= 10 && n % 10 === 0) n /= 10;
  return n === 1;
}

function subjectOf(der: Uint8Array | undefined): string {
  if (der === undefined) return "(no certificate)";
  try {
    return new X509Certificate(der).subject.replaceAll("\n", ", ");
  } catch {
    return "(unreadable certificate)";
  }
}

/** `authenticator`, reporting its refusals per certificate at the counts {@link isReportedCount} picks. */
export function watchRefusals(
  authenticator: PeerAuthenticator,
  report: (refusal: CertificateRefusal) => void,
): PeerAuthenticator {
  const counts = new Map<string, number>();
  return {
    authenticate(certificateDer, role) {
      try {
        return authenticator.authenticate(certificateDer, role);
      } catch (error) {
        if (!(error instanceof FederationError)) throw error;
        const fingerprint =
          certificateDer === undefined ? "" : createHash("sha256").update(certificateDer).digest("hex");
        if (counts.size >= MAX_COUNTED && !counts.has(fingerprint)) counts.clear();
        const refusals = (counts.get(fingerprint) ?? 0) + 1;
        counts.set(fingerprint, refusals);
        if (isReportedCount(refusals))
          report({ fingerprint, subject: subjectOf(certificateDer), reason: error.publicMessage, refusals });
        throw error;
      }
    },
  };
}
