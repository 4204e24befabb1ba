// Steering: directions in an activation space, found from contrastive prompts, and hooks that add them,
// subtract them or project them out while the model runs or writes. The refusal direction (Arditi et al.
// 2024) is a difference of means; representation engineering takes the first principal component of
// paired differences; an in-context vector (Liu et al. 2023) is that component of what demonstrations'
// outputs add over their inputs, put into every layer so the demonstrations need not be in the prompt.
import type { LanguageModel } from '../model/index.js';
import { type IntTensor, noGrad, Tensor } from '../tensor/index.js';
import { runWithCache } from './cache.js';
import type { Hook, Where } from './hooks.js';

/**
 * Steering along a direction [d] (the activation's last dim): `add` adds scale * direction at the selected
 * sites (every position by default); `project` removes the component along it (the refusal-direction
 * ablation), leaving x - (x . u) u with u the unit direction.
 */
export function steer(
  name: string,
  direction: Tensor,
  options: { mode?: 'add' | 'project'; scale?: number } & Where = {},
): Hook {
  const { mode = 'add', scale = 1, ...where } = options;
  const d = direction.data;
  const norm = Math.sqrt(d.reduce((a, v) => a + v * v, 0));
  if (mode === 'project' && norm === 0) throw new Error('steer: cannot project out a zero direction');
  return {
    name,
    ...where,
    fn: (t, s) => {
      const last = t.shape[t.ndim - 1];
      if (last !== d.length) {
        throw new Error(`steer: a direction of ${d.length} for ${name} of shape [${t.shape}]`);
      }
      const out = t.data.slice();
      const chosen = new Uint8Array(out.length);
      for (const i of s.indices) chosen[i] = 1;
      for (let row = 0; row < out.length; row += last) {
        if (mode === 'add') {
          for (let j = 0; j < last; j++) if (chosen[row + j]) out[row + j] += scale * d[j];
          continue;
        }
        let dot = 0;
        for (let j = 0; j < last; j++) dot += out[row + j] * d[j];
        const c = dot / (norm * norm);
        for (let j = 0; j < last; j++) if (chosen[row + j]) out[row + j] -= c * d[j];
      }
      return new Tensor(out, [...t.shape]);
    },
  };
}

/**
 * The activation at each prompt's last position, one row per sequence: [n, d] as Float64Array rows.
 * The point must be residual-like ([B, T, d]).
 */
export function lastPositionActivations(
  model: LanguageModel,
  name: string,
  prompts: readonly IntTensor[],
): Float64Array[] {
  return noGrad(() =>
    prompts.flatMap((ids) => {
      const t = runWithCache(model, ids, { names: [name] }).cache.get(name);
      if (t.ndim !== 3)
        throw new Error(`steering: ${name} is [${t.shape}], not a residual-like [batch, seq, d] point`);
      const [B, T, d] = t.shape;
      return Array.from({ length: B }, (_, b) =>
        Float64Array.from(t.data.subarray((b * T + T - 1) * d, (b * T + T) * d)),
      );
    }),
  );
}

/**
 * A direction from contrastive prompts: the mean activation at each prompt's last position over
 * `positive` minus the same over `negative` (difference of means), [d].
 */
export function meanDifference(
  model: LanguageModel,
  name: string,
  positive: readonly IntTensor[],
  negative: readonly IntTensor[],
): Tensor {
  const p = meanRow(lastPositionActivations(model, name, positive), 'positive');
  const n = meanRow(lastPositionActivations(model, name, negative), 'negative');
  return new Tensor(
    Float32Array.from(p, (v, j) => v - n[j]),
    [p.length],
  );
}

/**
 * The first principal component of paired differences positive[i] - negative[i] at the last position:
 * the unit direction that explains most of their second moment (uncentred, so differences that all point
 * one way give that way rather than their spread), signed to agree with their mean. [d]
 */
export function pairedPrincipalComponent(
  model: LanguageModel,
  name: string,
  positive: readonly IntTensor[],
  negative: readonly IntTensor[],
): Tensor {
  const p = lastPositionActivations(model, name, positive);
  const n = lastPositionActivations(model, name, negative);
  if (p.length !== n.length) {
    throw new Error(
      `pairedPrincipalComponent: ${p.length} positive and ${n.length} negative sequences do not pair up`,
    );
  }
  return new Tensor(Float32Array.from(firstComponent(p.map((row, i) => row.map((v, j) => v - n[i][j])))), [
    p[0].length,
  ]);
}

/**
 * The top eigenvector of sum_i r_i r_i^T by power iteration, started from (and signed like) the mean row.
 * Hand-written: d is at most a few hundred here and this is the one decomposition the lens needs.
 */
export function firstComponent(rows: readonly Float64Array[], iterations = 200): Float64Array {
  const d = rows[0]?.length ?? 0;
  const m = meanRow(rows, 'rows');
  let v = m.slice();
  if (norm(v) === 0) v = new Float64Array(d).fill(1);
  scale(v, 1 / norm(v));
  for (let it = 0; it < iterations; it++) {
    const next = new Float64Array(d);
    for (const r of rows) {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += r[j] * v[j];
      for (let j = 0; j < d; j++) next[j] += dot * r[j];
    }
    const len = norm(next);
    if (len === 0) break;
    scale(next, 1 / len);
    const change = next.reduce((a, x, j) => a + Math.abs(x - v[j]), 0);
    v = next;
    if (change < 1e-12) break;
  }
  if (v.reduce((a, x, j) => a + x * m[j], 0) < 0) scale(v, -1);
  return v;
}

/** An in-context vector: one direction per layer's residual stream (blocks.{l}.hook_resid_post). */
export type InContextVector = Map<number, Tensor>;

/**
 * From demonstrations (an input and the output it should lead to, each a [1, T] sequence), the first
 * principal component over demonstrations of output - input at the last position, for each layer, scaled
 * to the mean length of those differences, so a scale of 1 adds a typical demonstration's shift.
 */
export function inContextVector(
  model: LanguageModel,
  demonstrations: readonly { input: IntTensor; output: IntTensor }[],
  layers: readonly number[] = Array.from({ length: model.config.nLayer }, (_, i) => i),
): InContextVector {
  if (demonstrations.length === 0) throw new Error('inContextVector: no demonstrations');
  const out: InContextVector = new Map();
  for (const layer of layers) {
    const name = `blocks.${layer}.hook_resid_post`;
    const x = lastPositionActivations(
      model,
      name,
      demonstrations.map((d) => d.input),
    );
    const y = lastPositionActivations(
      model,
      name,
      demonstrations.map((d) => d.output),
    );
    const diffs = y.map((row, i) => row.map((v, j) => v - x[i][j]));
    const length = diffs.reduce((a, r) => a + norm(r), 0) / diffs.length;
    const dir = firstComponent(diffs);
    out.set(
      layer,
      new Tensor(
        Float32Array.from(dir, (v) => v * length),
        [dir.length],
      ),
    );
  }
  return out;
}

/** Hooks adding `scale` times each layer's in-context vector at every position (for generate's hooks). */
export function inContextHooks(icv: InContextVector, scale = 1): Hook[] {
  return [...icv].map(([layer, v]) => steer(`blocks.${layer}.hook_resid_post`, v, { scale }));
}

function meanRow(rows: readonly Float64Array[], what: string): Float64Array {
  if (rows.length === 0) throw new Error(`steering: an empty set of ${what}`);
  const acc = new Float64Array(rows[0].length);
  for (const r of rows) for (let j = 0; j < acc.length; j++) acc[j] += r[j];
  return acc.map((v) => v / rows.length);
}

function norm(v: Float64Array): number {
  return Math.sqrt(v.reduce((a, x) => a + x * x, 0));
}

function scale(v: Float64Array, s: number): void {
  for (let j = 0; j < v.length; j++) v[j] *= s;
}
