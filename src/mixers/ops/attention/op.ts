// Attention's generation step against the KV cache (forward only). Its training op, causalAttention, is a
// tensor op (src/tensor) whose kernels, forward and backward, live in the core backend.
import { backend } from '../../../backend/index.js';
import { Tensor } from '../../../tensor/index.js';
import type { Positions } from '../../mixer.js';
import type { KVCache } from './state.js';

/**
 * Appends this step's keys and values (in qkv [B, T, 3 * H * D]) to the cache and attends over all of it.
 * With one start per row (a server's batch), each row runs the same kernel on its own slices of qkv, the
 * cache and the output, at its own place in its cache.
 */
export function cachedAttention(qkv: Tensor, cache: KVCache, pos: Positions): Tensor {
  const [batch, seq, width] = qkv.shape;
  const { heads, headDim, capacity } = cache;
  const starts = typeof pos === 'number' ? null : pos;
  if (starts && starts.length !== batch)
    throw new Error(`attention: ${starts.length} positions for ${batch} sequences`);
  cache.fit((starts ? Math.max(...starts) : (pos as number)) + seq);
  const out = new Float32Array(batch * seq * heads * headDim);
  const run = (rows: number, b: number, at: number) => {
    const slice = (data: Float32Array, per: number) =>
      starts ? data.subarray(b * per, (b + rows) * per) : data;
    const cached = heads * capacity * headDim;
    backend().cachedAttention(
      slice(qkv.data, seq * width),
      slice(cache.k, cached),
      slice(cache.v, cached),
      slice(out, seq * heads * headDim),
      rows,
      seq,
      heads,
      headDim,
      at,
      capacity,
      1 / Math.sqrt(headDim),
    );
  };
  if (starts) for (const [b, at] of starts.entries()) run(1, b, at);
  else run(batch, 0, pos as number);
  return new Tensor(out, [batch, seq, heads * headDim]);
}
