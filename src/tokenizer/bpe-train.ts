// Learning BPE merges: start from single symbols, repeatedly merge the most frequent adjacent pair.
// Counting runs over unique words weighted by their counts, and each merge updates the pair counts
// only in the words that hold the pair, so a step costs what it changes, not the corpus size.

export interface LearnMergesOptions {
  /** Stop when the alphabet plus the new tokens reach this many. */
  maxTokens: number;
  /** Stop when the most frequent pair occurs fewer times than this (default 0: no minimum). */
  minFrequency?: number;
  onProgress?: (merges: number, maxMerges: number) => void;
}

export interface LearnedMerges {
  /** The alphabet followed by the new tokens, by id. */
  tokens: string[];
  /** Merged pairs of ids, by rank. A merge may rebuild an existing token ('a'+'bc' after 'ab'+'c'). */
  merges: [number, number][];
}

// A pair (a, b) is one number, a * PAIR_BASE + b, so pairs are cheap Map keys and sort as (a, b).
const PAIR_BASE = 2 ** 21;

/**
 * Learns merges over `words` (each a sequence of ids into `alphabet`, seen `counts[i]` times). Ties in
 * frequency go to the smaller pair of ids, comparing the left id first, so results are deterministic.
 */
export function learnMerges(
  words: readonly number[][],
  counts: readonly number[],
  alphabet: readonly string[],
  options: LearnMergesOptions,
): LearnedMerges {
  const { maxTokens, minFrequency = 0, onProgress } = options;
  if (maxTokens >= PAIR_BASE) throw new Error(`learnMerges: maxTokens ${maxTokens} exceeds ${PAIR_BASE - 1}`);
  const tokens = [...alphabet];
  const tokenIds = new Map(tokens.map((t, id) => [t, id]));
  const merges: [number, number][] = [];
  // A merge can rebuild an existing token, so a merged pair can turn up again; it is not merged twice,
  // which keeps each rule's rank unambiguous.
  const merged = new Set<number>();
  const symbols = words.map((w) => [...w]);

  const pairCounts = new Map<number, number>();
  // Words that held each pair when it was counted; some may have lost it since, which merging skips.
  const where = new Map<number, number[]>();
  const note = (key: number, w: number) => {
    const list = where.get(key);
    if (!list) where.set(key, [w]);
    else if (list[list.length - 1] !== w) list.push(w);
  };
  symbols.forEach((s, w) => {
    for (let i = 0; i + 1 < s.length; i++) {
      const key = s[i] * PAIR_BASE + s[i + 1];
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + counts[w]);
      note(key, w);
    }
  });
  const heap = new PairHeap();
  for (const [key, count] of pairCounts) heap.push(count, key);

  const maxMerges = Math.max(0, maxTokens - tokens.length);
  const lastSeen = new Int32Array(symbols.length).fill(-1);
  while (tokens.length < maxTokens && heap.size > 0) {
    const { count, key } = heap.pop();
    const current = pairCounts.get(key) ?? 0;
    // Entries are pushed when a count grows and left alone when it shrinks, so a stale entry is either
    // too high (push it again with the true count) or shadowed by a newer one (drop it).
    if (count !== current) {
      if (current > 0 && count > current) heap.push(current, key);
      continue;
    }
    if (merged.has(key)) continue;
    if (count < minFrequency) break;
    const a = Math.floor(key / PAIR_BASE);
    const b = key - a * PAIR_BASE;
    const token = tokens[a] + tokens[b];
    let c = tokenIds.get(token);
    if (c === undefined) {
      c = tokens.length;
      tokens.push(token);
      tokenIds.set(token, c);
    }
    merges.push([a, b]);
    merged.add(key);
    pairCounts.delete(key);

    const grown = new Set<number>();
    const step = merges.length;
    for (const w of where.get(key)!) {
      if (lastSeen[w] === step) continue;
      lastSeen[w] = step;
      const weight = counts[w];
      const add = (x: number, y: number, delta: number) => {
        const k = x * PAIR_BASE + y;
        if (k === key) return; // the merged pair's count is already gone
        const n = (pairCounts.get(k) ?? 0) + delta;
        if (n > 0) pairCounts.set(k, n);
        else pairCounts.delete(k);
        if (delta > 0) {
          grown.add(k);
          note(k, w);
        }
      };
      const s = symbols[w];
      const out: number[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) {
          // The left neighbour is read from `out`, so it may be a c made a moment ago ("aaaa" with a+a).
          if (out.length > 0) {
            const prev = out[out.length - 1];
            add(prev, a, -weight);
            add(prev, c, weight);
          }
          if (i + 2 < s.length) {
            add(b, s[i + 2], -weight);
            add(c, s[i + 2], weight);
          }
          out.push(c);
          i++;
        } else out.push(s[i]);
      }
      symbols[w] = out;
    }
    where.delete(key);
    for (const k of grown) {
      const n = pairCounts.get(k);
      if (n !== undefined) heap.push(n, k);
    }
    onProgress?.(tokens.length - alphabet.length, maxMerges);
  }
  return { tokens, merges };
}

/** Max-heap of (count, pair key): highest count first, then the smallest key. */
class PairHeap {
  private counts: number[] = [];
  private keys: number[] = [];

  get size(): number {
    return this.counts.length;
  }

  push(count: number, key: number): void {
    this.counts.push(count);
    this.keys.push(key);
    let i = this.counts.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): { count: number; key: number } {
    const top = { count: this.counts[0], key: this.keys[0] };
    const lastCount = this.counts.pop()!;
    const lastKey = this.keys.pop()!;
    if (this.counts.length > 0) {
      this.counts[0] = lastCount;
      this.keys[0] = lastKey;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < this.counts.length && this.before(l, best)) best = l;
        if (r < this.counts.length && this.before(r, best)) best = r;
        if (best === i) break;
        this.swap(i, best);
        i = best;
      }
    }
    return top;
  }

  private before(i: number, j: number): boolean {
    return (
      this.counts[i] > this.counts[j] || (this.counts[i] === this.counts[j] && this.keys[i] < this.keys[j])
    );
  }

  private swap(i: number, j: number): void {
    [this.counts[i], this.counts[j]] = [this.counts[j], this.counts[i]];
    [this.keys[i], this.keys[j]] = [this.keys[j], this.keys[i]];
  }
}
