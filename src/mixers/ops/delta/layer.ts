// What DeltaNet and Gated DeltaNet share around the op (fla's layer layout): q, k, v projections each
// through a short causal convolution with SiLU, q and k L2-normalised per head, the delta-rule recurrence
// per head (chunkwise, or token by token when decoding), and the state. Each layer holds its own
// parameters (named as fla's) and uses this core for the rest.
//   Hook points: hook_q, hook_k [B, T, H, K], hook_v [B, T, H, V], hook_beta [B, T, H], hook_g [B, T, H]
//   (gated only: the log decay), hook_o [B, T, H, V] (the recurrence's output, before the norm).
import { type HookContext, type HookPoint, hookPoints, Linear } from '../../../nn/index.js';
import { reshape, type Tensor } from '../../../tensor/index.js';
import { stateOf, useRecurrence } from '../../layer.js';
import type { MixerContext, MixerState } from '../../mixer.js';
import type { LayerOptions } from '../../options.js';
import { positiveInt } from '../../settings.js';
import { CausalConv1d } from '../conv/op.js';
import { MatrixMemoryState } from '../matrix-state.js';
import { chunkDeltaRule, l2Normalize, recurrentDeltaRule } from './op.js';

/** The settings both layers read: the short convolutions' width and the chunk size, fla's defaults. */
export const DELTA_RULE_SETTINGS = { convSize: positiveInt(4), chunkSize: positiveInt(64) };

export interface DeltaRuleShape {
  heads: number;
  headKDim: number;
  headVDim: number;
}

/** The projections and convolutions the core reads from its layer. */
export interface DeltaRuleInputs {
  q_proj: Linear;
  k_proj: Linear;
  v_proj: Linear;
  q_conv1d: CausalConv1d;
  k_conv1d: CausalConv1d;
  v_conv1d: CausalConv1d;
}

const HOOKS = ['hook_q', 'hook_k', 'hook_v', 'hook_beta', 'hook_g', 'hook_o'] as const;
type Point = (typeof HOOKS)[number];

export class DeltaRuleCore {
  readonly heads: number;
  readonly headKDim: number;
  readonly headVDim: number;
  readonly convSize: number;
  readonly chunkSize: number;
  private readonly dim: number;
  /** The layer's hook points: hook_g only where there is a gate (Gated DeltaNet). */
  readonly points: Readonly<Partial<Record<Point, HookPoint>>>;

  constructor(
    readonly kind: 'deltanet' | 'gated-deltanet',
    o: LayerOptions & { settings: { convSize: number; chunkSize: number } },
    shape: DeltaRuleShape,
  ) {
    ({ heads: this.heads, headKDim: this.headKDim, headVDim: this.headVDim } = shape);
    this.dim = o.dim;
    this.convSize = o.settings.convSize;
    this.chunkSize = o.settings.chunkSize;
    this.points = hookPoints(
      o.name,
      HOOKS.filter((p) => p !== 'hook_g' || kind === 'gated-deltanet'),
    );
  }

  /** A projection from `inF` to `outF` features: fla's layers have no biases in these. */
  linear(o: LayerOptions, inF: number, outF: number, std: number): Linear {
    return new Linear(inF, outF, { bias: false, std, generator: o.generator });
  }

  /** fla's ShortConvolution: the causal conv1d with SiLU, no bias. */
  shortConv(o: LayerOptions, channels: number): CausalConv1d {
    return new CausalConv1d(channels, this.convSize, { bias: false, generator: o.generator });
  }

  initState(batch: number): MatrixMemoryState {
    return new MatrixMemoryState(this.kind, batch, this.heads, this.headKDim, this.headVDim, this.convSize);
  }

  hook(hooks: HookContext, point: Point, t: Tensor): Tensor {
    const p = this.points[point];
    if (!p) throw new Error(`${this.kind}: no hook point ${point}`);
    return hooks.run(p, t);
  }

  /** q and k (unit vectors per head) and v, each [B, T, H, D], through the layer's convolutions. */
  qkv(x: Tensor, layer: DeltaRuleInputs, ctx: MixerContext): { q: Tensor; k: Tensor; v: Tensor } {
    const [B, T, width] = x.shape;
    if (x.ndim !== 3 || width !== this.dim) {
      throw new Error(`${this.kind}: expected x [batch, seq, ${this.dim}], got [${x.shape}]`);
    }
    const state = this.ownState(ctx.state, B);
    const [H, K, V] = [this.heads, this.headKDim, this.headVDim];
    const heads = (t: Tensor, d: number) => reshape(t, [B, T, H, d]);
    const conv = (c: CausalConv1d, p: Linear, window: Float32Array | null) => c.forward(p.forward(x), window);
    const unit = (c: CausalConv1d, p: Linear, window: Float32Array | null) =>
      heads(l2Normalize(conv(c, p, window), K), K);
    return {
      q: this.hook(ctx.hooks, 'hook_q', unit(layer.q_conv1d, layer.q_proj, state?.conv?.q ?? null)),
      k: this.hook(ctx.hooks, 'hook_k', unit(layer.k_conv1d, layer.k_proj, state?.conv?.k ?? null)),
      v: this.hook(ctx.hooks, 'hook_v', heads(conv(layer.v_conv1d, layer.v_proj, state?.conv?.v ?? null), V)),
    };
  }

  /** o [B, T, H, V] (hook_o): the recurrence from beta [B, T, H] and the log decay g [B, T, H] or none. */
  mix(q: Tensor, k: Tensor, v: Tensor, beta: Tensor, g: Tensor | null, ctx: MixerContext): Tensor {
    const state = this.ownState(ctx.state, q.shape[0]);
    const scale = 1 / Math.sqrt(this.headKDim);
    const o =
      state && useRecurrence(q.shape[1], this.chunkSize, [q, k, v, beta, g])
        ? recurrentDeltaRule(q, k, v, beta, g, { scale, state: state.S })
        : chunkDeltaRule(q, k, v, beta, g, { scale, chunkSize: this.chunkSize, state: state?.S });
    return this.hook(ctx.hooks, 'hook_o', o);
  }

  /** o [B, T, H, V] as [B, T, H * V], for o_proj. */
  merge(o: Tensor): Tensor {
    const [B, T, H, V] = o.shape;
    return reshape(o, [B, T, H * V]);
  }

  private ownState(given: MixerState | null, batch: number): MatrixMemoryState | null {
    const state = stateOf(this.kind, given, MatrixMemoryState, batch);
    if (state && !state.fits(this.heads, this.headKDim, this.headVDim, this.convSize))
      throw new Error(`${this.kind}: the state was not made by this layer's initState`);
    return state;
  }
}
