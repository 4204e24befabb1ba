// The graph a circuit is cut from. Writers put a vector into the residual stream (the embeddings, each
// block's mixer and MLP); readers take one out (each mixer and MLP, and the logits); an edge is one
// writer's contribution to one reader's input, which a block computes as the sum of everything written
// before it. Inside the components, the units: a mixer's heads (one unit for a mixer without heads) and an
// MLP's neurons.
import type { LanguageModel } from '../../model/index.js';
import { headPoint } from '../ablation.js';

export type WriterKind = 'embed' | 'mixer' | 'mlp';
export type ReaderKind = 'mixer' | 'mlp' | 'logits';

export interface GraphNode<K extends string> {
  kind: K;
  /** The block; -1 for the embeddings, nLayer for the logits. */
  layer: number;
  label: string;
}

export interface Edge {
  /** Indices into writers and readers: reader r reads writers 0..r. */
  writer: number;
  reader: number;
}

export interface CircuitGraph {
  nLayer: number;
  writers: GraphNode<WriterKind>[];
  readers: GraphNode<ReaderKind>[];
  edges: Edge[];
  /** Per block: the mixer's heads (its head point), or null when it has none and is one unit. */
  headPoints: (string | null)[];
  /** Per block: units of the mixer (heads, or 1). */
  units: number[];
  /** Per block: MLP neurons. */
  neurons: number[];
}

export const writerIndex = (kind: 'mixer' | 'mlp', layer: number): number =>
  1 + 2 * layer + (kind === 'mlp' ? 1 : 0);
export const readerIndex = (kind: ReaderKind, layer: number): number =>
  kind === 'logits' ? 2 * layer : 2 * layer + (kind === 'mlp' ? 1 : 0);

/** The index of the edge from `writer` into `reader` in CircuitGraph.edges (reader-major). */
export const edgeIndex = (reader: number, writer: number): number => (reader * (reader + 1)) / 2 + writer;

export function circuitGraph(model: LanguageModel): CircuitGraph {
  const L = model.config.nLayer;
  const writers: GraphNode<WriterKind>[] = [{ kind: 'embed', layer: -1, label: 'embed' }];
  const readers: GraphNode<ReaderKind>[] = [];
  const headPoints: (string | null)[] = [];
  const units: number[] = [];
  const neurons: number[] = [];
  for (let layer = 0; layer < L; layer++) {
    const mixer = headPoint(model, layer) ? 'attn' : 'mixer';
    writers.push(
      { kind: 'mixer', layer, label: `${mixer} ${layer}` },
      { kind: 'mlp', layer, label: `mlp ${layer}` },
    );
    readers.push(
      { kind: 'mixer', layer, label: `${mixer} ${layer}` },
      { kind: 'mlp', layer, label: `mlp ${layer}` },
    );
    headPoints.push(headPoint(model, layer));
    units.push(headPoints[layer] ? model.config.nHead : 1);
    const mlp = model.transformer.h[layer].mlp;
    neurons.push(('c_proj' in mlp ? mlp.c_proj : mlp.down_proj).weight.shape[1]);
  }
  readers.push({ kind: 'logits', layer: L, label: 'logits' });
  const edges: Edge[] = [];
  for (let reader = 0; reader < readers.length; reader++) {
    for (let writer = 0; writer <= reader; writer++) edges.push({ writer, reader });
  }
  return { nLayer: L, writers, readers, edges, headPoints, units, neurons };
}
