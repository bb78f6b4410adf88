// Consistent surrogates keyed by a per-site secret: the same identifier always maps to the same stand-in at one site, and stand-ins of two sites cannot be linked.
import { createHmac } from "node:crypto";
import { peopleNames } from "./name-lists.ts";
import type { PhiKind } from "./spans.ts";

/**
 * A deterministic stream of integers drawn from HMAC-SHA256(secret, label ‖ counter) (RFC 2104):
 * without the secret, a surrogate reveals nothing about the identifier it replaced, and the same
 * identifier at two sites (two secrets) gets unrelated surrogates.
 */
class KeyedStream {
  private block = Buffer.alloc(0);
  private pos = 0;
  private counter = 0;

  constructor(
    private readonly secret: Uint8Array,
    private readonly label: string,
  ) {}

  /** A uniform integer in [0, n), n ≤ 2^16, by rejection from 16-bit draws. */
  below(n: number): number {
    const limit = 65536 - (65536 % n);
    for (;;) {
      if (this.pos + 2 > this.block.length) {
        this.block = createHmac("sha256", this.secret)
          .update(`${this.label}\u0000${this.counter++}`)
          .digest();
        this.pos = 0;
      }
      const v = this.block.readUInt16BE(this.pos);
      this.pos += 2;
      if (v < limit) return v % n;
    }
  }
}

const LOWER = "abcdefghijklmnopqrstuvwxyz";
const UPPER = LOWER.toUpperCase();
const HEX = "0123456789abcdef";

/** Replaces every letter and digit by a keyed one of the same class; separators and length stay. */
function sameShape(stream: KeyedStream, value: string, keepLeadingNonZero = true): string {
  let out = "";
  for (const [i, ch] of [...value].entries()) {
    if (/\d/.test(ch)) {
      const nonZero = keepLeadingNonZero && i === 0 && ch !== "0";
      out += nonZero ? String(1 + stream.below(9)) : String(stream.below(10));
    } else if (/[a-z]/.test(ch)) out += LOWER[stream.below(26)];
    else if (/[A-Z]/.test(ch)) out += UPPER[stream.below(26)];
    else out += ch;
  }
  return out;
}

/** Identifiers written differently but meaning the same map alike: "123-45-6789" and "123 45 6789". */
function canonical(kind: PhiKind, value: string): string {
  const wordy: readonly PhiKind[] = ["name", "city", "email", "url"];
  return wordy.includes(kind) ? value.toLowerCase() : value.replace(/[^A-Za-z0-9]/g, "").toUpperCase();
}

// 45 CFR 164.514(b)(2)(i)(B): three-digit ZIP areas of 20,000 people or fewer (2000 census) become 000.
const RESTRICTED_ZIP3 = new Set([
  "036",
  "059",
  "063",
  "102",
  "203",
  "556",
  "692",
  "790",
  "821",
  "823",
  "830",
  "831",
  "878",
  "879",
  "884",
  "890",
  "893",
]);

let surrogateNames: readonly string[] | undefined;

/** Surrogate names: the name list, in a fixed order, capitalised. */
function nameList(): readonly string[] {
  surrogateNames ??= [...peopleNames()]
    .filter((n) => /^[a-z]{3,}$/.test(n))
    .sort()
    .map((n) => n[0]?.toUpperCase() + n.slice(1));
  return surrogateNames;
}

/** Writes `name` in the case pattern of `like`: "SMITH", "Smith", "smith", or an initial "S.". */
function inCaseOf(name: string, like: string): string {
  if (/^\p{Lu}\.?$/u.test(like)) return `${name[0] ?? "X"}${like.endsWith(".") ? "." : ""}`;
  if (like.length > 1 && like === like.toUpperCase()) return name.toUpperCase();
  if (like === like.toLowerCase()) return name.toLowerCase();
  return name;
}

/** The surrogates of one site: every method is a pure function of (secret, identifier). */
export class SurrogateMaker {
  constructor(private readonly secret: Uint8Array) {}

  private stream(kind: PhiKind, value: string): KeyedStream {
    return new KeyedStream(this.secret, `${kind}\u0000${canonical(kind, value)}`);
  }

  /** One name word (given name, surname, initial, or a town's word) → a name word from the list. */
  nameWord(word: string): string {
    const names = nameList();
    const bare = word.replace(/[.]$/, "");
    let pick = names[this.stream("name", bare).below(names.length)] ?? "Smith";
    if (pick.toLowerCase() === bare.toLowerCase())
      pick = names[(names.indexOf(pick) + 1) % names.length] ?? "Smith";
    return inCaseOf(pick, word);
  }

  /** Every name word of a phrase replaced; spaces, hyphens, particles and punctuation kept. */
  private words(text: string): string {
    return text.replace(/\p{L}[\p{L}'’]*\.?/gu, (word) =>
      /^(van|von|der|den|de|del|della|di|da|dos|das|du|la|le|bin|binti|ibn|al|el|ten|ter|y|zu|af)$/.test(word)
        ? word
        : this.nameWord(word),
    );
  }

  /** The surrogate of an identifier of `kind` (dates are shifted elsewhere, per patient). */
  replace(kind: Exclude<PhiKind, "date">, value: string): string {
    switch (kind) {
      case "name":
      case "city":
        return this.words(value);
      case "street":
        // Keep the street type and unit words; replace the number and the street's own words.
        return value.replace(
          /\d+|\p{Lu}[\p{Ll}'’]+(?:straße|strasse|weg|gasse|platz|allee|laan|straat)?/gu,
          (part) =>
            /^\d/.test(part)
              ? sameShape(this.stream("street", value), part)
              : /^(Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Drive|Dr|Boulevard|Blvd|Court|Ct|Way|Place|Pl|Terrace|Circle|Highway|Hwy|Parkway|Square|Trail|Close|Crescent|Row|Grove|Gardens|Mews|Walk|Hill|Park|Apt|Apartment|Suite|Unit|Flat|Floor|Room|North|South|East|West|Box)$/.test(
                    part,
                  )
                ? part
                : this.nameWord(part),
        );
      case "zip":
        return this.zip(value);
      case "age":
        // Safe Harbor aggregates ages over 89 into one category, written here as 90.
        return value.replace(/\d+/, "90");
      case "email": {
        const at = value.lastIndexOf("@");
        const tld = value.slice(value.lastIndexOf("."));
        const stream = this.stream("email", value);
        return `${sameShape(stream, value.slice(0, at))}@${sameShape(stream, value.slice(at + 1, value.length - tld.length))}${tld}`;
      }
      case "url": {
        const scheme = /^(?:[a-z]+:\/\/)?(?:www\.)?/i.exec(value)?.[0] ?? "";
        return scheme + sameShape(this.stream("url", value), value.slice(scheme.length));
      }
      case "ip":
        return this.ip(value);
      case "phone":
      case "ssn":
      case "id":
        return sameShape(this.stream(kind, value), value);
    }
  }

  private zip(value: string): string {
    const us = /^(\d{3})(\d{2})(-\d{4})?$/.exec(value);
    if (us === null) return sameShape(this.stream("zip", value), value);
    const zip3 = us[1] ?? "000";
    return `${RESTRICTED_ZIP3.has(zip3) ? "000" : zip3}00${us[3] === undefined ? "" : "-0000"}`;
  }

  private ip(value: string): string {
    const stream = this.stream("ip", value);
    if (value.includes(".")) {
      // Documentation ranges are not used: a surrogate should look like any address.
      return value
        .split(".")
        .map((_, i) => String(i === 0 ? 1 + stream.below(223) : stream.below(256)))
        .join(".");
    }
    return value.replace(/[0-9a-f]/gi, (ch) => {
      const h = HEX[stream.below(16)] ?? "0";
      return ch === ch.toUpperCase() ? h.toUpperCase() : h;
    });
  }

  /**
   * The date offset of one patient: a keyed whole number of days in ±[30, 365], never 0, the same
   * for every note of that patient at this site, so intervals between their dates are kept.
   */
  dateOffsetDays(patientKey: string): number {
    const stream = new KeyedStream(this.secret, `date-offset\u0000${patientKey}`);
    const magnitude = 30 + stream.below(336);
    return stream.below(2) === 0 ? -magnitude : magnitude;
  }
}
