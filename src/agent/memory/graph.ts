// The knowledge graph (GraphRAG, with time): the model reads an observation's facts as triples, each an
// edge from subject to object that holds from a time on and records when the agent learned it; a
// contradicting fact closes the old edge instead of deleting it, so "where did Ada live in March?" keeps an
// answer (store.ts, assertEdge). Reading follows the graph two ways:
//   local   from the entities a question names out through their neighbourhood, at a time;
//   global  communities of the graph (Louvain, graphology), the question put to each community's facts,
//           the partial answers combined (map, then reduce).
import { MultiDirectedGraph, UndirectedGraph } from 'graphology';
import louvainModule from 'graphology-communities-louvain';
import {
  communityRequest,
  formatTriple,
  isNone,
  parseTriples,
  reduceRequest,
  triplesRequest,
} from '../../chat/index.js';
import { Generator } from '../../tensor/index.js';
import type { Ask } from './ask.js';
import type { GraphEdge, MemoryStore } from './store.js';

// The package's types describe a CommonJS `exports.default`; imported as ESM, the default is the function.
const louvain = louvainModule as unknown as typeof louvainModule.default;

/** An edge as the model is shown it: the triple, and since when (and until when) it held. */
export function formatEdge(e: GraphEdge): string {
  const day = (d: Date) => d.toISOString().slice(0, 10);
  return `${formatTriple(e)} (from ${day(e.validFrom)}${e.validUntil ? ` until ${day(e.validUntil)}` : ''})`;
}

/** The facts an observation states, as the model reads them, added to the graph. */
export async function rememberFacts(
  store: MemoryStore,
  observation: string,
  options: {
    ask: Ask;
    at: Date;
    learnedAt?: Date;
    memoryId?: number;
    functional: (relation: string) => boolean;
  },
): Promise<GraphEdge[]> {
  const triples = parseTriples(await options.ask(triplesRequest(observation)));
  return triples.map(
    (t) =>
      store.assertEdge({
        ...t,
        validFrom: options.at,
        learnedAt: options.learnedAt ?? options.at,
        memoryId: options.memoryId ?? null,
        functional: options.functional(t.relation),
      }).edge,
  );
}

/** The edges holding at `at`, as a graphology multigraph (nodes: entities; edges keyed by id). */
export function knowledgeGraph(store: MemoryStore, at?: Date): MultiDirectedGraph {
  const graph = new MultiDirectedGraph();
  for (const e of store.edges({ at })) {
    graph.mergeNode(e.subject);
    graph.mergeNode(e.object);
    graph.addDirectedEdgeWithKey(String(e.id), e.subject, e.object, { ...e });
  }
  return graph;
}

/** Local search: the edges within `depth` hops of the named entities, at `at` (all times when absent). */
export function localSearch(
  store: MemoryStore,
  entities: readonly string[],
  options: { at?: Date; depth?: number } = {},
): GraphEdge[] {
  const seen = new Set<string>(entities);
  let frontier = [...entities];
  const found = new Map<number, GraphEdge>();
  for (let hop = 0; hop < (options.depth ?? 1) && frontier.length > 0; hop++) {
    const next: string[] = [];
    for (const entity of frontier) {
      for (const e of store.edges({ at: options.at, entity })) {
        found.set(e.id, e);
        for (const n of [e.subject, e.object]) {
          if (!seen.has(n)) {
            seen.add(n);
            next.push(n);
          }
        }
      }
    }
    frontier = next;
  }
  return [...found.values()].sort((a, b) => a.id - b.id);
}

export interface Community {
  members: string[];
  edges: GraphEdge[];
}

/** The graph's communities at `at` by Louvain (seeded, so the same graph splits the same way). */
export function communities(store: MemoryStore, options: { at?: Date; seed?: number } = {}): Community[] {
  const edges = store.edges({ at: options.at });
  const graph = new UndirectedGraph();
  for (const e of edges) {
    graph.mergeNode(e.subject);
    graph.mergeNode(e.object);
    if (e.subject !== e.object) graph.mergeEdge(e.subject, e.object);
  }
  if (graph.order === 0) return [];
  const g = new Generator(options.seed ?? 0);
  const of = louvain(graph, { rng: () => g.random() });
  const groups = new Map<number, Community>();
  for (const node of graph.nodes()) {
    const c = groups.get(of[node]) ?? { members: [], edges: [] };
    c.members.push(node);
    groups.set(of[node], c);
  }
  for (const e of edges) groups.get(of[e.subject])!.edges.push(e);
  return [...groups.values()].sort((a, b) => b.members.length - a.members.length);
}

/**
 * Global search: the question put to every community's facts (map), the answers that say something
 * combined by the model (reduce). Returns the answer and the partial answers.
 */
export async function globalSearch(
  store: MemoryStore,
  question: string,
  options: { ask: Ask; at?: Date; seed?: number },
): Promise<{ answer: string; partials: string[] }> {
  const partials: string[] = [];
  for (const c of communities(store, options)) {
    const reply = (await options.ask(communityRequest(question, c.edges.map(formatEdge)))).trim();
    if (reply && !isNone(reply)) partials.push(reply);
  }
  if (partials.length === 0) return { answer: 'NONE', partials };
  const answer =
    partials.length === 1 ? partials[0] : (await options.ask(reduceRequest(question, partials))).trim();
  return { answer, partials };
}
