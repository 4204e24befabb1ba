// DeltaNet (Schlag et al. 2021; Yang et al. 2024, "Parallelizing Linear Transformers with the Delta Rule
// over Sequence Length"), as fla's DeltaNet layer with its defaults. Per head, with memory S [K, V]:
//   S_t = S_{t-1} + beta_t k_t (v_t - S_{t-1}^T k_t)^T      erase what key k_t held, write v_t
//   o_t = S_t^T q_t / sqrt(K)
// which is one gradient step of size beta_t on L(S) = ||S^T k_t - v_t||^2 / 2. q, k, v come through short
// causal convolutions with SiLU, q and k are L2-normalised, beta_t = sigmoid(b_proj x_t); the output of
// each head is RMS-normalised (o_norm) before o_proj. Chunkwise form and kernels: ./delta/ops.ts.
// Settings (mixerOptions): convSize (4), chunkSize (64). Head dim: width / heads for keys and values.
import { RMSNorm } from '../nn/index.js';
import type { Tensor } from '../tensor/index.js';
import { DeltaRuleMixer } from './delta/base.js';
import type { MixerOptions } from './options.js';

export class DeltaNet extends DeltaRuleMixer {
  readonly o_norm: RMSNorm;

  constructor(options: MixerOptions) {
    const { dim, heads } = options;
    if (dim % heads !== 0) throw new Error(`deltanet: width ${dim} is not divisible by ${heads} heads`);
    super('deltanet', options, { heads, headKDim: dim / heads, headVDim: dim / heads });
    this.o_norm = new RMSNorm(this.headVDim, 1e-5);
  }

  protected logDecay(): null {
    return null;
  }

  protected outputNorm(o: Tensor): Tensor {
    return this.o_norm.forward(o);
  }
}
