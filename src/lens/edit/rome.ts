// ROME (Meng et al., 2022): one fact rewritten by a rank-one change of one MLP output matrix W [d, hidden].
//   1. causal tracing picks the layer: where restoring the MLP's output at the subject's last token brings
//      back most of a corrupted subject's answer, on facts the model knows;
//   2. the key k* (the MLP's hidden activation at the subject's last token) and the keys' second moment
//      C = E[k kᵀ] over ordinary text (keys.ts);
//   3. δ, what the MLP's output there must gain for the model to write the new answer (value.ts);
//   4. ΔW = δ (C⁻¹k*)ᵀ / (k*ᵀ C⁻¹ k*): rank one, ΔW k* = δ, and ΔW k = 0 for every key k orthogonal to k*
//      under C⁻¹ (kᵀ C⁻¹ k* = 0): among the changes that write δ at k*, the one that disturbs the keys the
//      layer sees least, as C weighs them.
import type { Fact } from '../../data/index.js';
import { factPrompt } from '../../data/index.js';
import type { LanguageModel } from '../../model/index.js';
import { IntTensor } from '../../tensor/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import { answerToken, checkFacts, subjectSpan } from '../known-facts.js';
import { choleskySolve, type Matrix, matrix } from '../linalg.js';
import { prepareTrace } from '../tracing.js';
import { type EditRequest, outputMatrix, requestKeys } from './keys.js';
import { optimiseValue, type ValueOptions } from './value.js';

/** C + ridge · mean(diag C) · I: the second moment of a finite sample, made safely invertible. */
export function regularised(c: Matrix, ridge: number): Matrix {
  const n = c.rows;
  let trace = 0;
  for (let i = 0; i < n; i++) trace += c.data[i * n + i];
  const out = matrix(n, n, c.data.slice());
  const add = (ridge * trace) / n || ridge;
  for (let i = 0; i < n; i++) out.data[i * n + i] += add;
  return out;
}

/** ΔW [d, hidden] = δ (C⁻¹k)ᵀ / (kᵀ C⁻¹ k) for key k [hidden] and residual δ [d]. */
export function rankOneUpdate(
  covariance: Matrix,
  key: ArrayLike<number>,
  delta: ArrayLike<number>,
): Float32Array {
  const h = covariance.rows;
  const u = choleskySolve(covariance, matrix(h, 1, Float64Array.from(key))).data; // C⁻¹ k
  let denom = 0;
  for (let j = 0; j < h; j++) denom += u[j] * key[j];
  const d = delta.length;
  const out = new Float32Array(d * h);
  for (let i = 0; i < d; i++) for (let j = 0; j < h; j++) out[i * h + j] = (delta[i] * u[j]) / denom;
  return out;
}

export interface RomeOptions extends ValueOptions {
  layer: number;
  /** The keys' second moment at `layer` (keyCovariance), regularised. */
  covariance: Matrix;
}

export interface EditResult {
  layers: number[];
  /** The new answer's probability after the optimised δ (before the weights are changed). */
  targetProb: number;
}

/** Rewrites one fact in place; returns the layer and the value optimisation's reach. */
export function rome(
  model: LanguageModel,
  tokenizer: Tokenizer,
  request: EditRequest,
  options: RomeOptions,
): EditResult {
  const { layer } = options;
  const [key] = requestKeys(model, tokenizer, [request], layer, options.contexts);
  const { delta, targetProb } = optimiseValue(
    model,
    tokenizer,
    request,
    `blocks.${layer}.hook_mlp_out`,
    options,
  );
  const update = rankOneUpdate(options.covariance, key, delta);
  const W = outputMatrix(model, layer).data;
  for (let i = 0; i < W.length; i++) W[i] += update[i];
  return { layers: [layer], targetProb };
}

/**
 * ROME's layer: the MLP whose output, restored at the subject's last token in a run whose subject
 * embeddings are noised, recovers most of the answer's probability, averaged over up to `count` facts the
 * model knows.
 */
export function tracedLayer(
  model: LanguageModel,
  tokenizer: Tokenizer,
  facts: readonly Fact[],
  options: { count?: number; samples?: number } = {},
): { layer: number; effect: number[] } {
  const known = checkFacts(model, tokenizer, facts)
    .filter((c) => c.known)
    .slice(0, options.count ?? 12);
  if (known.length === 0) throw new Error('tracedLayer: the model knows none of the facts to trace');
  const L = model.config.nLayer;
  const effect = new Array<number>(L).fill(0);
  for (const c of known) {
    const { prompt, answer } = answerToken(tokenizer, factPrompt(c.fact).prompt, factPrompt(c.fact).answer);
    const span = subjectSpan(tokenizer, prompt, c.fact.subject);
    const ids = tokenizer.encode(prompt);
    const tracer = prepareTrace(
      model,
      new IntTensor(Int32Array.from(ids), [1, ids.length]),
      { answer, corruption: { kind: 'noise', positions: span, samples: options.samples ?? 3 } },
      ['mlp'],
    );
    const gap = tracer.clean.prob - tracer.corrupt.prob;
    if (!(gap > 0)) continue;
    for (let l = 0; l < L; l++)
      effect[l] +=
        (tracer.restore('mlp', l, [span[span.length - 1]]).prob - tracer.corrupt.prob) / gap / known.length;
  }
  let layer = 0;
  for (let l = 1; l < L; l++) if (effect[l] > effect[layer]) layer = l;
  return { layer, effect };
}
