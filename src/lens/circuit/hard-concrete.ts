// The hard-concrete gate (Louizos, Welling and Kingma 2018), which edge pruning learns its masks with: a
// stretched, clipped binary concrete variable whose probability of being nonzero has a closed form, so the
// number of kept parts (an L0 norm) is a differentiable penalty.
//   s = sigmoid((log u - log(1 - u) + log_alpha) / beta), u ~ U(0, 1)
//   z = min(1, max(0, s * (zeta - gamma) + gamma))
//   P(z != 0) = sigmoid(log_alpha - beta * log(-gamma / zeta))
// At the end a part is kept when its deterministic gate sigmoid(log_alpha) * (zeta - gamma) + gamma > 0.5.
import type { Generator } from '../../tensor/index.js';
import { add, maximum, minimum, mul, sigmoid, sum, Tensor } from '../../tensor/index.js';

export const BETA = 2 / 3;
export const GAMMA = -0.1;
export const ZETA = 1.1;

/** A gate per element of a log_alpha vector [n] (a leaf that requires grad). */
export function sampleGate(logAlpha: Tensor, g: Generator): Tensor {
  const n = logAlpha.data.length;
  const noise = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = Math.min(Math.max(g.random(), 1e-6), 1 - 1e-6);
    noise[i] = Math.log(u) - Math.log(1 - u);
  }
  const s = sigmoid(mul(add(logAlpha, new Tensor(noise, [n])), 1 / BETA));
  return minimum(maximum(add(mul(s, ZETA - GAMMA), GAMMA), 0), 1);
}

/** The expected number of nonzero gates (differentiable). */
export function expectedL0(logAlpha: Tensor): Tensor {
  return sum(sigmoid(add(logAlpha, -BETA * Math.log(-GAMMA / ZETA))));
}

/** The deterministic gates rounded: 1 where kept, 0 where pruned. */
export function keptGate(logAlpha: Tensor): Tensor {
  const n = logAlpha.data.length;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const z = (1 / (1 + Math.exp(-logAlpha.data[i]))) * (ZETA - GAMMA) + GAMMA;
    out[i] = z > 0.5 ? 1 : 0;
  }
  return new Tensor(out, [n]);
}
