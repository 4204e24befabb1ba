// What ROME and MEMIT read from the model before they write to it: an edit request (a prompt naming a
// subject, the new answer), the key at a layer (the MLP's hidden activation, the input of its output
// matrix, at the subject's last token, averaged over a few preceding contexts as ROME averages over random
// prefixes), and the keys' second moment C = E[k kᵀ] over ordinary text, which says which directions of
// key space the layer already uses and must keep.
import type { LanguageModel } from '../../model/index.js';
import type { MLP, SwiGLU } from '../../nn/index.js';
import { IntTensor, type Tensor } from '../../tensor/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import { runWithCache } from '../cache.js';
import { subjectSpan } from '../known-facts.js';
import { type Matrix, matrix } from '../linalg.js';

export interface EditRequest {
  /** The prompt, which contains the subject ("Ada Lin was born in"). */
  prompt: string;
  subject: string;
  /** The new answer, with its leading space (" Millbrook"). */
  target: string;
}

/** The hook point whose activation is the MLP output matrix's input: the key. */
export const keyPoint = (layer: number) => `blocks.${layer}.mlp.hook_post`;

/** The MLP output matrix of a layer, [d, hidden] (c_proj; SwiGLU's down_proj): what an edit changes. */
export function outputMatrix(model: LanguageModel, layer: number): Tensor {
  const block = model.transformer.h[layer];
  if (!block) throw new Error(`edit: no layer ${layer} (the model has ${model.config.nLayer})`);
  const mlp = block.mlp as MLP | SwiGLU;
  return 'c_proj' in mlp ? mlp.c_proj.weight : mlp.down_proj.weight;
}

/** A context + the prompt, as ids, with the position of the subject's last token. */
export interface Framed {
  ids: number[];
  subjectEnd: number;
}

export function frame(tokenizer: Tokenizer, request: EditRequest, context: string): Framed {
  const prompt = context + request.prompt;
  const span = subjectSpan(tokenizer, prompt, request.subject);
  return { ids: tokenizer.encode(prompt), subjectEnd: span[span.length - 1] };
}

/** The key of each request at `layer`: hook_post at the subject's last token, averaged over the contexts. */
export function requestKeys(
  model: LanguageModel,
  tokenizer: Tokenizer,
  requests: readonly EditRequest[],
  layer: number,
  contexts: readonly string[],
): Float64Array[] {
  const name = keyPoint(layer);
  return requests.map((r) => {
    let key: Float64Array | null = null;
    for (const c of contexts) {
      const f = frame(tokenizer, r, c);
      const { cache } = runWithCache(model, new IntTensor(Int32Array.from(f.ids), [1, f.ids.length]), {
        names: [name],
      });
      const acts = cache.get(name);
      const h = acts.shape[2];
      key ??= new Float64Array(h);
      for (let j = 0; j < h; j++) key[j] += acts.data[f.subjectEnd * h + j] / contexts.length;
    }
    return key as Float64Array;
  });
}

/** C = E[k kᵀ] of the keys at `layer` over every position of `windows` [B, T]: hidden x hidden. */
export function keyCovariance(model: LanguageModel, windows: IntTensor, layer: number): Matrix {
  const name = keyPoint(layer);
  const { cache } = runWithCache(model, windows, { names: [name] });
  const acts = cache.get(name);
  const h = acts.shape[2];
  const n = acts.data.length / h;
  const c = matrix(h, h);
  for (let p = 0; p < n; p++) {
    const row = acts.data.subarray(p * h, (p + 1) * h);
    for (let i = 0; i < h; i++) {
      const a = row[i] / n;
      if (a === 0) continue;
      for (let j = i; j < h; j++) c.data[i * h + j] += a * row[j];
    }
  }
  for (let i = 0; i < h; i++) for (let j = 0; j < i; j++) c.data[i * h + j] = c.data[j * h + i];
  return c;
}
