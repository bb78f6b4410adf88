// Canonical JSON (RFC 8785, JSON Canonicalization Scheme) for hashing: sorted keys, no whitespace.
// ECMAScript's JSON.stringify already serialises strings and finite numbers as RFC 8785 §3.2.2
// requires; what it lacks is the key order (§3.2.3: sorted by UTF-16 code units, which is the
// default Array.prototype.sort order) and the refusal of values JSON cannot carry.

export type JsonValue =
  null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError(`canonical JSON cannot carry ${value}`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((item: JsonValue) => canonicalJson(item)).join(",")}]`;
  const record = value as { readonly [key: string]: JsonValue };
  const keys = Object.keys(record).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key] ?? null)}`).join(",")}}`;
}
