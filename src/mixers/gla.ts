// Gated linear attention (GLA, Yang et al. 2023), as fla's GatedLinearAttention layer with its defaults:
// linear attention whose state forgets through a data-dependent gate, one rate per key dim.
//   q_t, k_t, v_t, g_t = x_t W_q, x_t W_k, x_t W_v, x_t W_g           (per head of K, V = 2K dims)
//   log alpha_t = logsigmoid(x_t W_gk1 W_gk2 + b) / 16                 (low-rank gate, rank 16)
//   S_t = diag(alpha_t) S_{t-1} + k_t v_t^T,   o_t = S_t^T q_t / sqrt(K)
//   out = o_proj(RMSNorm(o) * swish(g))                                 (RMSNorm per head)
// Dividing the logsigmoid by 16 keeps alpha_t near 1 (sigmoid(0)^(1/16) = 0.958 at init), so the state
// starts with a memory of tens of steps and the gate learns to shorten or lengthen it.
// Chunkwise training form and recurrence: ops/gla/, with the per-key decay log alpha_t.
// Hook points: hook_q, hook_k [B, T, H, K], hook_v [B, T, H, V], hook_gk [B, T, H, K] (log alpha),
// hook_o [B, T, H, V].
import { Linear, Module, RMSNorm } from '../nn/index.js';
import { mul, neg, softplus, type Tensor } from '../tensor/index.js';
import type { Mixer, MixerContext } from './mixer.js';
import type { CausalConv1d } from './ops/conv/op.js';
import { GlaCore, glaSettings } from './ops/gla/layer.js';
import type { MatrixMemoryState } from './ops/matrix-state.js';
import type { MixerOptions } from './options.js';
import { positive, positiveInt, type Settings, type SettingsSpec } from './settings.js';

/** Settings (mixerOptions.gla), fla's defaults: keys half the width; a rank-16 gate, its logit / 16. */
export const GLA_SETTINGS = {
  ...glaSettings(0.5, 1),
  gateLowRankDim: positiveInt(16),
  gateLogitNormalizer: positive(16),
} satisfies SettingsSpec;

export class GatedLinearAttention extends Module implements Mixer {
  readonly q_proj: Linear;
  readonly k_proj: Linear;
  readonly v_proj: Linear;
  readonly g_proj: Linear;
  readonly q_conv1d: CausalConv1d | null;
  readonly k_conv1d: CausalConv1d | null;
  readonly v_conv1d: CausalConv1d | null;
  /** fla's nn.Sequential(Linear(dim, rank, bias=False), Linear(rank, keyDim)). */
  readonly gk_proj: [Linear, Linear];
  readonly o_proj: Linear;
  readonly g_norm_swish_gate: RMSNorm;
  private readonly core: GlaCore;
  /** Its hook points (the core runs them). */
  readonly points: GlaCore['points'];
  private readonly gateLogitNormalizer: number;

  /** Projections have no bias (the gate's second layer has one), as fla's. */
  constructor(o: MixerOptions<Settings<typeof GLA_SETTINGS>>) {
    super();
    const c = new GlaCore('gla', o);
    this.core = c;
    this.points = c.points;
    const rank = o.settings.gateLowRankDim;
    this.gateLogitNormalizer = o.settings.gateLogitNormalizer;
    const init = { bias: false, std: o.std, generator: o.generator };
    this.q_proj = new Linear(o.dim, c.keyDim, init);
    this.k_proj = new Linear(o.dim, c.keyDim, init);
    this.v_proj = new Linear(o.dim, c.valueDim, init);
    this.g_proj = new Linear(o.dim, c.valueDim, init);
    this.q_conv1d = c.shortConv(c.keyDim, o.generator);
    this.k_conv1d = c.shortConv(c.keyDim, o.generator);
    this.v_conv1d = c.shortConv(c.valueDim, o.generator);
    this.gk_proj = [new Linear(o.dim, rank, init), new Linear(rank, c.keyDim, { ...init, bias: true })];
    this.o_proj = new Linear(c.valueDim, o.dim, { ...init, std: o.projStd });
    this.g_norm_swish_gate = new RMSNorm(c.headV, 1e-5);
  }

  initState(batch: number, _capacity: number): MatrixMemoryState {
    return this.core.initState(batch);
  }

  forward(x: Tensor, ctx: MixerContext): Tensor {
    const c = this.core;
    const h = ctx.hooks;
    const q = c.hook(h, 'hook_q', c.heads4(c.project(x, this.q_proj, this.q_conv1d, 'q', ctx), c.headK));
    const k = c.hook(h, 'hook_k', c.heads4(c.project(x, this.k_proj, this.k_conv1d, 'k', ctx), c.headK));
    const v = c.hook(h, 'hook_v', c.heads4(c.project(x, this.v_proj, this.v_conv1d, 'v', ctx), c.headV));
    // logsigmoid(z) / n = -softplus(-z) / n
    const logit = this.gk_proj[1].forward(this.gk_proj[0].forward(x));
    const gk = c.hook(
      h,
      'hook_gk',
      c.heads4(mul(softplus(neg(logit)), -1 / this.gateLogitNormalizer), c.headK),
    );
    const o = c.mix(q, k, v, { kind: 'key', g: gk }, ctx);
    return this.o_proj.forward(c.gatedNorm(o, this.g_proj.forward(x), this.g_norm_swish_gate));
  }
}
