// The one name of a participating hospital across the rooms: its certificate identity, as the roster lists it.
// Branded so that a string reaches round state, SecAgg+ or storage only after `parseSiteId` checked it.
import { checkIdentityName } from "./pki/identity.ts";

/** A participating hospital, as named on the round's roster (its certificate identity). */
export type SiteId = string & { readonly __brand: "SiteId" };

/** Checks `name` against the certificate-name rule (a `PkiError` "invalid-name" otherwise) and brands it. */
export function parseSiteId(name: string): SiteId {
  checkIdentityName(name);
  return name as SiteId;
}
