// Linear attention (Katharopoulos et al. 2020), as fla's LinearAttention layer with its defaults: an RNN
// whose matrix memory adds every key-value pair and never forgets.
//   q_t = phi_q(x_t W_q), k_t = phi_k(x_t W_k), v_t = x_t W_v          (per head of K, V dims)
//   S_t = S_{t-1} + k_t v_t^T,   o_t = S_t^T q_t / sqrt(K)
//   out = o_proj(RMSNorm(o))                                            (RMSNorm per head)
// phi is fla's default feature map, the learned elementwise product ("Hadamard") map
// phi(x) = (x W_1 + b_1) * (x W_2 + b_2), one for queries and one for keys, shared by the heads. As fla's
// default (do_feature_map_norm=False) there is no q.sum(k) denominator: the per-head RMSNorm keeps the
// output's scale instead. Chunkwise training form and recurrence: ops/gla/, with decay 1.
// The memory is a sum, so the output at t is the same whatever order the earlier tokens came in: the layer
// alone cannot tell which token came just before (fla's layer has no positions). The setting convSize
// adds short convolutions after the q, k, v projections (GLA's and RetNet's option in fla; Zoology's Based
// pairs linear attention with one), which give it that order.
// Hook points: hook_q, hook_k [B, T, H, K] (after phi), hook_v [B, T, H, V], hook_o [B, T, H, V].
import { Linear, Module, RMSNorm } from '../nn/index.js';
import { mul, type Tensor } from '../tensor/index.js';
import type { Mixer, MixerContext } from './mixer.js';
import type { CausalConv1d } from './ops/conv/op.js';
import { GlaCore, glaSettings } from './ops/gla/layer.js';
import type { MatrixMemoryState } from './ops/matrix-state.js';
import type { LayerOptions, MixerOptions } from './options.js';
import type { Settings, SettingsSpec } from './settings.js';

/** Settings (mixerOptions['linear-attention']), fla's defaults. */
export const LINEAR_ATTENTION_SETTINGS = glaSettings(1, 1) satisfies SettingsSpec;

/** phi(x) = layer1(x) * layer2(x) on the last dim (fla's HadamardFeatureMap). */
export class HadamardFeatureMap extends Module {
  readonly layer1: Linear;
  readonly layer2: Linear;

  constructor(headDim: number, o: LayerOptions) {
    super();
    this.layer1 = new Linear(headDim, headDim, { std: o.std, generator: o.generator });
    this.layer2 = new Linear(headDim, headDim, { std: o.std, generator: o.generator });
  }

  forward(x: Tensor): Tensor {
    return mul(this.layer1.forward(x), this.layer2.forward(x));
  }
}

export class LinearAttention extends Module implements Mixer {
  readonly feature_map_q: HadamardFeatureMap;
  readonly feature_map_k: HadamardFeatureMap;
  readonly q_proj: Linear;
  readonly k_proj: Linear;
  readonly v_proj: Linear;
  readonly q_conv1d: CausalConv1d | null;
  readonly k_conv1d: CausalConv1d | null;
  readonly v_conv1d: CausalConv1d | null;
  readonly norm: RMSNorm;
  readonly o_proj: Linear;
  private readonly core: GlaCore;
  /** Its hook points (the core runs them). */
  readonly points: GlaCore['points'];

  /** Projections have no bias, as fla's. */
  constructor(o: MixerOptions<Settings<typeof LINEAR_ATTENTION_SETTINGS>>) {
    super();
    const c = new GlaCore('linear-attention', o);
    this.core = c;
    this.points = c.points;
    const init = { bias: false, std: o.std, generator: o.generator };
    this.feature_map_q = new HadamardFeatureMap(c.headK, o);
    this.feature_map_k = new HadamardFeatureMap(c.headK, o);
    this.q_proj = new Linear(o.dim, c.keyDim, init);
    this.k_proj = new Linear(o.dim, c.keyDim, init);
    this.v_proj = new Linear(o.dim, c.valueDim, init);
    this.q_conv1d = c.shortConv(c.keyDim, o.generator);
    this.k_conv1d = c.shortConv(c.keyDim, o.generator);
    this.v_conv1d = c.shortConv(c.valueDim, o.generator);
    this.norm = new RMSNorm(c.headV, 1e-5);
    this.o_proj = new Linear(c.valueDim, o.dim, { ...init, std: o.projStd });
  }

  initState(batch: number, _capacity: number): MatrixMemoryState {
    return this.core.initState(batch);
  }

  forward(x: Tensor, ctx: MixerContext): Tensor {
    const c = this.core;
    const h = ctx.hooks;
    const qx = c.project(x, this.q_proj, this.q_conv1d, 'q', ctx);
    const kx = c.project(x, this.k_proj, this.k_conv1d, 'k', ctx);
    const q = c.hook(h, 'hook_q', this.feature_map_q.forward(c.heads4(qx, c.headK)));
    const k = c.hook(h, 'hook_k', this.feature_map_k.forward(c.heads4(kx, c.headK)));
    const v = c.hook(h, 'hook_v', c.heads4(c.project(x, this.v_proj, this.v_conv1d, 'v', ctx), c.headV));
    const o = this.norm.forward(c.mix(q, k, v, { kind: 'none' }, ctx));
    return this.o_proj.forward(o.reshape(x.shape[0], x.shape[1], c.valueDim));
  }
}
