// Certificate signing requests (PKCS#10, RFC 2986): a site or admin makes its own key and asks the CA to certify it.
import { ORGANISATION, SIGNING_ALGORITHM, exportPrivateKeyPem, generateKeyPair } from "./authority.ts";
import { checkIdentityName, IDENTITY_NAME_PATTERN, PkiError, ROLES } from "../../crypto/pki/identity.ts";
import type { Role } from "../../crypto/pki/identity.ts";
import * as x509 from "../../crypto/pki/x509.ts";

export interface SigningRequest {
  /** PKCS#8 private key: stays where it was made. */
  readonly keyPem: string;
  /** The CSR: the only file that travels to the operator. */
  readonly csrPem: string;
}

/** What a CSR asks for, once its self-signature (proof that the requester holds the key) is checked. */
export interface RequestedIdentity {
  readonly name: string;
  readonly role: Role;
  readonly publicKey: x509.PublicKey;
}

/** Makes a key pair and a CSR whose subject is `CN=<name>, OU=<role>, O=fedtune`. */
export async function createSigningRequest(name: string, role: Role): Promise<SigningRequest> {
  checkIdentityName(name);
  const keys = await generateKeyPair();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${name}, OU=${role}, O=${ORGANISATION}`,
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
  });
  return { keyPem: await exportPrivateKeyPem(keys.privateKey), csrPem: csr.toString("pem") };
}

/** Parses a CSR and checks its signature (RFC 2986 §3: the requester signs with the requested key). */
export async function readSigningRequest(csrPem: string): Promise<RequestedIdentity> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch {
    throw new PkiError("malformed", "the signing request is not a PEM PKCS#10 CSR");
  }
  if (!(await csr.verify())) {
    throw new PkiError("malformed", "the signing request's signature does not verify");
  }
  const [name, ...extraNames] = csr.subjectName.getField("CN");
  const [role, ...extraRoles] = csr.subjectName.getField("OU");
  if (name === undefined || extraNames.length > 0 || !IDENTITY_NAME_PATTERN.test(name)) {
    throw new PkiError("malformed", "the signing request has no single valid CN naming the requester");
  }
  const knownRole = ROLES.find((candidate) => candidate === role);
  if (knownRole === undefined || extraRoles.length > 0) {
    throw new PkiError("malformed", `the signing request of ${name} has no single OU naming a role`);
  }
  return { name, role: knownRole, publicKey: csr.publicKey };
}
