// What linear attention, RetNet and GLA share around the op: head sizes from the settings, the optional
// short convolutions of q, k and v, the choice between the chunkwise op (training, prefill) and the
// recurrence (decoding), the state, and the hook points. Each layer holds its own parameters (named as
// fla's) and uses this core for the rest.
import {
  type HookContext,
  type HookPoint,
  hookPoints,
  type Linear,
  type RMSNorm,
} from '../../../nn/index.js';
import { type Generator, mul, reshape, silu, type Tensor } from '../../../tensor/index.js';
import { stateOf, useRecurrence } from '../../layer.js';
import type { MixerContext, MixerState } from '../../mixer.js';
import type { MixerOptions } from '../../options.js';
import { count, positive, positiveInt, type Settings } from '../../settings.js';
import { CausalConv1d } from '../conv/op.js';
import { MatrixMemoryState } from '../matrix-state.js';
import { chunkGla, type Decay, recurrentGla } from './op.js';

/**
 * The settings the core reads, with the layer's reference widths: keys expandK x dim and values expandV x
 * dim wide, split over the heads.
 */
export function glaSettings(expandK: number, expandV: number) {
  return {
    expandK: positive(expandK),
    expandV: positive(expandV),
    chunkSize: positiveInt(64),
    /**
     * Taps of the causal depthwise convolution (with SiLU) after the q, k and v projections, 0 for none:
     * fla's use_short_conv/conv_size (off by default there too). Without it, or a decay or positions, a
     * layer cannot tell which token came just before: linear attention's memory is a sum, blind to order.
     */
    convSize: count(0),
  };
}

type GlaSettings = Settings<ReturnType<typeof glaSettings>>;

/** q, k [B, T, H, K] (after RoPE or the feature map), v [B, T, H, V], gk [B, T, H, K] (GLA's log decay), o. */
const HOOKS = ['hook_q', 'hook_k', 'hook_v', 'hook_gk', 'hook_o'] as const;
type Point = (typeof HOOKS)[number];

/** The recurrence core: heads of K-dim keys and V-dim values, scores scaled by 1/sqrt(K). */
export class GlaCore {
  readonly heads: number;
  /** Total key and value widths (the projections' outputs), and per head. */
  readonly keyDim: number;
  readonly valueDim: number;
  readonly headK: number;
  readonly headV: number;
  readonly chunkSize: number;
  readonly convSize: number;
  readonly scale: number;
  /** The layer's hook points: hook_gk only where the decay is data-dependent (GLA). */
  readonly points: Readonly<Partial<Record<Point, HookPoint>>>;

  constructor(
    readonly mixer: 'linear-attention' | 'retnet' | 'gla',
    o: MixerOptions<GlaSettings>,
  ) {
    const s = o.settings;
    this.points = hookPoints(
      o.name,
      HOOKS.filter((p) => p !== 'hook_gk' || mixer === 'gla'),
    );
    this.heads = o.heads;
    this.keyDim = Math.round(o.dim * s.expandK);
    this.valueDim = Math.round(o.dim * s.expandV);
    if (this.keyDim % o.heads !== 0 || this.valueDim % o.heads !== 0) {
      throw new Error(
        `${mixer}: key width ${this.keyDim} and value width ${this.valueDim} must both divide into ${o.heads} heads`,
      );
    }
    this.headK = this.keyDim / o.heads;
    this.headV = this.valueDim / o.heads;
    this.chunkSize = s.chunkSize;
    this.convSize = s.convSize;
    this.scale = 1 / Math.sqrt(this.headK);
  }

  initState(batch: number): MatrixMemoryState {
    return new MatrixMemoryState(this.mixer, batch, this.heads, this.headK, this.headV, this.convSize);
  }

  /** The short convolution of a projection `width` wide, or null when convSize is 0. */
  shortConv(width: number, generator?: Generator): CausalConv1d | null {
    return this.convSize > 0 ? new CausalConv1d(width, this.convSize, { bias: false, generator }) : null;
  }

  /** proj(x), through conv when there is one (continuing from the state's inputs for `which`). */
  project(x: Tensor, proj: Linear, conv: CausalConv1d | null, which: 'q' | 'k' | 'v', ctx: MixerContext) {
    const y = proj.forward(x);
    return conv ? conv.forward(y, this.ownState(ctx.state, x.shape[0])?.conv?.[which] ?? null) : y;
  }

  /** x [B, T, H * D] as [B, T, H, D]. */
  heads4(x: Tensor, D: number): Tensor {
    return reshape(x, [x.shape[0], x.shape[1], this.heads, D]);
  }

  /** Passes t through this layer's hook point `point` (hook_q, hook_k, ...). */
  hook(hooks: HookContext, point: Point, t: Tensor): Tensor {
    const p = this.points[point];
    if (!p) throw new Error(`${this.mixer}: no hook point ${point}`);
    return hooks.run(p, t);
  }

  /**
   * o [B, T, H, V] (hook_o) from q, k [B, T, H, K] and v [B, T, H, V]: the chunkwise op, continuing from
   * ctx.state when there is one; short pieces with a state and no gradient (decoding) take the recurrence.
   */
  mix(q: Tensor, k: Tensor, v: Tensor, decay: Decay, ctx: MixerContext): Tensor {
    const state = this.ownState(ctx.state, q.shape[0]);
    const inputs = decay.kind === 'key' ? [q, k, v, decay.g] : [q, k, v];
    const o =
      state && useRecurrence(q.shape[1], this.chunkSize, inputs)
        ? recurrentGla(q, k, v, decay, { scale: this.scale, state })
        : chunkGla(q, k, v, decay, { scale: this.scale, chunkSize: this.chunkSize, state });
    return this.hook(ctx.hooks, 'hook_o', o);
  }

  /** The per-head RMSNorm of o [B, T, H, V], gated by silu(g [B, T, H * V]) (fla's FusedRMSNormGated). */
  gatedNorm(o: Tensor, g: Tensor, norm: RMSNorm): Tensor {
    const [B, T] = g.shape;
    return reshape(mul(norm.forward(o), silu(reshape(g, o.shape))), [B, T, this.valueDim]);
  }

  private ownState(given: MixerState | null, batch: number): MatrixMemoryState | null {
    const state = stateOf(this.mixer, given, MatrixMemoryState, batch);
    if (state && !state.fits(this.heads, this.headK, this.headV, this.convSize))
      throw new Error(`${this.mixer}: the state was not made by this layer's initState`);
    return state;
  }
}
