// The logit lens (nostalgebraist, 2020): decode the residual stream after every layer with the model's own
// final norm and unembedding, as if the model stopped there, to see at which layer the answer appears.
// The last row is the model's own output.
import type { LanguageModel } from '../model/index.js';
import { type IntTensor, noGrad, softmax, Tensor } from '../tensor/index.js';
import { runWithCache } from './cache.js';

export interface LensEntry {
  /** "0_pre" (the embeddings) ... "final_post" (the model's output). */
  layer: string;
  position: number;
  top: { token: number; prob: number }[];
  /** The target token's rank (0 = top) and probability, when one was given. */
  target?: { token: number; rank: number; prob: number };
}

export interface LogitLens {
  labels: string[];
  /** Next-token probabilities at every layer and position of the first sequence: [layers, T, vocab]. */
  probs: Tensor;
  entries: LensEntry[];
}

export function logitLens(
  model: LanguageModel,
  ids: IntTensor,
  options: { k?: number; target?: number } = {},
): LogitLens {
  const k = options.k ?? 5;
  return noGrad(() => {
    const names = [...model.hookPoints().keys()].filter((n) => /hook_resid_(pre|post)$/.test(n));
    const { cache } = runWithCache(model, ids, { names });
    const { stack, labels } = cache.accumulatedResid({ applyLnFinal: true });
    const [L, B, T] = stack.shape;
    const logits = model.unembed(stack);
    const probs = softmax(logits, -1);
    const V = probs.shape[3];
    const entries: LensEntry[] = [];
    const out = new Float32Array(L * T * V);
    for (let l = 0; l < L; l++) {
      for (let t = 0; t < T; t++) {
        const row = probs.data.subarray((l * B * T + t) * V, (l * B * T + t + 1) * V);
        out.set(row, (l * T + t) * V);
        const order = Array.from(row.keys()).sort((a, b) => row[b] - row[a]);
        const entry: LensEntry = {
          layer: labels[l],
          position: t,
          top: order.slice(0, k).map((token) => ({ token, prob: row[token] })),
        };
        if (options.target !== undefined) {
          entry.target = {
            token: options.target,
            rank: order.indexOf(options.target),
            prob: row[options.target],
          };
        }
        entries.push(entry);
      }
    }
    return { labels, probs: new Tensor(out, [L, T, V]), entries };
  });
}
