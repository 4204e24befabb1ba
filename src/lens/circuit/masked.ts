// Running a model as a circuit: every edge, head and neuron scaled by its mask z in [0, 1], what is taken
// away replaced by its ablation value: x -> z * x + (1 - z) * ablated. A reader's input is rebuilt at the
// hook point where the block reads the residual stream (resid_pre for the mixer, resid_mid for the MLP,
// the last resid_post for the logits) from the outputs cached so far, so one writer can reach one reader
// and not another: for reader r, sum over writers w <= r of z_wr * (out_w - abl_w) + abl_w.
// With every mask 1 this is the model; with every mask 0 each reader sees only ablation values.
import type { LanguageModel } from '../../model/index.js';
import { HookContext, type HookFn } from '../../nn/index.js';
import { add, type IntTensor, mul, reshape, slice, sub, Tensor } from '../../tensor/index.js';
import { meanActivation } from '../interventions.js';
import { type CircuitGraph, edgeIndex, readerIndex, writerIndex } from './graph.js';

/** z for every edge [E], every mixer unit per block [units], every neuron per block [neurons]. */
export interface CircuitMasks {
  edges: Tensor;
  units: Tensor[];
  neurons: Tensor[];
}

/** What a removed part is replaced by: zero, or its mean over reference text (one vector per part). */
export type CircuitAblationKind = 'zero' | 'mean';

/** The values removed parts take; null where they are zero. */
export interface CircuitAblation {
  kind: CircuitAblationKind;
  /** Per writer, its output's value when removed [d]. */
  writers: (Float32Array | null)[];
  /** Per block, the head point's value [H * D], or the mixer output's [d] for a mixer without heads. */
  units: (Float32Array | null)[];
  /** Per block, the neurons' values [neurons]. */
  neurons: (Float32Array | null)[];
}

/** Masks that are all `value` (1: the whole model; 0: nothing but ablation values). */
export function constantMasks(graph: CircuitGraph, value: number): CircuitMasks {
  const filled = (n: number) => new Tensor(new Float32Array(n).fill(value), [n]);
  return {
    edges: filled(graph.edges.length),
    units: graph.units.map(filled),
    neurons: graph.neurons.map(filled),
  };
}

/** Zero ablation, or mean ablation over `reference` windows. */
export function circuitAblation(
  model: LanguageModel,
  graph: CircuitGraph,
  kind: CircuitAblationKind,
  reference: readonly IntTensor[] = [],
): CircuitAblation {
  if (kind === 'zero') {
    return {
      kind,
      writers: graph.writers.map(() => null),
      units: graph.units.map(() => null),
      neurons: graph.neurons.map(() => null),
    };
  }
  if (reference.length === 0) throw new Error('circuitAblation: mean ablation needs reference windows');
  const mean = (name: string) => meanActivation(model, name, reference).data;
  const L = graph.nLayer;
  const writerPoint = (i: number) => {
    const w = graph.writers[i];
    if (w.kind === 'embed') return 'blocks.0.hook_resid_pre';
    return `blocks.${w.layer}.${w.kind === 'mixer' ? 'hook_attn_out' : 'hook_mlp_out'}`;
  };
  return {
    kind,
    writers: graph.writers.map((_, i) => mean(writerPoint(i))),
    units: Array.from({ length: L }, (_, l) => mean(graph.headPoints[l] ?? `blocks.${l}.hook_attn_out`)),
    neurons: Array.from({ length: L }, (_, l) => mean(`blocks.${l}.mlp.hook_post`)),
  };
}

/** The logits of the model run as the circuit `masks` (differentiable in the masks outside noGrad). */
export function runCircuit(
  model: LanguageModel,
  ids: IntTensor,
  graph: CircuitGraph,
  masks: CircuitMasks,
  ablation: CircuitAblation,
): Tensor {
  checkMasks(graph, masks);
  const L = graph.nLayer;
  const d = model.config.nEmbd;
  const abl = ablation.writers.map((a) => (a ? new Tensor(a, [d]) : null));
  /** out_w - abl_w of the writers seen so far. */
  const delta: Tensor[] = [];
  const input = (reader: number): Tensor => {
    let x: Tensor | null = null;
    const base = new Float32Array(d);
    for (let w = 0; w <= reader; w++) {
      const e = edgeIndex(reader, w);
      const term = mul(delta[w], slice(masks.edges, 0, e, e + 1));
      x = x ? add(x, term) : term;
      const a = ablation.writers[w];
      if (a) for (let i = 0; i < d; i++) base[i] += a[i];
    }
    return ablation.kind === 'zero' ? x! : add(x!, new Tensor(base, [d]));
  };
  const write = (writer: number, t: Tensor) => {
    const a = abl[writer];
    delta[writer] = a ? sub(t, a) : t;
  };
  const masked = (t: Tensor, z: Tensor, ablated: Float32Array | null, zShape: number[]) => {
    if (!ablated) return mul(t, reshape(z, zShape));
    const a = new Tensor(ablated, t.shape.slice(2));
    return add(mul(sub(t, a), reshape(z, zShape)), a);
  };
  const fns = new Map<string, HookFn[]>();
  const on = (name: string, fn: HookFn) => fns.set(name, [...(fns.get(name) ?? []), fn]);
  for (let l = 0; l < L; l++) {
    const at = (p: string) => `blocks.${l}.${p}`;
    on(at('hook_resid_pre'), (t) => {
      if (l === 0) write(0, t);
      return input(readerIndex('mixer', l));
    });
    const headPoint = graph.headPoints[l];
    if (headPoint) {
      on(headPoint, (t) => masked(t, masks.units[l], ablation.units[l], [graph.units[l], 1]));
    }
    on(at('hook_attn_out'), (t) => {
      const out = headPoint ? t : masked(t, masks.units[l], ablation.units[l], [1]);
      write(writerIndex('mixer', l), out);
      return out;
    });
    on(at('hook_resid_mid'), () => input(readerIndex('mlp', l)));
    on(at('mlp.hook_post'), (t) => masked(t, masks.neurons[l], ablation.neurons[l], [graph.neurons[l]]));
    on(at('hook_mlp_out'), (t) => {
      write(writerIndex('mlp', l), t);
      return t;
    });
  }
  on(`blocks.${L - 1}.hook_resid_post`, () => input(readerIndex('logits', L)));
  return model.forward(ids, { hooks: new HookContext(fns) });
}

function checkMasks(graph: CircuitGraph, masks: CircuitMasks): void {
  const check = (what: string, t: Tensor, n: number) => {
    if (t.shape.length !== 1 || t.shape[0] !== n) {
      throw new Error(`runCircuit: ${what} mask of shape [${t.shape}], expected [${n}]`);
    }
  };
  check('edge', masks.edges, graph.edges.length);
  if (masks.units.length !== graph.nLayer || masks.neurons.length !== graph.nLayer) {
    throw new Error(`runCircuit: unit and neuron masks for ${graph.nLayer} blocks expected`);
  }
  for (let l = 0; l < graph.nLayer; l++) {
    check(`block ${l}'s unit`, masks.units[l], graph.units[l]);
    check(`block ${l}'s neuron`, masks.neurons[l], graph.neurons[l]);
  }
}
