// The baseline: ACDC's greedy search (Conmy et al. 2023). Walk the readers from the logits back to the
// first mixer; for each edge into the reader, latest writer first, remove it and keep it removed when the
// KL to the full model grows by less than the threshold. A larger threshold gives a smaller circuit.
import { Tensor } from '../../tensor/index.js';
import { edgeIndex } from './graph.js';
import { type CircuitMasks, constantMasks } from './masked.js';
import type { CircuitScore, CircuitScorer } from './task.js';

export interface AcdcCircuit {
  threshold: number;
  masks: CircuitMasks;
  score: CircuitScore;
}

/** ACDC over the edges (heads and neurons all kept), one circuit per threshold. */
export function acdc(scorer: CircuitScorer, threshold: number): AcdcCircuit {
  const { graph } = scorer;
  const full = constantMasks(graph, 1);
  const edges = full.edges.data;
  const masks = (): CircuitMasks => ({ ...full, edges: new Tensor(edges, [edges.length]) });
  let current = scorer.kl(masks());
  for (let reader = graph.readers.length - 1; reader >= 0; reader--) {
    for (let writer = reader; writer >= 0; writer--) {
      const e = edgeIndex(reader, writer);
      edges[e] = 0;
      const kl = scorer.kl(masks());
      if (kl - current < threshold) current = kl;
      else edges[e] = 1;
    }
  }
  return { threshold, masks: masks(), score: scorer.score(masks()) };
}

export function acdcCurve(scorer: CircuitScorer, thresholds: readonly number[]): AcdcCircuit[] {
  return thresholds.map((t) => acdc(scorer, t));
}
