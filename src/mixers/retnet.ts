// Multi-scale retention (RetNet, Sun et al. 2023), as fla's MultiScaleRetention layer with its defaults:
// linear attention whose state decays at a fixed rate per head.
//   q_t, k_t = RoPE(x_t W_q), RoPE(x_t W_k), v_t = x_t W_v, g_t = x_t W_g     (per head of K, V = 2K dims)
//   S_t = gamma_h S_{t-1} + k_t v_t^T,   gamma_h = 1 - 2^(-5 - h)
//   o_t = S_t^T q_t / sqrt(K)
//   out = o_proj(RMSNorm(o) * swish(g))                                  (group norm: RMSNorm per head)
// Head h remembers over about 1 / (1 - gamma_h) = 2^(5 + h) steps: 32 for the first head, doubling after.
// Positions enter through rotary embeddings of q and k (rotate-half form, base 10000, as fla), not xPos.
// Chunkwise training form and recurrence: ops/gla/, with a per-head decay log gamma_h.
// Hook points: hook_q, hook_k [B, T, H, K] (after RoPE), hook_v [B, T, H, V], hook_o [B, T, H, V].
import { Linear, Module, RMSNorm, rotaryTable } from '../nn/index.js';
import { type RotaryTable, rope, type Tensor } from '../tensor/index.js';
import type { Mixer, MixerContext } from './mixer.js';
import type { CausalConv1d } from './ops/conv/op.js';
import { GlaCore, glaSettings } from './ops/gla/layer.js';
import type { MatrixMemoryState } from './ops/matrix-state.js';
import type { MixerOptions } from './options.js';
import type { Settings, SettingsSpec } from './settings.js';

/** Settings (mixerOptions.retnet), fla's defaults: values twice the width. */
export const RETNET_SETTINGS = glaSettings(1, 2) satisfies SettingsSpec;

export class RetNet extends Module implements Mixer {
  readonly q_proj: Linear;
  readonly k_proj: Linear;
  readonly v_proj: Linear;
  readonly g_proj: Linear;
  readonly q_conv1d: CausalConv1d | null;
  readonly k_conv1d: CausalConv1d | null;
  readonly v_conv1d: CausalConv1d | null;
  readonly o_proj: Linear;
  readonly g_norm_swish_gate: RMSNorm;
  /** log gamma_h for each head. */
  readonly logGamma: Float32Array;
  private readonly core: GlaCore;
  /** Its hook points (the core runs them). */
  readonly points: GlaCore['points'];
  private rotary: RotaryTable | null = null;

  /** Projections have no bias, as fla's. */
  constructor(o: MixerOptions<Settings<typeof RETNET_SETTINGS>>) {
    super();
    const c = new GlaCore('retnet', o);
    if (c.headK % 2 !== 0)
      throw new Error(`retnet: rotary embeddings need an even key head size, got ${c.headK}`);
    this.core = c;
    this.points = c.points;
    const init = { bias: false, std: o.std, generator: o.generator };
    this.q_proj = new Linear(o.dim, c.keyDim, init);
    this.k_proj = new Linear(o.dim, c.keyDim, init);
    this.v_proj = new Linear(o.dim, c.valueDim, init);
    this.g_proj = new Linear(o.dim, c.valueDim, init);
    this.q_conv1d = c.shortConv(c.keyDim, o.generator);
    this.k_conv1d = c.shortConv(c.keyDim, o.generator);
    this.v_conv1d = c.shortConv(c.valueDim, o.generator);
    this.o_proj = new Linear(c.valueDim, o.dim, { ...init, std: o.projStd });
    this.g_norm_swish_gate = new RMSNorm(c.headV, 1e-5);
    this.logGamma = Float32Array.from({ length: o.heads }, (_, h) => Math.log(1 - 2 ** (-5 - h)));
  }

  initState(batch: number, _capacity: number): MatrixMemoryState {
    return this.core.initState(batch);
  }

  forward(x: Tensor, ctx: MixerContext): Tensor {
    const c = this.core;
    const h = ctx.hooks;
    const table = this.rotaryFor(
      Math.max(...(typeof ctx.pos === 'number' ? [ctx.pos] : ctx.pos)) + x.shape[1],
    );
    const rotated = (t: Tensor) => c.heads4(rope(t, table, c.heads, ctx.pos), c.headK);
    const q = c.hook(h, 'hook_q', rotated(c.project(x, this.q_proj, this.q_conv1d, 'q', ctx)));
    const k = c.hook(h, 'hook_k', rotated(c.project(x, this.k_proj, this.k_conv1d, 'k', ctx)));
    const v = c.hook(h, 'hook_v', c.heads4(c.project(x, this.v_proj, this.v_conv1d, 'v', ctx), c.headV));
    const o = c.mix(q, k, v, { kind: 'head', logGamma: this.logGamma }, ctx);
    return this.o_proj.forward(c.gatedNorm(o, this.g_proj.forward(x), this.g_norm_swish_gate));
  }

  /** A rotary table covering positions 0..positions-1, grown by doubling (the layer knows no context size). */
  private rotaryFor(positions: number): RotaryTable {
    const have = this.rotary ? this.rotary.cos.length / (this.core.headK / 2) : 0;
    if (!this.rotary || have < positions) {
      this.rotary = rotaryTable(this.core.headK, Math.max(256, 2 ** Math.ceil(Math.log2(positions))));
    }
    return this.rotary;
  }
}
