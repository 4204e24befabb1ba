// MEMIT (Meng et al., 2023): many facts at once, spread over several MLP layers R. Each request's target is
// the residual stream after R's last layer at the subject's last token, moved by an optimised δ_i
// (value.ts); then, layer by layer from the first, what is still missing is split evenly over the layers
// left, and each layer's output matrix takes the least-squares change that writes its share at the
// requests' keys while keeping the keys it already sees:
//   ΔW = R Kᵀ (λ C + K Kᵀ)⁻¹,   K [hidden, n] the requests' keys, R [d, n] their residuals, C = E[k kᵀ].
// λ weighs the old keys against the new (MEMIT's mom2_update_weight).
import type { LanguageModel } from '../../model/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import { choleskySolve, type Matrix, matrix } from '../linalg.js';
import { type EditRequest, frame, outputMatrix, requestKeys } from './keys.js';
import type { EditResult } from './rome.js';
import { activationAt, optimiseValue, type ValueOptions } from './value.js';

export interface MemitOptions extends ValueOptions {
  /** The MLP layers to spread the edits over, in order. */
  layers: readonly number[];
  /** Each layer's key second moment (keyCovariance). */
  covariances: ReadonlyMap<number, Matrix>;
  /** λ: how many "old keys" C stands for against the new ones (default 100). */
  lambda?: number;
}

/** The residual after `layer` at the subject's last token of each request's plain prompt: [n][d]. */
function residualsAt(
  model: LanguageModel,
  tokenizer: Tokenizer,
  requests: readonly EditRequest[],
  layer: number,
) {
  return requests.map((r) => {
    const f = frame(tokenizer, r, '');
    return activationAt(model, `blocks.${layer}.hook_resid_post`, f.ids, f.subjectEnd);
  });
}

/** Writes every request in place; returns the layers changed and the mean reach of the optimised targets. */
export function memit(
  model: LanguageModel,
  tokenizer: Tokenizer,
  requests: readonly EditRequest[],
  options: MemitOptions,
): EditResult {
  const { layers, lambda = 100 } = options;
  if (layers.length === 0) throw new Error('memit: no layers to edit');
  const last = layers[layers.length - 1];
  const point = `blocks.${last}.hook_resid_post`;
  let reach = 0;
  const targets = requests.map((r) => {
    const { delta, activation, targetProb } = optimiseValue(model, tokenizer, r, point, options);
    reach += targetProb / requests.length;
    return activation.map((a, j) => a + delta[j]);
  });
  for (const [k, layer] of layers.entries()) {
    const covariance = options.covariances.get(layer);
    if (!covariance) throw new Error(`memit: no key covariance for layer ${layer}`);
    const keys = requestKeys(model, tokenizer, requests, layer, options.contexts);
    const now = residualsAt(model, tokenizer, requests, last);
    const h = covariance.rows;
    const n = requests.length;
    const d = targets[0].length;
    // A = λ C + K Kᵀ; X = A⁻¹ K [h, n]; ΔW = R Xᵀ with R the residuals' share for this layer.
    const A = matrix(h, h);
    for (let i = 0; i < h * h; i++) A.data[i] = lambda * covariance.data[i];
    const K = matrix(h, n);
    for (const [c, key] of keys.entries()) for (let i = 0; i < h; i++) K.data[i * n + c] = key[i];
    for (const key of keys)
      for (let i = 0; i < h; i++) for (let j = 0; j < h; j++) A.data[i * h + j] += key[i] * key[j];
    const X = choleskySolve(A, K).data;
    const share = layers.length - k;
    const W = outputMatrix(model, layer).data;
    for (let i = 0; i < d; i++)
      for (let c = 0; c < n; c++) {
        const r = (targets[c][i] - now[c][i]) / share;
        if (r === 0) continue;
        for (let j = 0; j < h; j++) W[i * h + j] += r * X[j * n + c];
      }
  }
  return { layers: [...layers], targetProb: reach };
}
