import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseJsonl } from "../../client/data/load-jsonl.ts";
import { dateShifter, detectDates } from "../../client/deid/dates.ts";
import { rowScrubber } from "../../client/deid/rows.ts";
import { Scrubber, detectPhi } from "../../client/deid/scrub.ts";
import { loadOrCreateDeidSecret } from "../../client/deid/secret.ts";
import { loadSiteConfig } from "../../client/node/config.ts";
import type { PhiKind } from "../../client/deid/spans.ts";

const SECRET_A = new Uint8Array(32).fill(1);
const SECRET_B = new Uint8Array(32).fill(2);

function kindsOf(text: string): Map<string, PhiKind> {
  return new Map(detectPhi(text).map((s) => [text.slice(s.start, s.end), s.kind]));
}

describe("detectors, one kind at a time", () => {
  const cases: [PhiKind, string, string][] = [
    ["name", "Seen by Dr. Ngozi Okafor today.", "Ngozi Okafor"],
    ["name", "Discussed with his daughter Aoife.", "Aoife"],
    ["name", "Patient: GARCIA, Maria", "GARCIA, Maria"],
    ["name", "Plan as above.\n— Priya Raghunathan, MD", "Priya Raghunathan"],
    ["date", "Admitted 03/14/2021 with fever.", "03/14/2021"],
    ["date", "Admitted 5th of March 2021.", "5th of March 2021"],
    ["date", "DOB 1950-02-28.", "1950-02-28"],
    ["date", "Seen 05APR2023.", "05APR2023"],
    ["age", "A 94-year-old man.", "94"],
    ["phone", "Call 555-867-5309 or", "555-867-5309"],
    ["phone", "Tel +44 20 7946 0958.", "+44 20 7946 0958"],
    ["email", "Mail j.doe@hospital.org now", "j.doe@hospital.org"],
    ["ssn", "SSN 123-45-6789.", "123-45-6789"],
    ["id", "MRN: 00482913.", "00482913"],
    ["id", "VIN 1HGCM82633A004352.", "1HGCM82633A004352"],
    ["url", "See https://portal.example.org/pt/123.", "https://portal.example.org/pt/123"],
    ["ip", "From 192.168.10.4 at", "192.168.10.4"],
    ["ip", "From fe80:0:0:0:202:b3ff:fe1e:8329 at", "fe80:0:0:0:202:b3ff:fe1e:8329"],
    ["zip", "Springfield, IL 62704.", "62704"],
    ["street", "Lives at 12 Elm Street, Springfield, IL 62704.", "12 Elm Street"],
    ["city", "Lives at 12 Elm Street, Tulsaville, OK 74104.", "Tulsaville"],
  ];
  it.each(cases)("%s in %j", (kind, text, value) => {
    expect(kindsOf(text).get(value)).toBe(kind);
  });

  it("leaves clinical text alone: vitals, doses, eponyms, years", () => {
    const text =
      "A 72-year-old woman with Bell palsy and Parkinson disease. BP 140/90, HR 110, Hb 12.1. Glasgow Coma Scale 15. Smoker since 1998. Murmur 2/6.";
    expect(detectPhi(text)).toEqual([]);
  });
});

describe("surrogates", () => {
  const note = "Pt John Smith, MRN 00482913, SSN 123-45-6789. Mr. Smith called from 555-867-5309.";

  it("replace every identifier and keep the text natural", () => {
    const { text, counts } = new Scrubber(SECRET_A).scrub(note);
    for (const value of ["John", "Smith", "00482913", "123-45-6789", "555-867-5309"])
      expect(text).not.toContain(value);
    expect(text).toMatch(
      /^Pt \p{Lu}\p{Ll}+ \p{Lu}\p{Ll}+, MRN \d{8}, SSN \d{3}-\d{2}-\d{4}\. Mr\. \p{Lu}\p{Ll}+ called from \d{3}-\d{3}-\d{4}\.$/u,
    );
    expect(counts).toMatchObject({ name: 2, id: 1, ssn: 1, phone: 1 });
  });

  it("are consistent within a site: the same person and number map alike", () => {
    const scrubber = new Scrubber(SECRET_A);
    const first = scrubber.scrub(note).text;
    expect(scrubber.scrub(note).text).toBe(first);
    const [surname1, surname2] = [...first.matchAll(/(?:John |Mr\. )(\p{Lu}\p{Ll}+)/gu)].map((m) => m[1]);
    const surnames = [...first.matchAll(/(?:Pt \p{Lu}\p{Ll}+ |Mr\. )(\p{Lu}\p{Ll}+)/gu)].map((m) => m[1]);
    expect(surname1 ?? surname2 ?? "x").toBeDefined();
    expect(surnames[0]).toBe(surnames[1]);
    expect(new Scrubber(SECRET_A).scrub("MRN 00482913").text).toBe(
      new Scrubber(SECRET_A).scrub("MRN 00482913").text,
    );
  });

  it("cannot be linked across sites: two secrets give unrelated surrogates", () => {
    const a = new Scrubber(SECRET_A);
    const b = new Scrubber(SECRET_B);
    let same = 0;
    for (let i = 0; i < 50; i++) {
      const text = `MRN ${String(1000000 + i * 7919)} seen by Dr. Okafor${i}`;
      if (a.scrub(text).text === b.scrub(text).text) same++;
    }
    expect(same).toBe(0);
  });
});

describe("date shifting", () => {
  it("moves all of one patient's dates by the same offset, keeping intervals and formats", () => {
    const note = "Admitted 03/01/2021, discharged March 15, 2021; review 2021-04-01.";
    const scrubber = new Scrubber(SECRET_A);
    const out = scrubber.scrub(note, "patient-7").text;
    const dates = detectDates(out).map((s) => out.slice(s.start, s.end));
    expect(dates).toHaveLength(3);
    expect(dates[0]).toMatch(/^\d{2}\/\d{2}\/\d{4}$/);
    expect(dates[1]).toMatch(/^[A-Z][a-z]+ \d{1,2}, \d{4}$/);
    expect(dates[2]).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const [d0, d1, d2] = dates.map((d) =>
      Date.parse(d.includes("/") ? `${d.slice(6)}-${d.slice(0, 2)}-${d.slice(3, 5)}` : `${d} UTC`),
    );
    expect(((d1 ?? 0) - (d0 ?? 0)) / 86_400_000).toBe(14);
    expect(((d2 ?? 0) - (d0 ?? 0)) / 86_400_000).toBe(31);
    expect(out).not.toContain("03/01/2021");
    // Another note of the same patient moves by the same offset; another patient's by another.
    expect(scrubber.scrub("Seen 03/01/2021.", "patient-7").text).toContain(dates[0]);
    const offsets = new Set(["a", "b", "c", "d", "e"].map((p) => scrubber.scrub("Seen 03/01/2021.", p).text));
    expect(offsets.size).toBeGreaterThan(1);
  });

  it("rewrites a weekday to match the shifted date", () => {
    const text = "Wednesday, September 28, 1955";
    const shifted = dateShifter(text)({ kind: "date", start: 0, end: text.length }, 1) ?? "";
    expect(shifted).toBe("Thursday, September 29, 1955");
  });
});

describe("de-identification at load", () => {
  const rows = [
    JSON.stringify({ text: "Pt John Smith seen 03/01/2021, MRN 00482913." }),
    JSON.stringify({ text: "Old reference 123/45/6789 copied from the referral." }),
  ].join("\n");

  it("on: scrubs every row and counts by kind", () => {
    const deid = rowScrubber(SECRET_A, "on");
    const { examples, invalid } = parseJsonl(rows, "notes.jsonl", { transform: deid.scrubRow });
    expect(invalid).toEqual([]);
    expect(JSON.stringify(examples)).not.toContain("Smith");
    expect(deid.counts).toMatchObject({ name: 1, date: 1, id: 1 });
  });

  it("required: refuses a row where an SSN-shaped string survives, as file:line, and trains on none of it", () => {
    const deid = rowScrubber(SECRET_A, "required");
    const { examples, invalid } = parseJsonl(rows, "notes.jsonl", { transform: deid.scrubRow });
    expect(examples).toHaveLength(1);
    expect(invalid).toEqual([
      { file: "notes.jsonl", line: 2, reason: expect.stringContaining("SSN-shaped") as string },
    ]);
    expect(invalid[0]?.reason).not.toContain("6789");
    expect(() => parseJsonl(rows, "notes.jsonl", { strict: true, transform: deid.scrubRow })).toThrow(
      /notes\.jsonl:2/,
    );
  });

  it("keeps the site's secret across restarts", () => {
    const path = join(mkdtempSync(join(tmpdir(), "deid-")), "state", "deid-secret.key");
    const first = loadOrCreateDeidSecret(path);
    expect(Buffer.from(loadOrCreateDeidSecret(path)).equals(Buffer.from(first))).toBe(true);
    writeFileSync(path, "short");
    expect(() => loadOrCreateDeidSecret(path)).toThrow(/32 bytes/);
  });
});

describe("site config", () => {
  const yaml = (extra: string): string =>
    `coordinator: "localhost:7443"\ntls: { caCert: ca.pem, cert: s.pem, key: s.key }\ndata: { train: t.jsonl }\n${extra}`;

  it("reads deid: off (default) | on | required, and refuses anything else", () => {
    const dir = mkdtempSync(join(tmpdir(), "site-config-"));
    const path = join(dir, "site.yaml");
    writeFileSync(path, yaml(""));
    expect(loadSiteConfig(path).deid).toBe("off");
    writeFileSync(path, yaml("deid: required\n"));
    expect(loadSiteConfig(path).deid).toBe("required");
    writeFileSync(path, yaml("deid: yes\n"));
    expect(() => loadSiteConfig(path)).toThrow(/deid/);
  });
});
