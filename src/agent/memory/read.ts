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
  const rows = store.scores();
  if (rows.length === 0) return [];
  const { ids, cosine } = store.similarities(query);
  const relevanceOf = new Map(ids.map((id, i) => [id, cosine[i]]));
  const now = options.now.getTime();
  const raw = {
    recency: rows.map((r) => decay ** (Math.max(0, now - r.accessedAt) / HOUR_MS)),
    importance: rows.map((r) => r.importance),
    relevance: rows.map((r) => relevanceOf.get(r.id) ?? 0),
  };
  const norm = {
    recency: minMax(raw.recency),
    importance: minMax(raw.importance),
    relevance: minMax(raw.relevance),
  };
  const scored = rows.map((r, i) => ({
    id: r.id,
    recency: norm.recency[i],
    importance: norm.importance[i],
    relevance: norm.relevance[i],
    score: w.recency * norm.recency[i] + w.importance * norm.importance[i] + w.relevance * norm.relevance[i],
  }));
  scored.sort((a, b) => b.score - a.score || a.id - b.id);
  const best = scored.slice(0, k);
  if (!options.peek)
    store.touch(
      best.map((b) => b.id),
      options.now,
    );
  return best.map(({ id, ...parts }) => ({ memory: store.get(id)!, ...parts }));
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
