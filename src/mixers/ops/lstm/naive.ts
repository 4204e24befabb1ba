// The LSTM recurrence written out step by step from ordinary tensor ops, as torch.nn.LSTM's cell reads
// (autograd gives the backward): the reference op.ts is held to (it runs this under withNaiveOps).
import {
  add,
  linear,
  mul,
  reshape,
  sigmoid,
  slice,
  split,
  stack,
  type Tensor,
  tanh,
} from '../../../tensor/index.js';

/** h_t for every t [B, T, H] and the final (h, c), from gx [B, T, 4H] (the input half of the gates). */
export function naiveLstmScan(
  gx: Tensor,
  weightHH: Tensor,
  h0: Tensor,
  c0: Tensor,
): { output: Tensor; h: Tensor; c: Tensor } {
  const [B, T, G] = gx.shape;
  const H = G / 4;
  let [h, c] = [h0, c0];
  const hs: Tensor[] = [];
  for (let t = 0; t < T; t++) {
    const [i, f, g, o] = split(add(reshape(slice(gx, 1, t, t + 1), [B, G]), linear(h, weightHH)), H, 1);
    c = add(mul(sigmoid(f), c), mul(sigmoid(i), tanh(g)));
    h = mul(sigmoid(o), tanh(c));
    hs.push(h);
  }
  return { output: stack(hs, 1), h, c };
}
