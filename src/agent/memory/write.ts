// WRITE: nothing goes into memory blindly. For each new fact the model rates its importance, is shown the
// memories most like it, and decides as Mem0 does: ADD it, UPDATE one of them (the old text kept as
// history), DELETE one it contradicts, or NOOP. A decision naming a memory it was not shown writes nothing;
// an ADD of a text the store already holds becomes a NOOP, so the store never holds a memory twice; a fact
// that reads as instructions (trust.ts) is not kept at all.
import {
  importanceRequest,
  type MemoryLine,
  parseImportance,
  parseWriteDecision,
  type WriteDecision,
  writeRequest,
} from '../../chat/index.js';
import type { Embed } from '../tool-registry.js';
import { instructionFlags } from '../trust.js';
import type { Ask } from './ask.js';
import type { Memory, MemoryStore } from './store.js';

export interface WriteOptions {
  ask: Ask;
  embed: Embed;
  at: Date;
  /** Where the fact came from ("user", "tool:lookup", ...). */
  source: string;
  /** Memories shown to the model (default 5, the most similar by embedding). */
  similar?: number;
}

export interface WriteResult {
  decision: WriteDecision;
  /** What the reply said, when it was not a decision (nothing was written). */
  error?: string;
  importance: number;
  /** The memory added, updated, or (for DELETE) removed. */
  memory?: Memory;
  /** Why the fact reads as instructions; such a fact is not written (and the model is not asked). */
  flags?: string[];
}

/** Importance when the reply holds no rating: the middle of the scale. */
const DEFAULT_IMPORTANCE = 5;

export async function writeMemory(
  store: MemoryStore,
  fact: string,
  options: WriteOptions,
): Promise<WriteResult> {
  // A memory is read back into prompts later: text that tries to instruct the agent is data it must not keep.
  const flags = instructionFlags(fact);
  if (flags.length) return { decision: { op: 'NOOP' }, importance: 1, flags };
  const importance = parseImportance(await options.ask(importanceRequest(fact))) ?? DEFAULT_IMPORTANCE;
  const [embedded] = await options.embed([fact]);
  const embedding = Float32Array.from(embedded);
  const similar = mostSimilar(store, embedding, options.similar ?? 5);
  const parsed = parseWriteDecision(
    await options.ask(writeRequest(fact, similar)),
    similar.map((m) => m.id),
  );
  if ('error' in parsed) return { decision: { op: 'NOOP' }, error: parsed.error, importance };
  const { at, source } = options;
  switch (parsed.op) {
    case 'ADD': {
      const same = store.search(fact, 20).find((r) => normalise(r.memory.text) === normalise(fact));
      if (same) return { decision: { op: 'NOOP' }, importance, memory: same.memory };
      return {
        decision: parsed,
        importance,
        memory: store.add({ text: fact, kind: 'observation', importance, source, at, embedding }),
      };
    }
    case 'UPDATE': {
      const [vector] = await options.embed([parsed.text]);
      const memory = store.update(parsed.id, parsed.text, {
        at,
        embedding: Float32Array.from(vector),
        importance,
      });
      return { decision: parsed, importance, memory };
    }
    case 'DELETE': {
      const memory = store.get(parsed.id)!;
      store.delete(parsed.id, at);
      return { decision: parsed, importance, memory };
    }
    case 'NOOP':
      return { decision: parsed, importance };
  }
}

/** The `k` memories closest to an embedding, as the model is shown them. */
export function mostSimilar(store: MemoryStore, embedding: Float32Array, k: number): MemoryLine[] {
  const { ids, cosine } = store.similarities(embedding);
  const order = [...ids.keys()].sort((a, b) => cosine[b] - cosine[a]).slice(0, k);
  return order.map((i) => ({ id: ids[i], text: store.get(ids[i])!.text }));
}

const normalise = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
