// SecAgg+ neighbour graph: a Harary graph over a permutation of the roster drawn from the public round seed (Bell et al. 2020, §3.1).
import { ParameterError } from "../errors.ts";
import { seededRng, uniformBelow } from "../rng.ts";
import type { SiteId } from "./messages.ts";

export interface NeighbourGraph {
  /** The roster in canonical (code-unit sorted) order; a site's Shamir x-coordinate is its index here plus one. */
  readonly sites: readonly SiteId[];
  /** Degree every site has: the requested k, or k + 1 when k and n are both odd (no k-regular graph exists). */
  readonly degree: number;
  /** Canonical index of a roster site, undefined for others. */
  indexOf(site: SiteId): number | undefined;
  /** The site's neighbours in canonical order (never the site itself). */
  neighbours(site: SiteId): readonly SiteId[];
  areNeighbours(a: SiteId, b: SiteId): boolean;
}

/**
 * Builds the graph. Bell et al. (CCS 2020) take a random k-regular graph; as in the authors'
 * production code (Google fcp, secagg/server/secret_sharing_harary_graph.h), a Harary graph
 * H(k, n) on a uniformly permuted roster is used: position p is joined to p ± 1 … p ± ⌊k/2⌋ (mod n) and, for odd k,
 * to p + n/2. Every party derives the same graph from the public `roundSeed`. k = n − 1 gives
 * the complete graph, i.e. the SecAgg of Bonawitz et al. (CCS 2017).
 */
export function buildNeighbourGraph(
  roster: readonly SiteId[],
  degree: number,
  roundSeed: Uint8Array,
): NeighbourGraph {
  const sites = [...roster].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const n = sites.length;
  for (let i = 1; i < n; i++) {
    if (sites[i - 1] === sites[i]) throw new ParameterError("graph: the roster names a site twice");
  }
  if (n < 2) throw new ParameterError(`graph: a round needs at least 2 sites, got ${n}`);
  if (!Number.isSafeInteger(degree) || degree < 1 || degree > n - 1) {
    throw new ParameterError(`graph: degree must be in [1, ${n - 1}], got ${degree}`);
  }
  const k = degree % 2 === 1 && n % 2 === 1 ? degree + 1 : degree;
  const index = new Map(sites.map((s, i) => [s, i]));

  // Fisher–Yates with the round's public DRBG: position → canonical index.
  const rng = seededRng(
    Uint8Array.from([...new TextEncoder().encode("fedtune/secagg/graph/v1\0"), ...roundSeed]),
  );
  const order = sites.map((_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = uniformBelow(rng, i + 1);
    const t = order[i] as number;
    order[i] = order[j] as number;
    order[j] = t;
  }
  const position = new Array<number>(n);
  order.forEach((siteIndex, pos) => (position[siteIndex] = pos));

  // Neighbourhoods come from positions on demand: a site needs its own and a few checks, and
  // building all n of them at each of n sites would make a round O(n²·k).
  const adjacent = (i: number, j: number): boolean => {
    if (i === j) return false;
    const apart = Math.abs((position[i] as number) - (position[j] as number));
    const distance = Math.min(apart, n - apart);
    return k === n - 1 || distance <= Math.floor(k / 2) || (k % 2 === 1 && 2 * distance === n);
  };
  const neighbourLists = new Map<number, SiteId[]>();
  const neighboursOf = (i: number): SiteId[] => {
    const known = neighbourLists.get(i);
    if (known !== undefined) return known;
    const list = sites.filter((_, j) => adjacent(i, j));
    neighbourLists.set(i, list);
    return list;
  };

  return {
    sites,
    degree: k,
    indexOf: (site) => index.get(site),
    neighbours: (site) => {
      const i = index.get(site);
      if (i === undefined) throw new ParameterError("graph: site is not on the roster");
      return neighboursOf(i);
    },
    areNeighbours: (a, b) => {
      const i = index.get(a);
      const j = index.get(b);
      return i !== undefined && j !== undefined && adjacent(i, j);
    },
  };
}
