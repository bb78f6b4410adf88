// Site ids for tests, branded by the product's own constructor (crypto/site-id.ts) rather than cast.
import { parseSiteId, type SiteId } from "../../crypto/site-id.ts";

/** The checked ids of `names`, in order: `const [a, b] = siteIds("a", "b")`. */
export function siteIds<const Names extends readonly string[]>(
  ...names: Names
): { readonly [K in keyof Names]: SiteId } {
  // map keeps the length and order, which is all the tuple type says.
  return names.map(parseSiteId) as unknown as { readonly [K in keyof Names]: SiteId };
}
