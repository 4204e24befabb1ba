// What linear attention, RetNet and GLA share around the kernel: head sizes from the settings, the optional
// short convolutions of q, k and v, the choice between the chunkwise op (training, prefill) and the
// recurrence (decoding), the state, and the hook points.
import type { HookContext, Linear, RMSNorm } from '../../nn/index.js';
import { type Generator, isGradEnabled, mul, reshape, silu, type Tensor } from '../../tensor/index.js';
import { CausalConv1d } from '../conv/causal-conv1d.js';
import type { MixerContext, MixerState } from '../mixer.js';
import type { MixerOptions } from '../options.js';
import { chunkGla, type Decay, recurrentGla } from './op.js';
import { GlaState } from './state.js';

/** The mixer's name in errors, and the reference defaults of the settings it reads. */
export interface CoreDefaults {
  mixer: 'linear-attention' | 'retnet' | 'gla';
  expandK: number;
  expandV: number;
}

/** A positive number from the config's mixerOptions, or the reference default. */
export function setting(
  mixer: string,
  settings: Readonly<Record<string, number>>,
  key: string,
  fallback: number,
) {
  const value = settings[key] ?? fallback;
  if (!(Number.isFinite(value) && value > 0)) {
    throw new Error(`${mixer}: mixerOptions.${key} must be a positive number, got ${value}`);
  }
  return value;
}

/** The recurrence core: heads of K-dim keys and V-dim values, scores scaled by 1/sqrt(K). */
export class GlaCore {
  readonly mixer: CoreDefaults['mixer'];
  readonly name: string;
  readonly heads: number;
  /** Total key and value widths (the projections' outputs), and per head. */
  readonly keyDim: number;
  readonly valueDim: number;
  readonly headK: number;
  readonly headV: number;
  readonly chunkSize: number;
  /**
   * Taps of the causal depthwise convolution (with SiLU) after the q, k and v projections, 0 for none:
   * fla's use_short_conv/conv_size (off by default there too). Without it, or a decay or positions, a
   * layer cannot tell which token came just before: linear attention's memory is a sum, blind to order.
   */
  readonly convSize: number;
  readonly scale: number;

  constructor(o: MixerOptions, defaults: CoreDefaults) {
    const m = defaults.mixer;
    this.mixer = m;
    this.name = o.name;
    this.heads = o.heads;
    this.keyDim = Math.round(o.dim * setting(m, o.settings, 'expandK', defaults.expandK));
    this.valueDim = Math.round(o.dim * setting(m, o.settings, 'expandV', defaults.expandV));
    if (this.keyDim % o.heads !== 0 || this.valueDim % o.heads !== 0) {
      throw new Error(
        `${m}: key width ${this.keyDim} and value width ${this.valueDim} must both divide into ${o.heads} heads`,
      );
    }
    this.headK = this.keyDim / o.heads;
    this.headV = this.valueDim / o.heads;
    this.chunkSize = setting(m, o.settings, 'chunkSize', 64);
    if (!Number.isInteger(this.chunkSize)) throw new Error(`${m}: mixerOptions.chunkSize must be an integer`);
    this.convSize = o.settings.convSize ?? 0;
    if (!(Number.isInteger(this.convSize) && this.convSize >= 0)) {
      throw new Error(
        `${m}: mixerOptions.convSize must be 0 (none) or a positive integer, got ${this.convSize}`,
      );
    }
    this.scale = 1 / Math.sqrt(this.headK);
  }

  initState(batch: number): GlaState {
    return new GlaState(this.mixer, batch, this.heads, this.headK, this.headV, this.convSize);
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
  hook(hooks: HookContext, point: string, t: Tensor): Tensor {
    return hooks.run(`${this.name}.${point}`, t);
  }

  /**
   * o [B, T, H, V] (hook_o) from q, k [B, T, H, K] and v [B, T, H, V]: the chunkwise op, continuing from
   * ctx.state when there is one; short pieces with a state and no gradient (decoding) take the recurrence.
   */
  mix(q: Tensor, k: Tensor, v: Tensor, decay: Decay, ctx: MixerContext): Tensor {
    const state = this.ownState(ctx.state, q.shape[0]);
    const inputs = decay.kind === 'key' ? [q, k, v, decay.g] : [q, k, v];
    const needsGrad = isGradEnabled() && inputs.some((t) => t.requiresGrad);
    const o =
      state && !needsGrad && q.shape[1] < this.chunkSize
        ? recurrentGla(q, k, v, decay, { scale: this.scale, state })
        : chunkGla(q, k, v, decay, { scale: this.scale, chunkSize: this.chunkSize, state });
    return this.hook(ctx.hooks, 'hook_o', o);
  }

  /** The per-head RMSNorm of o [B, T, H, V], gated by silu(g [B, T, H * V]) (fla's FusedRMSNormGated). */
  gatedNorm(o: Tensor, g: Tensor, norm: RMSNorm): Tensor {
    const [B, T] = g.shape;
    return reshape(mul(norm.forward(o), silu(reshape(g, o.shape))), [B, T, this.valueDim]);
  }

  private ownState(state: MixerState | null, batch: number): GlaState | null {
    if (state === null) return null;
    if (!(state instanceof GlaState) || state.kind !== this.mixer) {
      throw new Error(`${this.mixer}: expected the state made by its initState, got a "${state.kind}" state`);
    }
    if (state.batch !== batch)
      throw new Error(`${this.mixer}: state holds ${state.batch} sequences, input has ${batch}`);
    if ((state.conv !== null) !== this.convSize > 0)
      throw new Error(`${this.mixer}: the state's short convolutions do not match convSize ${this.convSize}`);
    return state;
  }
}
