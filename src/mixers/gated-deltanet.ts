// Gated DeltaNet (Yang, Kautz & Hatamizadeh 2024, "Gated Delta Networks: Improving Mamba2 with Delta
// Rule"), as fla's GatedDeltaNet layer with its defaults. Per head, with memory S [K, V]:
//   S_t = alpha_t (I - beta_t k_t k_t^T) S_{t-1} + beta_t k_t v_t^T,    o_t = S_t^T q_t / sqrt(K)
//   alpha_t = exp(g_t),  g_t = -exp(A_log) softplus(a_proj x_t + dt_bias)   (Mamba2's decay)
// so the memory both fades (alpha) and is precisely overwritten (the delta rule). q, k, v come through
// short causal convolutions with SiLU, q and k are L2-normalised, beta_t = sigmoid(b_proj x_t); each head's
// output is RMS-normalised and gated, o_norm(o) * silu(g_proj x), before o_proj.
// Chunkwise form and kernels: ops/delta/.
import { constant, type Linear, Module, RMSNorm } from '../nn/index.js';
import {
  add,
  defaultGenerator,
  exp,
  mul,
  neg,
  reshape,
  rmsNorm,
  sigmoid,
  silu,
  softplus,
  type Tensor,
} from '../tensor/index.js';
import type { Mixer, MixerContext } from './mixer.js';
import type { CausalConv1d } from './ops/conv/op.js';
import { DELTA_RULE_SETTINGS, DeltaRuleCore } from './ops/delta/layer.js';
import type { MatrixMemoryState } from './ops/matrix-state.js';
import type { MixerOptions } from './options.js';
import { positive, positiveInt, type Settings, type SettingsSpec } from './settings.js';

/** Settings (mixerOptions['gated-deltanet']): key head size, value heads expandV x as wide (fla's 2). */
export const GATED_DELTANET_SETTINGS = {
  headDim: positiveInt((o) => {
    if (o.dim % o.heads !== 0) {
      throw new Error(
        `gated-deltanet: width ${o.dim} is not divisible by ${o.heads} heads (or set its setting headDim)`,
      );
    }
    return o.dim / o.heads;
  }),
  expandV: positive(2),
  ...DELTA_RULE_SETTINGS,
} satisfies SettingsSpec;

export class GatedDeltaNet extends Module implements Mixer {
  readonly q_proj: Linear;
  readonly k_proj: Linear;
  readonly v_proj: Linear;
  readonly b_proj: Linear;
  readonly q_conv1d: CausalConv1d;
  readonly k_conv1d: CausalConv1d;
  readonly v_conv1d: CausalConv1d;
  readonly o_proj: Linear;
  readonly a_proj: Linear;
  /** Log of the decay rate A per head: g = -exp(A_log) softplus(a_proj x + dt_bias). */
  readonly A_log: Tensor;
  readonly dt_bias: Tensor;
  readonly g_proj: Linear;
  readonly o_norm: RMSNorm;
  private readonly core: DeltaRuleCore;
  /** Its hook points (the core runs them). */
  readonly points: DeltaRuleCore['points'];

  constructor(o: MixerOptions<Settings<typeof GATED_DELTANET_SETTINGS>>) {
    super();
    const { dim, heads: H } = o;
    const { headDim: K, expandV } = o.settings;
    const V = K * expandV;
    if (!Number.isInteger(V)) {
      throw new Error(`gated-deltanet: setting expandV ${expandV} times head dim ${K} is not a whole number`);
    }
    const c = new DeltaRuleCore('gated-deltanet', o, { heads: H, headKDim: K, headVDim: V });
    this.core = c;
    this.points = c.points;
    this.q_proj = c.linear(o, dim, H * K, o.std);
    this.k_proj = c.linear(o, dim, H * K, o.std);
    this.v_proj = c.linear(o, dim, H * V, o.std);
    this.b_proj = c.linear(o, dim, H, o.std);
    this.q_conv1d = c.shortConv(o, H * K);
    this.k_conv1d = c.shortConv(o, H * K);
    this.v_conv1d = c.shortConv(o, H * V);
    this.o_proj = c.linear(o, H * V, dim, o.projStd);
    const gen = o.generator ?? defaultGenerator;
    this.a_proj = c.linear(o, dim, H, o.std);
    // fla's init: A ~ U(0, 16); the step dt log-uniform in [1e-3, 1e-1] (floored at 1e-4), stored through
    // the inverse of softplus so that softplus(dt_bias) = dt at a_proj x = 0.
    this.A_log = constant([H], 0);
    this.dt_bias = constant([H], 0);
    for (let h = 0; h < H; h++) {
      this.A_log.data[h] = Math.log(16 * (1 - gen.random())); // (0, 16]: the log stays finite
      const dt = Math.max(Math.exp(gen.random() * (Math.log(0.1) - Math.log(0.001)) + Math.log(0.001)), 1e-4);
      this.dt_bias.data[h] = dt + Math.log(-Math.expm1(-dt));
    }
    this.g_proj = c.linear(o, dim, H * V, o.std);
    this.o_norm = new RMSNorm(V, 1e-5);
  }

  initState(batch: number, _capacity: number): MatrixMemoryState {
    return this.core.initState(batch);
  }

  forward(x: Tensor, ctx: MixerContext): Tensor {
    const c = this.core;
    const { q, k, v } = c.qkv(x, this, ctx);
    const beta = c.hook(ctx.hooks, 'hook_beta', sigmoid(this.b_proj.forward(x)));
    const g = c.hook(
      ctx.hooks,
      'hook_g',
      mul(neg(exp(this.A_log)), softplus(add(this.a_proj.forward(x), this.dt_bias))),
    );
    const o = c.mix(q, k, v, beta, g, ctx);
    const gate = reshape(this.g_proj.forward(x), o.shape);
    return this.o_proj.forward(c.merge(mul(rmsNorm(o, this.o_norm.weight, this.o_norm.eps), silu(gate))));
  }
}
