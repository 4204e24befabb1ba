// The causal conv1d as shifted copies of its input, from ordinary tensor ops (autograd gives the
// gradients): the obviously-correct reference the fused op is held to (op.ts runs it under withNaiveOps).
import { add, cat, mul, reshape, slice, type Tensor, zeros } from '../../../tensor/index.js';

/** bias + sum_k weight[:, k] x[t - width + 1 + k], the window (or zeros) standing before x. */
export function naiveCausalConv1d(x: Tensor, weight: Tensor, bias: Tensor | null, window?: Tensor): Tensor {
  const [batch, seq, channels] = x.shape;
  const width = weight.shape[1];
  const padded = cat([window ?? zeros([batch, width - 1, channels]), x], 1);
  let out: Tensor = bias ?? zeros([channels]);
  for (let k = 0; k < width; k++) {
    out = add(out, mul(slice(padded, 1, k, k + seq), reshape(slice(weight, 1, k, k + 1), [channels])));
  }
  return out;
}
