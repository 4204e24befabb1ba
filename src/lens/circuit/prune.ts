// Circuits by pruning, as edge pruning (Bhaskar et al. 2024) finds them: learn a hard-concrete mask over
// the graph's edges, the mixers' heads (or whole mixers) and the MLPs' neurons that keeps the full model's
// next-token distribution on a task (KL at the answer position) while an L0 penalty removes as much as it
// can. Sweeping the penalty traces the faithfulness-vs-sparsity curve.

import { add, Generator, mul, Tensor } from '../../tensor/index.js';
import { AdamW } from '../../train/index.js';
import { withFrozenWeights } from '../frozen.js';
import { expectedL0, keptGate, sampleGate } from './hard-concrete.js';
import { type CircuitMasks, runCircuit } from './masked.js';
import { type CircuitScore, type CircuitScorer, klSum, lastLogProbs } from './task.js';

/** Which masks are learned; the others stay 1 (kept). */
export type MaskKind = 'edges' | 'units' | 'neurons';
export const MASK_KINDS: readonly MaskKind[] = ['edges', 'units', 'neurons'];

export interface PruneOptions {
  /** Weight of the L0 penalty: the mean over learned kinds of the expected share kept. */
  lambda: number;
  /** Default all three. */
  kinds?: readonly MaskKind[];
  /** Default 200. */
  steps?: number;
  /** Adam's rate on log_alpha (default 0.1). */
  lr?: number;
  seed?: number;
  /** log_alpha's start: 3 keeps nearly everything at first. */
  init?: number;
  onProgress?: (p: { step: number; steps: number; kl: number; kept: number }) => void;
}

export interface PrunedCircuit {
  lambda: number;
  masks: CircuitMasks;
  score: CircuitScore;
}

/** Learns a circuit for the scorer's task at one penalty; returns its binary masks and their score. */
export function pruneCircuit(scorer: CircuitScorer, options: PruneOptions): PrunedCircuit {
  const { model, graph } = scorer;
  const kinds = new Set(options.kinds ?? MASK_KINDS);
  const steps = options.steps ?? 200;
  const g = new Generator(options.seed ?? 0);
  const param = (n: number) => new Tensor(new Float32Array(n).fill(options.init ?? 3), [n]).requiresGrad_();
  const logAlpha = {
    edges: param(graph.edges.length),
    units: graph.units.map(param),
    neurons: graph.neurons.map(param),
  };
  const learned = [
    ...(kinds.has('edges') ? [[logAlpha.edges]] : []),
    ...(kinds.has('units') ? [logAlpha.units] : []),
    ...(kinds.has('neurons') ? [logAlpha.neurons] : []),
  ];
  if (learned.length === 0) throw new Error('pruneCircuit: no mask kind to learn');
  const optimizer = new AdamW(learned.flat(), { lr: options.lr ?? 0.1, weightDecay: 0 });
  const ones = (t: Tensor) => new Tensor(new Float32Array(t.data.length).fill(1), [...t.shape]);
  const masksFrom = (gate: (t: Tensor) => Tensor): CircuitMasks => ({
    edges: kinds.has('edges') ? gate(logAlpha.edges) : ones(logAlpha.edges),
    units: logAlpha.units.map((t) => (kinds.has('units') ? gate(t) : ones(t))),
    neurons: logAlpha.neurons.map((t) => (kinds.has('neurons') ? gate(t) : ones(t))),
  });
  withFrozenWeights(model, () => {
    for (let step = 1; step <= steps; step++) {
      const masks = masksFrom((t) => sampleGate(t, g));
      let loss: Tensor | null = null;
      for (const b of scorer.batches) {
        const lp = lastLogProbs(runCircuit(model, b.ids, graph, masks, scorer.ablation));
        const kl = mul(klSum(b.fullLogProbs, lp), 1 / scorer.prompts);
        loss = loss ? add(loss, kl) : kl;
      }
      const kl = loss!.data[0];
      let kept: Tensor | null = null;
      for (const group of learned) {
        const n = group.reduce((s, t) => s + t.data.length, 0);
        for (const t of group) {
          const share = mul(expectedL0(t), 1 / (n * learned.length));
          kept = kept ? add(kept, share) : share;
        }
      }
      loss = add(loss!, mul(kept!, options.lambda));
      optimizer.zeroGrad();
      loss.backward();
      optimizer.step();
      if (options.onProgress && (step % 20 === 0 || step === steps)) {
        options.onProgress({ step, steps, kl, kept: kept!.data[0] });
      }
    }
  });
  const masks = masksFrom(keptGate);
  return { lambda: options.lambda, masks, score: scorer.score(masks) };
}

/** One circuit per penalty: the faithfulness-vs-sparsity curve. */
export function pruningCurve(
  scorer: CircuitScorer,
  lambdas: readonly number[],
  options: Omit<PruneOptions, 'lambda'> = {},
): PrunedCircuit[] {
  return lambdas.map((lambda) => pruneCircuit(scorer, { ...options, lambda }));
}
