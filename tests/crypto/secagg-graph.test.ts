// SecAgg+ neighbour graph: regular, symmetric, connected, reproducible from the public seed, complete at k = n − 1.
import { describe, expect, it } from "vitest";
import { ParameterError } from "../../crypto/errors.ts";
import { seededRng } from "../../crypto/rng.ts";
import { buildNeighbourGraph } from "../../crypto/secagg/graph.ts";
import type { NeighbourGraph } from "../../crypto/secagg/graph.ts";
import type { SiteId } from "../../crypto/site-id.ts";
import { siteIds } from "../helpers/site-ids.ts";
import { siteNames } from "./secagg-helpers.ts";

function seed(label: string): Uint8Array {
  const b = new Uint8Array(32);
  seededRng(label).fill(b);
  return b;
}

function connected(g: NeighbourGraph): boolean {
  const seen = new Set([g.sites[0] as SiteId]);
  const queue = [g.sites[0] as SiteId];
  for (let s = queue.pop(); s !== undefined; s = queue.pop()) {
    for (const v of g.neighbours(s)) {
      if (seen.has(v)) continue;
      seen.add(v);
      queue.push(v);
    }
  }
  return seen.size === g.sites.length;
}

describe("buildNeighbourGraph", () => {
  it.each([
    [2, 1],
    [5, 4],
    [6, 3],
    [9, 2],
    [10, 4],
    [31, 6],
    [40, 9],
    [7, 3], // odd k and odd n: no 3-regular graph on 7 vertices, degree becomes 4
  ])("n = %i, k = %i: regular, symmetric, loop-free and connected", (n, k) => {
    const g = buildNeighbourGraph(siteNames(n), k, seed(`g${n}-${k}`));
    const want = k % 2 === 1 && n % 2 === 1 ? k + 1 : k;
    expect(g.degree).toBe(want);
    for (const u of g.sites) {
      const nb = g.neighbours(u);
      expect(nb.length).toBe(want);
      expect(nb).not.toContain(u);
      for (const v of nb) expect(g.areNeighbours(v, u)).toBe(true);
    }
    expect(connected(g)).toBe(true);
  });

  it("is the same for any roster order and the same seed, and changes with the seed", () => {
    const roster = siteNames(20);
    const a = buildNeighbourGraph(roster, 4, seed("s"));
    const b = buildNeighbourGraph([...roster].reverse(), 4, seed("s"));
    const c = buildNeighbourGraph(roster, 4, seed("other"));
    const lists = (g: NeighbourGraph) => roster.map((s) => g.neighbours(s).join(","));
    expect(lists(a)).toEqual(lists(b));
    expect(lists(a)).not.toEqual(lists(c));
  });

  it("is complete for k = n − 1 (classic SecAgg)", () => {
    const roster = siteNames(8);
    const g = buildNeighbourGraph(roster, 7, seed("c"));
    for (const u of roster) expect(g.neighbours(u)).toEqual(roster.filter((v) => v !== u));
  });

  it("refuses duplicate sites, tiny rosters and degrees out of range", () => {
    expect(() => buildNeighbourGraph(siteIds("a", "a", "b"), 1, seed("x"))).toThrow(ParameterError);
    expect(() => buildNeighbourGraph(siteIds("a"), 1, seed("x"))).toThrow(ParameterError);
    expect(() => buildNeighbourGraph(siteNames(5), 0, seed("x"))).toThrow(ParameterError);
    expect(() => buildNeighbourGraph(siteNames(5), 5, seed("x"))).toThrow(ParameterError);
  });
});
