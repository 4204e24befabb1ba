// Ablation: take a component out (zero it, replace it by its mean over a reference set, or by its value on
// another input, "resample") and measure what the model loses. A sweep ranks components by that effect.
// Components are named in model terms (a head, a mixer, an MLP, a neuron, a whole layer) and mapped here to
// hook points, so the same sweep runs on every mixer: heads exist where the mixer has a per-head output.
import type { LanguageModel } from '../model/index.js';
import { crossEntropy, Generator, IntTensor, noGrad, Tensor } from '../tensor/index.js';
import { runWithCache } from './cache.js';
import { type Hook, runWithHooks, type Where, withSites } from './hooks.js';
import { meanAblate, meanActivation, zeroAblate } from './interventions.js';

export type Component =
  | { kind: 'layer'; layer: number }
  | { kind: 'mixer'; layer: number }
  | { kind: 'head'; layer: number; head: number }
  | { kind: 'mlp'; layer: number }
  | { kind: 'neuron'; layer: number; neuron: number };

export type AblationMethod = 'zero' | 'mean' | 'resample';

/** "L2.H1", "L0.mixer", "L3.mlp", "L1.N37", "L2": short labels for tables and plots. */
export function componentLabel(c: Component): string {
  switch (c.kind) {
    case 'layer':
      return `L${c.layer}`;
    case 'mixer':
      return `L${c.layer}.mixer`;
    case 'head':
      return `L${c.layer}.H${c.head}`;
    case 'mlp':
      return `L${c.layer}.mlp`;
    case 'neuron':
      return `L${c.layer}.N${c.neuron}`;
  }
}

/**
 * The per-head output point of a layer's mixer ([B, T, H, D] before the output projection): attention's
 * hook_z, the linear-attention family's hook_o; null for mixers without heads (Mamba, LSTM).
 */
export function headPoint(model: LanguageModel, layer: number): string | null {
  const points = model.hookPoints();
  return [`blocks.${layer}.attn.hook_z`, `blocks.${layer}.mixer.hook_o`].find((p) => points.has(p)) ?? null;
}

/** The hook points and sites that hold a component's output. */
export function componentSites(model: LanguageModel, c: Component): { name: string; where: Where }[] {
  const n = model.config.nLayer;
  if (!Number.isInteger(c.layer) || c.layer < 0 || c.layer >= n) {
    throw new Error(`ablation: layer ${c.layer} of ${componentLabel(c)} is out of range for ${n} layers`);
  }
  const at = (point: string) => `blocks.${c.layer}.${point}`;
  switch (c.kind) {
    case 'layer':
      return [
        { name: at('hook_attn_out'), where: {} },
        { name: at('hook_mlp_out'), where: {} },
      ];
    case 'mixer':
      return [{ name: at('hook_attn_out'), where: {} }];
    case 'mlp':
      return [{ name: at('hook_mlp_out'), where: {} }];
    case 'neuron':
      return [{ name: at('mlp.hook_post'), where: { neurons: [c.neuron] } }];
    case 'head': {
      const name = headPoint(model, c.layer);
      if (!name)
        throw new Error(`ablation: layer ${c.layer}'s mixer has no heads to ablate (${componentLabel(c)})`);
      return [{ name, where: { heads: [c.head] } }];
    }
  }
}

/** Every component of the given kinds (neurons of every MLP when asked: many). */
export function listComponents(model: LanguageModel, kinds: readonly Component['kind'][]): Component[] {
  const out: Component[] = [];
  const { nLayer, nHead } = model.config;
  for (let layer = 0; layer < nLayer; layer++) {
    for (const kind of kinds) {
      if (kind === 'layer' || kind === 'mixer' || kind === 'mlp') out.push({ kind, layer });
      if (kind === 'head' && headPoint(model, layer)) {
        for (let head = 0; head < nHead; head++) out.push({ kind, layer, head });
      }
      if (kind === 'neuron') {
        for (let neuron = 0; neuron < mlpWidth(model, layer); neuron++) out.push({ kind, layer, neuron });
      }
    }
  }
  return out;
}

function mlpWidth(model: LanguageModel, layer: number): number {
  const mlp = model.transformer.h[layer].mlp;
  return ('c_proj' in mlp ? mlp.c_proj : mlp.down_proj).weight.shape[1];
}

/**
 * Resample ablation: each sequence of the batch gets, at the selected sites, the activation of a sequence
 * drawn (seeded) from `pool` ([N, T, ...], the same point cached on other inputs of the same length).
 */
export function resampleAblate(name: string, pool: Tensor, options: Where & { seed?: number } = {}): Hook {
  const { seed = 0, ...where } = options;
  return {
    name,
    ...where,
    fn: (t, s) => {
      if (pool.shape.slice(1).join() !== t.shape.slice(1).join()) {
        throw new Error(`resampleAblate: a pool of [${pool.shape}] for ${name} of shape [${t.shape}]`);
      }
      const g = new Generator(seed);
      const row = t.data.length / t.shape[0];
      const out = new Float32Array(t.data.length);
      for (let b = 0; b < t.shape[0]; b++) {
        const from = g.randint(pool.shape[0]) * row;
        out.set(pool.data.subarray(from, from + row), b * row);
      }
      return withSites(t, s, new Tensor(out, [...t.shape]));
    },
  };
}

/** What an ablation is measured against: a reference set (mean) or a pool to resample from. */
export interface AblationReference {
  /** Sequences of the same length as the ablated input (for resample); for mean, any lengths. */
  ids: readonly IntTensor[];
  seed?: number;
}

/**
 * The hooks that ablate a component by a method. `memo` keeps the reference's mean or pool per hook point,
 * so a sweep over a layer's heads or neurons runs the reference once, not once per component.
 */
export function ablationHooks(
  model: LanguageModel,
  c: Component,
  method: AblationMethod,
  reference?: AblationReference,
  memo: Map<string, Tensor> = new Map(),
): Hook[] {
  return componentSites(model, c).map(({ name, where }) => {
    if (method === 'zero') return zeroAblate(name, where);
    if (!reference || reference.ids.length === 0) {
      throw new Error(`ablation: ${method} ablation of ${componentLabel(c)} needs reference inputs`);
    }
    const key = `${method} ${name}`;
    let values = memo.get(key);
    if (!values) {
      values =
        method === 'mean'
          ? meanActivation(model, name, reference.ids)
          : concatRows(
              reference.ids.map((ids) => runWithCache(model, ids, { names: [name] }).cache.get(name)),
            );
      memo.set(key, values);
    }
    if (method === 'mean') return meanAblate(name, values, where);
    return resampleAblate(name, values, { ...where, seed: reference.seed });
  });
}

function concatRows(ts: readonly Tensor[]): Tensor {
  const inner = ts[0].shape.slice(1);
  for (const t of ts) {
    if (t.shape.slice(1).join() !== inner.join()) {
      throw new Error(
        `resample ablation: reference activations of shapes [${ts[0].shape}] and [${t.shape}] differ`,
      );
    }
  }
  const data = new Float32Array(ts.reduce((a, t) => a + t.data.length, 0));
  let at = 0;
  for (const t of ts) {
    data.set(t.data, at);
    at += t.data.length;
  }
  return new Tensor(data, [ts.reduce((a, t) => a + t.shape[0], 0), ...inner]);
}

/** A metric of a forward pass: a number from the logits. */
export type Metric = (logits: Tensor) => number;

/** Mean next-token cross-entropy of ids [B, T] (the loss on ordinary text). */
export function lossMetric(ids: IntTensor): Metric {
  const [B, T] = ids.shape;
  const inputs = Int32Array.from(
    { length: B * (T - 1) },
    (_, i) => Math.floor(i / (T - 1)) * T + (i % (T - 1)),
  );
  const targets = new Int32Array(B * (T - 1)).map((_, i) => ids.data[inputs[i] + 1]);
  return (logits) => {
    const V = logits.shape[2];
    const rows = new Float32Array(B * (T - 1) * V);
    inputs.forEach((at, i) => {
      rows.set(logits.data.subarray(at * V, (at + 1) * V), i * V);
    });
    const t = new Tensor(rows, [B * (T - 1), V]);
    return crossEntropy(t, new IntTensor(targets, [B * (T - 1)])).item();
  };
}

/** logit(answer) - logit(foil) at the last position, averaged over the batch (or one logit with no foil). */
export function logitDiffMetric(answer: number, foil?: number): Metric {
  return (logits) => {
    const [B, T, V] = logits.shape;
    let total = 0;
    for (let b = 0; b < B; b++) {
      const at = (b * T + T - 1) * V;
      total += logits.data[at + answer] - (foil === undefined ? 0 : logits.data[at + foil]);
    }
    return total / B;
  };
}

export interface AblationRow {
  component: Component;
  label: string;
  /** The metric with the component ablated. */
  metric: number;
  /** metric - baseline. */
  effect: number;
}

/**
 * Ablates each component in turn (one forward each) and ranks them by the size of their effect on the
 * metric: the table of which parts matter.
 */
export function ablationSweep(
  model: LanguageModel,
  ids: IntTensor,
  options: {
    components: readonly Component[];
    method: AblationMethod;
    metric: Metric;
    reference?: AblationReference;
    onProgress?: (done: number, total: number) => void;
  },
): { baseline: number; rows: AblationRow[] } {
  const baseline = options.metric(noGrad(() => model.forward(ids)));
  const memo = new Map<string, Tensor>();
  const rows = options.components.map((component, i) => {
    const hooks = ablationHooks(model, component, options.method, options.reference, memo);
    const metric = options.metric(runWithHooks(model, ids, hooks));
    options.onProgress?.(i + 1, options.components.length);
    return { component, label: componentLabel(component), metric, effect: metric - baseline };
  });
  rows.sort((a, b) => Math.abs(b.effect) - Math.abs(a.effect));
  return { baseline, rows };
}
