// The BPE model of an HF tokenizer.json: applies ranked merges to one pre-token (byte-level or SentencePiece-style).
import { TokenizerError } from "./tokenizer-error.ts";

/** What the BPE model needs from tokenizer.json's `model` section, already validated. */
export interface BpeModelSpec {
  readonly vocab: ReadonlyMap<string, number>;
  /** Merge pairs in rank order (rank = index). */
  readonly merges: readonly (readonly [string, string])[];
  readonly unkToken: string | null;
  readonly fuseUnk: boolean;
  readonly byteFallback: boolean;
  /** LLaMA 3 sets this: a pre-token that is itself in the vocabulary is emitted as is. */
  readonly ignoreMerges: boolean;
}

interface MergeRule {
  readonly rank: number;
  readonly mergedId: number;
}

// Pre-tokens longer than this are not cached: SentencePiece-style files have no pre-tokenizer,
// so a whole paragraph can be one pre-token, and caching it would only grow the map.
const MAX_CACHED_PIECE_CHARS = 64;
const MAX_CACHE_ENTRIES = 50_000;

const utf8Encoder = new TextEncoder();

/** A binary min-heap of candidate merges ordered by (rank, position), as HF tokenizers' `Word::merge_all`. */
class MergeHeap {
  private readonly items: { rank: number; pos: number; left: number; mergedId: number }[] = [];

  get size(): number {
    return this.items.length;
  }

  push(item: { rank: number; pos: number; left: number; mergedId: number }): void {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): { rank: number; pos: number; left: number; mergedId: number } {
    const items = this.items;
    const top = items[0]!;
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let smallest = i;
        if (l < items.length && this.less(l, smallest)) smallest = l;
        if (r < items.length && this.less(r, smallest)) smallest = r;
        if (smallest === i) break;
        this.swap(i, smallest);
        i = smallest;
      }
    }
    return top;
  }

  private less(a: number, b: number): boolean {
    const x = this.items[a]!;
    const y = this.items[b]!;
    return x.rank < y.rank || (x.rank === y.rank && x.pos < y.pos);
  }

  private swap(a: number, b: number): void {
    const t = this.items[a]!;
    this.items[a] = this.items[b]!;
    this.items[b] = t;
  }
}

/** Byte-pair encoding over a fixed vocabulary and merge list (Sennrich et al. 2016; HF tokenizers `models/bpe`). */
export class BpeModel {
  private readonly vocab: ReadonlyMap<string, number>;
  private readonly mergeRules = new Map<number, MergeRule>();
  private readonly idBase: number;
  private readonly unkId: number | null;
  private readonly fuseUnk: boolean;
  private readonly byteFallbackIds: readonly number[] | null;
  private readonly ignoreMerges: boolean;
  private readonly cache = new Map<string, readonly number[]>();

  constructor(spec: BpeModelSpec, where: string) {
    this.vocab = spec.vocab;
    let maxId = 0;
    for (const id of spec.vocab.values()) maxId = Math.max(maxId, id);
    this.idBase = maxId + 1;
    spec.merges.forEach(([a, b], rank) => {
      const left = spec.vocab.get(a);
      const right = spec.vocab.get(b);
      const merged = spec.vocab.get(a + b);
      if (left === undefined || right === undefined || merged === undefined) {
        throw new TokenizerError(
          where,
          `merge ${rank} ("${a}" "${b}") uses a token that is not in the vocabulary`,
        );
      }
      const key = left * this.idBase + right;
      // The first (lowest-rank) occurrence of a pair wins, as in HF tokenizers.
      if (!this.mergeRules.has(key)) this.mergeRules.set(key, { rank, mergedId: merged });
    });
    if (spec.unkToken !== null && !spec.vocab.has(spec.unkToken)) {
      throw new TokenizerError(where, `unk_token "${spec.unkToken}" is not in the vocabulary`);
    }
    this.unkId = spec.unkToken === null ? null : spec.vocab.get(spec.unkToken)!;
    this.fuseUnk = spec.fuseUnk;
    this.ignoreMerges = spec.ignoreMerges;
    if (spec.byteFallback) {
      // SentencePiece byte tokens are spelled <0xNN> with upper-case hex (HF `format!("<{:#04X}>", b)`).
      const ids: number[] = [];
      for (let b = 0; b < 256; b++) {
        const id = spec.vocab.get(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
        ids.push(id ?? -1);
      }
      this.byteFallbackIds = ids;
    } else {
      this.byteFallbackIds = null;
    }
  }

  /** Token ids of one pre-token. */
  tokenize(piece: string): readonly number[] {
    const cached = this.cache.get(piece);
    if (cached !== undefined) return cached;
    const ids = this.tokenizeUncached(piece);
    if (piece.length <= MAX_CACHED_PIECE_CHARS) {
      if (this.cache.size >= MAX_CACHE_ENTRIES) this.cache.clear();
      this.cache.set(piece, ids);
    }
    return ids;
  }

  private tokenizeUncached(piece: string): number[] {
    if (this.ignoreMerges) {
      const whole = this.vocab.get(piece);
      if (whole !== undefined) return [whole];
    }
    const symbols = this.initialSymbols(piece);
    if (symbols.length < 2) return symbols;
    return this.mergeAll(symbols);
  }

  /** One symbol per character; unknown characters become byte tokens or (fused) unk, as HF `BPE::merge_word`. */
  private initialSymbols(piece: string): number[] {
    const symbols: number[] = [];
    let lastWasUnk = false;
    for (const ch of piece) {
      const id = this.vocab.get(ch);
      if (id !== undefined) {
        symbols.push(id);
        lastWasUnk = false;
        continue;
      }
      if (this.byteFallbackIds !== null) {
        const bytes = utf8Encoder.encode(ch);
        const byteIds = Array.from(bytes, (b) => this.byteFallbackIds![b]!);
        if (byteIds.every((b) => b >= 0)) {
          symbols.push(...byteIds);
          lastWasUnk = false;
          continue;
        }
      }
      if (this.unkId !== null) {
        if (!(this.fuseUnk && lastWasUnk)) symbols.push(this.unkId);
        lastWasUnk = true;
      }
      // With neither byte fallback nor an unk token HF drops the character; so do we.
    }
    return symbols;
  }

  /** Applies merges lowest rank first, leftmost first among equal ranks, over a linked list of symbols. */
  private mergeAll(initial: number[]): number[] {
    const n = initial.length;
    const ids = Int32Array.from(initial);
    const prev = new Int32Array(n);
    const next = new Int32Array(n);
    const alive = new Uint8Array(n).fill(1);
    for (let i = 0; i < n; i++) {
      prev[i] = i - 1;
      next[i] = i + 1 < n ? i + 1 : -1;
    }
    const heap = new MergeHeap();
    const consider = (left: number): void => {
      const right = next[left]!;
      if (right < 0) return;
      const rule = this.mergeRules.get(ids[left]! * this.idBase + ids[right]!);
      if (rule !== undefined) heap.push({ rank: rule.rank, pos: left, left, mergedId: rule.mergedId });
    };
    for (let i = 0; i + 1 < n; i++) consider(i);
    while (heap.size > 0) {
      const top = heap.pop();
      const left = top.left;
      const right = next[left]!;
      if (alive[left] === 0 || right < 0) continue;
      // Stale entry: one side was merged away or changed since this pair was queued.
      const rule = this.mergeRules.get(ids[left]! * this.idBase + ids[right]!);
      if (rule === undefined || rule.mergedId !== top.mergedId || rule.rank !== top.rank) continue;
      ids[left] = top.mergedId;
      alive[right] = 0;
      const after = next[right]!;
      next[left] = after;
      if (after >= 0) prev[after] = left;
      const before = prev[left]!;
      if (before >= 0) consider(before);
      consider(left);
    }
    const out: number[] = [];
    for (let i = 0; i >= 0; i = next[i]!) out.push(ids[i]!);
    return out;
  }
}
