// READ: which memories go into the prompt now, scored as Generative Agents (Park et al. 2023) does:
//   recency    = decay ^ (hours since the memory was last read), decay 0.995 by default
//   importance = its 1-10 rating
//   relevance  = cosine of its embedding to the query's
// each min-max normalised over the candidates to [0, 1], then summed with weights (1, 1, 1 by default).
// The memories chosen are marked as read, so what keeps being used stays recent.
import type { Memory, MemoryStore } from './store.js';

export interface ReadWeights {
  recency: number;
  importance: number;
  relevance: number;
}

export interface ReadOptions {
  now: Date;
  /** Memories to return (default 5). */
  k?: number;
  /** Recency's decay per hour (default 0.995). */
  decay?: number;
  weights?: Partial<ReadWeights>;
  /** Leave the chosen memories' last-read time as it was (default false). */
  peek?: boolean;
}

export interface ReadMemory {
  memory: Memory;
  score: number;
  /** The three components after min-max normalisation, each in [0, 1]. */
  recency: number;
  importance: number;
  relevance: number;
}

const HOUR_MS = 3_600_000;

/** The k best memories for a query embedding (memories without an embedding have relevance 0). */
export function readMemories(store: MemoryStore, query: Float32Array, options: ReadOptions): ReadMemory[] {
  const k = options.k ?? 5;
  const decay = options.decay ?? 0.995;
  const w = { recency: 1, importance: 1, relevance: 1, ...options.weights };
  const { ids, importance, accessedAt } = store.scores();
  const n = ids.length;
  if (n === 0) return [];
  const relevance = store.relevance(query);
  const now = options.now.getTime();
  const norm = {
    recency: minMax(accessedAt.map((t) => decay ** (Math.max(0, now - t) / HOUR_MS))),
    importance: minMax(importance),
    relevance: minMax(Array.from(relevance)),
  };
  // The k best by score, ties to the older memory: one pass keeping a short sorted list.
  const best: { i: number; score: number }[] = [];
  for (let i = 0; i < n; i++) {
    const score =
      w.recency * norm.recency[i] + w.importance * norm.importance[i] + w.relevance * norm.relevance[i];
    if (best.length === k && score <= best[k - 1].score) continue;
    let at = best.length;
    while (at > 0 && best[at - 1].score < score) at--;
    best.splice(at, 0, { i, score });
    if (best.length > k) best.pop();
  }
  const chosen = best.map(({ i, score }) => ({
    id: ids[i],
    score,
    recency: norm.recency[i],
    importance: norm.importance[i],
    relevance: norm.relevance[i],
  }));
  if (!options.peek)
    store.touch(
      chosen.map((b) => b.id),
      options.now,
    );
  return chosen.map(({ id, ...parts }) => ({ memory: store.get(id)!, ...parts }));
}

/** Scaled to [0, 1] over the set; all equal gives all 0 (no information to rank by). */
export function minMax(xs: readonly number[]): number[] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const x of xs) {
    lo = Math.min(lo, x);
    hi = Math.max(hi, x);
  }
  return xs.map((x) => (hi > lo ? (x - lo) / (hi - lo) : 0));
}

/** The memories as the prompt shows them: when, from where, what. */
export function formatMemories(read: readonly ReadMemory[]): string {
  return read
    .map(
      ({ memory: m }) =>
        `- [${m.createdAt.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${m.source}] ${m.text}`,
    )
    .join('\n');
}
