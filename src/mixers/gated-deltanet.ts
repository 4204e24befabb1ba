// Gated DeltaNet (Yang, Kautz & Hatamizadeh 2024, "Gated Delta Networks: Improving Mamba2 with Delta
// Rule"), as fla's GatedDeltaNet layer with its defaults. Per head, with memory S [K, V]:
//   S_t = alpha_t (I - beta_t k_t k_t^T) S_{t-1} + beta_t k_t v_t^T,    o_t = S_t^T q_t / sqrt(K)
//   alpha_t = exp(g_t),  g_t = -exp(A_log) softplus(a_proj x_t + dt_bias)   (Mamba2's decay)
// so the memory both fades (alpha) and is precisely overwritten (the delta rule). q, k, v come through
// short causal convolutions with SiLU, q and k are L2-normalised, beta_t = sigmoid(b_proj x_t); each head's
// output is RMS-normalised and gated, o_norm(o) * silu(g_proj x), before o_proj.
// Settings (mixerOptions): headDim (width / heads), expandV (2: value heads are twice the key heads),
// convSize (4), chunkSize (64). Chunkwise form and kernels: ./delta/ops.ts.
import { Linear, RMSNorm } from '../nn/index.js';
import {
  add,
  defaultGenerator,
  exp,
  mul,
  neg,
  reshape,
  rmsNorm,
  silu,
  softplus,
  Tensor,
} from '../tensor/index.js';
import { DeltaRuleMixer, intSetting } from './delta/base.js';
import type { MixerOptions } from './options.js';

function headDims(o: MixerOptions): { headKDim: number; headVDim: number } {
  if (o.settings.headDim === undefined && o.dim % o.heads !== 0) {
    throw new Error(
      `gated-deltanet: width ${o.dim} is not divisible by ${o.heads} heads (or set mixerOptions.headDim)`,
    );
  }
  const headKDim = intSetting('gated-deltanet', o, 'headDim', o.dim / o.heads);
  const expandV = o.settings.expandV ?? 2;
  const headVDim = headKDim * expandV;
  if (!Number.isInteger(headVDim) || headVDim < 1) {
    throw new Error(
      `gated-deltanet: mixerOptions.expandV ${expandV} times head dim ${headKDim} is not a whole number`,
    );
  }
  return { headKDim, headVDim };
}

export class GatedDeltaNet extends DeltaRuleMixer {
  readonly a_proj: Linear;
  /** Log of the decay rate A per head: g = -exp(A_log) softplus(a_proj x + dt_bias). */
  readonly A_log: Tensor;
  readonly dt_bias: Tensor;
  readonly g_proj: Linear;
  readonly o_norm: RMSNorm;

  constructor(options: MixerOptions) {
    super('gated-deltanet', options, { heads: options.heads, ...headDims(options) });
    const H = this.heads;
    const gen = options.generator ?? defaultGenerator;
    this.a_proj = new Linear(options.dim, H, { bias: false, std: options.std, generator: gen });
    // fla's init: A ~ U(0, 16); the step dt log-uniform in [1e-3, 1e-1] (floored at 1e-4), stored through
    // the inverse of softplus so that softplus(dt_bias) = dt at a_proj x = 0.
    const aLog = new Float32Array(H);
    const dtBias = new Float32Array(H);
    for (let h = 0; h < H; h++) {
      aLog[h] = Math.log(16 * (1 - gen.random())); // (0, 16]: the log stays finite
      const dt = Math.max(Math.exp(gen.random() * (Math.log(0.1) - Math.log(0.001)) + Math.log(0.001)), 1e-4);
      dtBias[h] = dt + Math.log(-Math.expm1(-dt));
    }
    this.A_log = new Tensor(aLog, [H]).requiresGrad_();
    this.dt_bias = new Tensor(dtBias, [H]).requiresGrad_();
    this.g_proj = new Linear(options.dim, H * this.headVDim, {
      bias: false,
      std: options.std,
      generator: gen,
    });
    this.o_norm = new RMSNorm(this.headVDim, 1e-5);
  }

  protected logDecay(x: Tensor): Tensor {
    return mul(neg(exp(this.A_log)), softplus(add(this.a_proj.forward(x), this.dt_bias)));
  }

  protected outputNorm(o: Tensor, x: Tensor): Tensor {
    const gate = reshape(this.g_proj.forward(x), o.shape);
    return mul(rmsNorm(o, this.o_norm.weight, this.o_norm.eps), silu(gate));
  }
}
