// Model merging, one tensor at a time, by mergekit's methods (the first lecture: combine two models'
// abilities with no training data). Each method takes the base model's tensor and the others' (all of one
// shape, flattened) and returns the merged tensor; a merge is that, parameter by parameter. Most work on
// task vectors τ_i = θ_i − θ_base (Ilharco et al.), the change fine-tuning made:
//   linear          Σ w_i θ_i / Σ w_i                                   (a weighted mean of the models)
//   task_arithmetic θ_base + Σ w_i τ_i                                  (add the task vectors)
//   ties            trim each τ_i to its `density` largest magnitudes, elect each entry's sign by the
//                   weighted sum, average only the τ_i that agree with it (Yadav et al.)
//   dare_linear     drop each entry of τ_i with probability 1 − density, rescale the kept by 1/density
//                   (expectation preserved), then add them (Yu et al.)
//   dare_ties       DARE's drop and rescale, then TIES' sign election and agreeing mean
//   breadcrumbs     drop the largest `gamma` share and keep the next `density` share by magnitude (outliers
//                   and noise both go), then add (Davari and Belilovsky)
//   della           drop by magnitude rank: keep probability from density − ε (smallest) to density + ε
//                   (largest), rescale the kept by 1/p, then TIES' election (Deep et al.)
//   slerp           spherical interpolation of two models by t, linear when they are near parallel
//   model_stock     t = k·cos / (1 + (k − 1)·cos) from the mean cosine between the task vectors, then
//                   θ_base + t·(mean θ_i − θ_base) (Jang et al.)
import type { Generator } from '../tensor/index.js';

export interface MergeInput {
  /** The model merged into (required by every method but linear and slerp's second model). */
  base: Float32Array;
  /** Each model's tensor, weight and (for the sparsifying methods) density, else the method's. */
  models: readonly { tensor: Float32Array; weight: number; density?: number }[];
}

/** A model's own density, else the method's: mergekit lets each model keep a different share. */
function densityOf(m: MergeInput['models'][number], options: { density?: number }, what: string): number {
  const d = m.density ?? options.density;
  if (d === undefined || !(d >= 0 && d <= 1)) throw new Error(`${what}: density must be in [0, 1], got ${d}`);
  return d;
}

function check(what: string, base: Float32Array, models: MergeInput['models']): void {
  if (models.length === 0) throw new Error(`${what}: no models to merge`);
  for (const [i, m] of models.entries()) {
    if (m.tensor.length !== base.length)
      throw new Error(`${what}: model ${i} has ${m.tensor.length} values, the base ${base.length}`);
    if (!Number.isFinite(m.weight)) throw new Error(`${what}: model ${i}'s weight is ${m.weight}`);
  }
}

function taskVector(base: Float32Array, t: Float32Array): Float32Array {
  const tau = new Float32Array(t.length);
  for (let j = 0; j < t.length; j++) tau[j] = t[j] - base[j];
  return tau;
}

/** Σ w_i θ_i / Σ w_i, or the plain weighted sum with `normalize: false`. */
export function linear(models: MergeInput['models'], options: { normalize?: boolean } = {}): Float32Array {
  if (models.length === 0) throw new Error('linear: no models to merge');
  check('linear', models[0].tensor, models);
  const total = options.normalize === false ? 1 : models.reduce((s, m) => s + m.weight, 0);
  if (total === 0) throw new Error('linear: the weights sum to 0');
  const out = new Float32Array(models[0].tensor.length);
  for (const m of models) for (let j = 0; j < out.length; j++) out[j] += (m.weight * m.tensor[j]) / total;
  return out;
}

/** θ_base + λ · Σ w_i τ_i, the τ_i already sparsified (or not). */
function addTaskVectors(
  base: Float32Array,
  taus: readonly Float32Array[],
  weights: readonly number[],
  lambda: number,
) {
  const out = base.slice();
  for (const [i, tau] of taus.entries()) {
    const w = lambda * weights[i];
    for (let j = 0; j < out.length; j++) out[j] += w * tau[j];
  }
  return out;
}

export function taskArithmetic(input: MergeInput, options: { lambda?: number } = {}): Float32Array {
  check('task_arithmetic', input.base, input.models);
  const taus = input.models.map((m) => taskVector(input.base, m.tensor));
  return addTaskVectors(
    input.base,
    taus,
    input.models.map((m) => m.weight),
    options.lambda ?? 1,
  );
}

/**
 * Which entries rank within [from, to) by magnitude, largest first, equal magnitudes by position: a
 * threshold read from a sorted copy of the magnitudes (a typed-array sort, fast on tensors of millions),
 * then one pass that takes the entries above it and, in position order, as many equal to it as fit.
 */
function rankBand(tau: Float32Array, from: number, to: number): Uint8Array {
  const n = tau.length;
  const abs = new Float32Array(n);
  for (let j = 0; j < n; j++) abs[j] = Math.abs(tau[j]);
  const sorted = abs.slice().sort();
  const top = (k: number): Uint8Array => {
    const mask = new Uint8Array(n);
    if (k <= 0) return mask;
    if (k >= n) return mask.fill(1);
    const v = sorted[n - k];
    let lo = n - k; // the first index holding a value above v
    while (lo < n && sorted[lo] <= v) lo++;
    let equal = k - (n - lo);
    for (let j = 0; j < n; j++) {
      if (abs[j] > v) mask[j] = 1;
      else if (abs[j] === v && equal > 0) {
        mask[j] = 1;
        equal--;
      }
    }
    return mask;
  };
  const inner = top(from);
  const outer = top(to);
  for (let j = 0; j < n; j++) outer[j] &= inner[j] ^ 1;
  return outer;
}

function masked(tau: Float32Array, keep: Uint8Array): Float32Array {
  const out = new Float32Array(tau.length);
  for (let j = 0; j < tau.length; j++) if (keep[j]) out[j] = tau[j];
  return out;
}

/** τ with all but its `density` share of largest magnitudes set to 0 (ties broken by position). */
export function trim(tau: Float32Array, density: number): Float32Array {
  return masked(tau, rankBand(tau, 0, Math.round(density * tau.length)));
}

/** Each entry's elected sign (of Σ w_i τ_i) and the weighted mean of the τ_i that agree with it. */
export function electAndMerge(taus: readonly Float32Array[], weights: readonly number[]): Float32Array {
  const n = taus[0].length;
  const out = new Float32Array(n);
  for (let j = 0; j < n; j++) {
    let sum = 0;
    for (const [i, t] of taus.entries()) sum += weights[i] * t[j];
    const sign = Math.sign(sum);
    let num = 0;
    let den = 0;
    for (const [i, t] of taus.entries()) {
      if (t[j] !== 0 && Math.sign(t[j]) === sign) {
        num += weights[i] * t[j];
        den += weights[i];
      }
    }
    out[j] = den === 0 ? 0 : num / den;
  }
  return out;
}

/** θ_base + λ · (the elected, agreeing mean of the sparsified task vectors): TIES, DARE-TIES, DELLA. */
function tiesConsensus(input: MergeInput, taus: readonly Float32Array[], lambda = 1): Float32Array {
  const weights = input.models.map((m) => m.weight);
  return addTaskVectors(input.base, [electAndMerge(taus, weights)], [1], lambda);
}

export function ties(input: MergeInput, options: { density?: number; lambda?: number }): Float32Array {
  check('ties', input.base, input.models);
  const taus = input.models.map((m) => trim(taskVector(input.base, m.tensor), densityOf(m, options, 'ties')));
  return tiesConsensus(input, taus, options.lambda);
}

/** DARE: each entry kept with probability `density`, the kept scaled by 1/density. */
export function dareDrop(tau: Float32Array, density: number, g: Generator): Float32Array {
  if (!(density > 0 && density <= 1)) throw new Error(`dare: density must be in (0, 1], got ${density}`);
  return tau.map((v) => (g.random() < density ? v / density : 0));
}

export function dare(
  input: MergeInput,
  options: { density?: number; consensus: 'linear' | 'ties'; generator: Generator; lambda?: number },
): Float32Array {
  const what = `dare_${options.consensus}`;
  check(what, input.base, input.models);
  const taus = input.models.map((m) =>
    dareDrop(taskVector(input.base, m.tensor), densityOf(m, options, what), options.generator),
  );
  const weights = input.models.map((m) => m.weight);
  return options.consensus === 'ties'
    ? tiesConsensus(input, taus, options.lambda)
    : addTaskVectors(input.base, taus, weights, options.lambda ?? 1);
}

/** Breadcrumbs: by magnitude, the largest `gamma` share dropped and the next `density` share kept. */
export function breadcrumbsMask(tau: Float32Array, density: number, gamma: number): Float32Array {
  const top = Math.round(gamma * tau.length);
  return masked(tau, rankBand(tau, top, top + Math.round(density * tau.length)));
}

export function breadcrumbs(
  input: MergeInput,
  options: { density?: number; gamma: number; lambda?: number },
): Float32Array {
  check('breadcrumbs', input.base, input.models);
  const taus = input.models.map((m) =>
    breadcrumbsMask(taskVector(input.base, m.tensor), densityOf(m, options, 'breadcrumbs'), options.gamma),
  );
  return addTaskVectors(
    input.base,
    taus,
    input.models.map((m) => m.weight),
    options.lambda ?? 1,
  );
}

/** DELLA's MAGPRUNE: keep probabilities from density − ε to density + ε by magnitude rank, kept scaled by 1/p. */
export function magprune(tau: Float32Array, density: number, epsilon: number, g: Generator): Float32Array {
  const n = tau.length;
  const rank = new Array<number>(n);
  [...tau.keys()]
    .sort((a, b) => Math.abs(tau[a]) - Math.abs(tau[b]) || a - b)
    .forEach((j, r) => {
      rank[j] = r;
    });
  return tau.map((v, j) => {
    const p = Math.min(
      1,
      Math.max(1e-6, density - epsilon + (n > 1 ? (2 * epsilon * rank[j]) / (n - 1) : epsilon)),
    );
    return g.random() < p ? v / p : 0;
  });
}

export function della(
  input: MergeInput,
  options: { density?: number; epsilon: number; generator: Generator; lambda?: number },
): Float32Array {
  check('della', input.base, input.models);
  const taus = input.models.map((m) =>
    magprune(
      taskVector(input.base, m.tensor),
      densityOf(m, options, 'della'),
      options.epsilon,
      options.generator,
    ),
  );
  return tiesConsensus(input, taus, options.lambda);
}

const norm = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, j) => s + x * b[j], 0);

/** Spherical interpolation from a (t = 0) to b (t = 1); linear when the two are within `dotThreshold` of parallel. */
export function slerp(
  a: Float32Array,
  b: Float32Array,
  t: number,
  options: { dotThreshold?: number } = {},
): Float32Array {
  if (a.length !== b.length) throw new Error(`slerp: ${a.length} values against ${b.length}`);
  const [na, nb] = [norm(a), norm(b)];
  const cos = na === 0 || nb === 0 ? 1 : dot(a, b) / (na * nb);
  if (Math.abs(cos) > (options.dotThreshold ?? 0.9995)) return a.map((x, j) => (1 - t) * x + t * b[j]);
  const theta = Math.acos(Math.max(-1, Math.min(1, cos)));
  const [sa, sb] = [Math.sin((1 - t) * theta) / Math.sin(theta), Math.sin(t * theta) / Math.sin(theta)];
  return a.map((x, j) => sa * x + sb * b[j]);
}

/** Model stock's interpolation ratio for k models whose task vectors meet at mean cosine `cos`. */
export const modelStockRatio = (k: number, cos: number): number => (k * cos) / (1 + (k - 1) * cos);

export function modelStock(input: MergeInput): Float32Array {
  check('model_stock', input.base, input.models);
  const k = input.models.length;
  if (k < 2) throw new Error('model_stock: needs at least two models beside the base');
  const taus = input.models.map((m) => taskVector(input.base, m.tensor));
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < k; i++)
    for (let j = i + 1; j < k; j++) {
      const d = norm(taus[i]) * norm(taus[j]);
      sum += d === 0 ? 1 : dot(taus[i], taus[j]) / d;
      pairs++;
    }
  const t = modelStockRatio(k, sum / pairs);
  const mean = linear(input.models.map((m) => ({ tensor: m.tensor, weight: 1 })));
  return input.base.map((b, j) => b + t * (mean[j] - b));
}
