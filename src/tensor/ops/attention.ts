// Fused attention ops: causal self-attention from a packed qkv projection, and rotary embeddings. The
// unfused equivalent (split, matmul, mask, softmax, matmul) is what the tests hold these to.
import { backend } from '../../backend/index.js';
import { record } from '../autograd.js';
import { fmt } from '../shape.js';
import { uninitialized } from '../storage.js';
import { Tensor } from '../tensor.js';

function headsOf(op: string, qkv: Tensor, heads: number): [batch: number, seq: number, headDim: number] {
  const width = qkv.shape[qkv.ndim - 1];
  if (qkv.ndim !== 3 || width % (3 * heads) !== 0) {
    throw new Error(
      `${op}: expected qkv [batch, seq, 3 * heads * headDim] with ${heads} heads, got ${fmt(qkv.shape)}`,
    );
  }
  return [qkv.shape[0], qkv.shape[1], width / (3 * heads)];
}

/**
 * softmax(q k^T / sqrt(d) + causal mask) v for every head, from qkv [B, T, 3 * H * D] (as a fused c_attn
 * projection lays it out) to [B, T, H * D] (heads side by side, ready for the output projection).
 */
export function causalAttention(qkv: Tensor, heads: number): Tensor {
  const [batch, seq, headDim] = headsOf('causalAttention', qkv, heads);
  const scale = 1 / Math.sqrt(headDim);
  const out = uninitialized(batch * seq * heads * headDim);
  const lse = uninitialized(batch * heads * seq);
  backend().causalAttention(qkv.data, out, lse, batch, seq, heads, headDim, scale);
  return record('causalAttention', new Tensor(out, [batch, seq, heads * headDim]), [qkv], (g) => {
    const gqkv = new Float32Array(qkv.data.length);
    backend().causalAttentionGrad(qkv.data, out, lse, g.data, gqkv, batch, seq, heads, headDim, scale);
    return [qkv.withData(gqkv)];
  });
}

/** cos/sin of pos * theta_i for every position and frequency, as RoPE needs them. */
export interface RotaryTable {
  readonly headDim: number;
  readonly cos: Float32Array;
  readonly sin: Float32Array;
}

/**
 * Rotary position embedding on the first `rotatedHeads` heads of each row of x [B, T, width] (with qkv
 * packed, 2 * H covers q and k and leaves v alone), for positions pos..pos+T-1, or, when `pos` gives one
 * start per row (a server batching sequences at different points), pos[b]..pos[b]+T-1 for row b. Its
 * gradient is the rotation back.
 */
export function rope(
  x: Tensor,
  table: RotaryTable,
  rotatedHeads: number,
  pos: number | Int32Array = 0,
): Tensor {
  const [batch, seq, width] = x.shape;
  const positions = table.cos.length / (table.headDim / 2);
  const starts = typeof pos === 'number' ? [pos] : [...pos];
  const last = Math.max(...starts) + seq - 1;
  if (
    x.ndim !== 3 ||
    rotatedHeads * table.headDim > width ||
    last >= positions ||
    (typeof pos !== 'number' && pos.length !== batch)
  ) {
    throw new Error(
      `rope: cannot rotate ${rotatedHeads} heads of ${table.headDim} in ${fmt(x.shape)} at positions ${typeof pos === 'number' ? `${pos}..${last}` : `[${starts}] + 0..${seq - 1}`} (table has ${positions})`,
    );
  }
  const rotate = (data: Float32Array, inverse: boolean) => {
    const y = data.slice();
    const run = (rows: Float32Array, b: number, at: number) =>
      backend().rope(rows, table.cos, table.sin, b, seq, width, rotatedHeads, table.headDim, at, inverse);
    if (typeof pos === 'number') run(y, batch, pos);
    else for (const [b, at] of pos.entries()) run(y.subarray(b * seq * width, (b + 1) * seq * width), 1, at);
    return y;
  };
  return record('rope', x.withData(rotate(x.data, false)), [x], (g) => [g.withData(rotate(g.data, true))]);
}
