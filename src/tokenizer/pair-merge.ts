// The merge loop Hugging Face's BPE model and SentencePiece's BPE share: of all adjacent pairs that may
// merge, the best (lowest rank) merges first, the leftmost among equals; the merged symbol then forms
// new pairs with its neighbours. A heap over (rank, position) and a linked list of symbols make a word
// of n symbols cost O(n log n), which matters because SentencePiece-style files do not pre-tokenise:
// a whole paragraph is one word.

/** What a pair of adjacent symbols merges into, and how early (lower rank merges first). */
export type PairLookup<S> = (left: S, right: S) => { rank: number; merged: S } | undefined;

/** Merges a copy of `symbols` until no pair merges; returns the symbols left, left to right. */
export function mergePairs<S>(symbols: readonly S[], lookup: PairLookup<S>): S[] {
  const n = symbols.length;
  if (n < 2) return [...symbols];
  const value = [...symbols];
  const next = Int32Array.from({ length: n }, (_, i) => (i + 1 < n ? i + 1 : -1));
  const prev = Int32Array.from({ length: n }, (_, i) => i - 1);
  const alive = new Uint8Array(n).fill(1);
  const heap = new MergeHeap<S>();
  const offer = (left: number) => {
    const right = next[left];
    if (left < 0 || right < 0) return;
    const hit = lookup(value[left], value[right]);
    if (hit) heap.push({ ...hit, left, right, leftValue: value[left], rightValue: value[right] });
  };
  for (let i = 0; i + 1 < n; i++) offer(i);
  for (let top = heap.pop(); top; top = heap.pop()) {
    const { left, right } = top;
    // An entry is stale once either symbol has merged since it was offered.
    if (!alive[left] || next[left] !== right || value[left] !== top.leftValue) continue;
    if (value[right] !== top.rightValue) continue;
    value[left] = top.merged;
    alive[right] = 0;
    next[left] = next[right];
    if (next[right] >= 0) prev[next[right]] = left;
    offer(prev[left]);
    offer(left);
  }
  const out: S[] = [];
  for (let i = 0; i >= 0; i = next[i]) out.push(value[i]);
  return out;
}

interface Entry<S> {
  rank: number;
  left: number;
  right: number;
  leftValue: S;
  rightValue: S;
  merged: S;
}

/** A binary min-heap on (rank, left position). */
class MergeHeap<S> {
  private readonly items: Entry<S>[] = [];

  push(entry: Entry<S>): void {
    const items = this.items;
    items.push(entry);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(items[i], items[parent])) break;
      [items[i], items[parent]] = [items[parent], items[i]];
      i = parent;
    }
  }

  pop(): Entry<S> | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < items.length && before(items[l], items[best])) best = l;
        if (r < items.length && before(items[r], items[best])) best = r;
        if (best === i) break;
        [items[i], items[best]] = [items[best], items[i]];
        i = best;
      }
    }
    return top;
  }
}

function before<S>(a: Entry<S>, b: Entry<S>): boolean {
  return a.rank < b.rank || (a.rank === b.rank && a.left < b.left);
}
