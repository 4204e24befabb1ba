// A found circuit as a picture: the embeddings at the bottom, each block's mixer (left; its heads as small
// squares, red when kept) and MLP (right; the share of neurons kept), the logits at the top, and the edges
// kept. A component no kept edge leaves is drawn faded.
import { type GraphBox, graphSvg } from '../../plot/index.js';
import type { CircuitGraph, GraphNode } from './graph.js';
import type { CircuitMasks } from './masked.js';

const boxId = (n: GraphNode<string>) =>
  n.kind === 'embed' || n.kind === 'logits' ? n.kind : `${n.kind}${n.layer}`;

export function circuitSvg(
  graph: CircuitGraph,
  masks: CircuitMasks,
  title: string,
  subtitle?: string,
): string {
  const L = graph.nLayer;
  const kept = graph.edges.filter((_, e) => masks.edges.data[e] > 0.5);
  const used = new Set(kept.map((e) => boxId(graph.writers[e.writer])));
  const rows = 2 * L + 1;
  const boxes: GraphBox[] = [
    { id: 'embed', label: 'embed', x: 0.45, y: 0, faded: !used.has('embed') },
    { id: 'logits', label: 'logits', x: 0.45, y: 1 },
  ];
  for (let l = 0; l < L; l++) {
    const units = Array.from(masks.units[l].data, (v) => v > 0.5);
    const neurons = masks.neurons[l].data;
    const on = neurons.reduce((s, v) => s + (v > 0.5 ? 1 : 0), 0);
    boxes.push(
      {
        id: `mixer${l}`,
        label: graph.writers[1 + 2 * l].label,
        x: 0.1,
        y: (2 * l + 1) / rows,
        faded: !used.has(`mixer${l}`),
        ...(graph.headPoints[l] ? { cells: units } : { detail: units[0] ? 'kept' : 'output removed' }),
      },
      {
        id: `mlp${l}`,
        label: `mlp ${l}`,
        x: 0.8,
        y: (2 * l + 2) / rows,
        faded: !used.has(`mlp${l}`),
        detail: `${on}/${neurons.length} neurons`,
      },
    );
  }
  const links = kept.map((e) => ({
    from: boxId(graph.writers[e.writer]),
    to: boxId(graph.readers[e.reader]),
  }));
  return graphSvg({ title, subtitle, boxes, links });
}
