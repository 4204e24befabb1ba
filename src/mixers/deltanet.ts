// DeltaNet (Schlag et al. 2021; Yang et al. 2024, "Parallelizing Linear Transformers with the Delta Rule
// over Sequence Length"), as fla's DeltaNet layer with its defaults. Per head, with memory S [K, V]:
//   S_t = S_{t-1} + beta_t k_t (v_t - S_{t-1}^T k_t)^T      erase what key k_t held, write v_t
//   o_t = S_t^T q_t / sqrt(K)
// which is one gradient step of size beta_t on L(S) = ||S^T k_t - v_t||^2 / 2. q, k, v come through short
// causal convolutions with SiLU, q and k are L2-normalised, beta_t = sigmoid(b_proj x_t); the output of
// each head is RMS-normalised (o_norm) before o_proj. Chunkwise form and kernels: ops/delta/.
// Head dim: width / heads for keys and values.
import { type Linear, Module, RMSNorm } from '../nn/index.js';
import { sigmoid, type Tensor } from '../tensor/index.js';
import type { Mixer, MixerContext } from './mixer.js';
import type { CausalConv1d } from './ops/conv/op.js';
import { DELTA_RULE_SETTINGS, DeltaRuleCore } from './ops/delta/layer.js';
import type { MatrixMemoryState } from './ops/matrix-state.js';
import type { MixerOptions } from './options.js';
import type { Settings, SettingsSpec } from './settings.js';

/** Settings (mixerOptions.deltanet): convSize (4), chunkSize (64). */
export const DELTANET_SETTINGS = DELTA_RULE_SETTINGS satisfies SettingsSpec;

export class DeltaNet extends Module implements Mixer {
  readonly q_proj: Linear;
  readonly k_proj: Linear;
  readonly v_proj: Linear;
  readonly b_proj: Linear;
  readonly q_conv1d: CausalConv1d;
  readonly k_conv1d: CausalConv1d;
  readonly v_conv1d: CausalConv1d;
  readonly o_proj: Linear;
  readonly o_norm: RMSNorm;
  private readonly core: DeltaRuleCore;
  /** Its hook points (the core runs them). */
  readonly points: DeltaRuleCore['points'];

  constructor(o: MixerOptions<Settings<typeof DELTANET_SETTINGS>>) {
    super();
    const { dim, heads } = o;
    if (dim % heads !== 0) throw new Error(`deltanet: width ${dim} is not divisible by ${heads} heads`);
    const D = dim / heads;
    const c = new DeltaRuleCore('deltanet', o, { heads, headKDim: D, headVDim: D });
    this.core = c;
    this.points = c.points;
    this.q_proj = c.linear(o, dim, dim, o.std);
    this.k_proj = c.linear(o, dim, dim, o.std);
    this.v_proj = c.linear(o, dim, dim, o.std);
    this.b_proj = c.linear(o, dim, heads, o.std);
    this.q_conv1d = c.shortConv(o, dim);
    this.k_conv1d = c.shortConv(o, dim);
    this.v_conv1d = c.shortConv(o, dim);
    this.o_proj = c.linear(o, dim, dim, o.projStd);
    this.o_norm = new RMSNorm(D, 1e-5);
  }

  initState(batch: number, _capacity: number): MatrixMemoryState {
    return this.core.initState(batch);
  }

  forward(x: Tensor, ctx: MixerContext): Tensor {
    const c = this.core;
    const { q, k, v } = c.qkv(x, this, ctx);
    const beta = c.hook(ctx.hooks, 'hook_beta', sigmoid(this.b_proj.forward(x)));
    const o = c.mix(q, k, v, beta, null, ctx);
    return this.o_proj.forward(c.merge(this.o_norm.forward(o)));
  }
}
