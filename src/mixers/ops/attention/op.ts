// Attention's generation step against the KV cache (forward only). Its training op, causalAttention, is a
// tensor op (src/tensor) whose kernels, forward and backward, live in the core backend.
import { backend } from '../../../backend/index.js';
import { Tensor } from '../../../tensor/index.js';
import type { Positions } from '../../mixer.js';
import { eachRow } from '../rows.js';
import type { KVCache } from './state.js';

/**
 * Appends this step's keys and values (in qkv [B, T, 3 * H * D]) to the cache and attends over all of it;
 * with one start per row, each row runs on its own at its own place in its cache.
 */
export function cachedAttention(qkv: Tensor, cache: KVCache, pos: Positions): Tensor {
  if (typeof pos !== 'number')
    return eachRow(qkv, pos, (row, b, at) => cachedAttention(row, cache.rows(b, 1), at));
  const [batch, seq] = qkv.shape;
  const { heads, headDim } = cache;
  cache.fit(pos + seq);
  const out = new Float32Array(batch * seq * heads * headDim);
  backend().cachedAttention(
    qkv.data,
    cache.k,
    cache.v,
    out,
    batch,
    seq,
    heads,
    headDim,
    pos,
    cache.capacity,
    1 / Math.sqrt(headDim),
  );
  return new Tensor(out, [batch, seq, heads * headDim]);
}
