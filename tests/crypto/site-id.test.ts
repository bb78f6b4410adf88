// SiteId: one constructor, the certificate-name rule, and the wire schema that brands with it.
import { describe, expect, it } from "vitest";
import { PkiError } from "../../crypto/pki/identity.ts";
import { parseSiteId } from "../../crypto/site-id.ts";
import { joinResponseSchema, siteIdSchema } from "../../proto/messages.ts";

const MALFORMED = ["", "-lead", ".hidden", "../etc", "a b", "site/1", "ü", "x".repeat(65)];

describe("parseSiteId", () => {
  it("keeps a certificate name as it is", () => {
    for (const name of ["a", "hospital-north.ward_2", "x".repeat(64)]) expect(parseSiteId(name)).toBe(name);
  });

  it("refuses a malformed id with an invalid-name PkiError", () => {
    for (const name of MALFORMED) {
      expect(() => parseSiteId(name), JSON.stringify(name)).toThrow(PkiError);
      expect(() => parseSiteId(name)).toThrow(expect.objectContaining({ code: "invalid-name" }));
    }
  });

  it("is the rule the wire schemas apply", () => {
    expect(siteIdSchema.parse("site-a")).toBe("site-a");
    for (const name of MALFORMED)
      expect(siteIdSchema.safeParse(name).success, JSON.stringify(name)).toBe(false);
    const joined = {
      siteId: "../etc",
      privacyMode: "none",
      vectorLength: 4,
      totalRounds: 1,
      federationName: "fed",
      lora: { r: 2, alpha: 4, dropout: 0, targetModules: ["q"], mode: "standard", seed: 1 },
      revocationList: new Uint8Array(),
    };
    expect(joinResponseSchema.safeParse(joined).success).toBe(false);
    expect(joinResponseSchema.safeParse({ ...joined, siteId: "site-a" }).success).toBe(true);
  });
});
