// What DeltaNet and Gated DeltaNet share (fla's layer layout): q, k, v projections each through a short
// causal convolution with SiLU, q and k L2-normalised per head, beta = sigmoid(b_proj x), the delta-rule
// recurrence per head, a per-head norm of its output, and o_proj back to the model width.
//   Hook points: hook_q, hook_k [B, T, H, K], hook_v [B, T, H, V], hook_beta [B, T, H], hook_g [B, T, H]
//   (gated only: the log decay), hook_o [B, T, H, V] (the recurrence's output, before the norm).
// Training runs the chunkwise form; with a state, short inputs (fewer than chunkSize tokens, the decoding
// steps) take the token-by-token recurrence and longer ones (a prefill) the chunkwise form from the state.

import { Linear, Module } from '../../nn/index.js';
import { isGradEnabled, reshape, sigmoid, type Tensor } from '../../tensor/index.js';
import { CausalConv1d } from '../conv/causal-conv1d.js';
import type { Mixer, MixerContext, MixerState } from '../mixer.js';
import type { MixerOptions } from '../options.js';
import { chunkDeltaRule, l2Normalize, recurrentDeltaRule } from './ops.js';
import { DeltaRuleState } from './state.js';

export interface DeltaRuleShape {
  heads: number;
  headKDim: number;
  headVDim: number;
}

const HOOKS = ['hook_q', 'hook_k', 'hook_v', 'hook_beta', 'hook_g', 'hook_o'] as const;

/** A positive integer setting from the config's mixerOptions, or its default. */
export function intSetting(kind: string, o: MixerOptions, name: string, fallback: number): number {
  const value = o.settings[name] ?? fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`${kind}: mixerOptions.${name} must be a positive integer, got ${value}`);
  }
  return value;
}

export abstract class DeltaRuleMixer extends Module implements Mixer {
  readonly q_proj: Linear;
  readonly k_proj: Linear;
  readonly v_proj: Linear;
  readonly b_proj: Linear;
  readonly q_conv1d: CausalConv1d;
  readonly k_conv1d: CausalConv1d;
  readonly v_conv1d: CausalConv1d;
  readonly o_proj: Linear;
  readonly heads: number;
  readonly headKDim: number;
  readonly headVDim: number;
  readonly convSize: number;
  readonly chunkSize: number;
  private readonly hookNames: Record<(typeof HOOKS)[number], string>;

  constructor(
    readonly kind: string,
    o: MixerOptions,
    shape: DeltaRuleShape,
  ) {
    super();
    const { heads, headKDim, headVDim } = shape;
    this.heads = heads;
    this.headKDim = headKDim;
    this.headVDim = headVDim;
    this.convSize = intSetting(kind, o, 'convSize', 4);
    this.chunkSize = intSetting(kind, o, 'chunkSize', 64);
    // fla's layers have no biases in these projections.
    const proj = (inF: number, outF: number, std: number) =>
      new Linear(inF, outF, { bias: false, std, generator: o.generator });
    this.q_proj = proj(o.dim, heads * headKDim, o.std);
    this.k_proj = proj(o.dim, heads * headKDim, o.std);
    this.v_proj = proj(o.dim, heads * headVDim, o.std);
    this.b_proj = proj(o.dim, heads, o.std);
    // fla's ShortConvolution: the causal conv1d with SiLU, no bias.
    const conv = (channels: number) =>
      new CausalConv1d(channels, this.convSize, { bias: false, generator: o.generator });
    this.q_conv1d = conv(heads * headKDim);
    this.k_conv1d = conv(heads * headKDim);
    this.v_conv1d = conv(heads * headVDim);
    this.o_proj = proj(heads * headVDim, o.dim, o.projStd);
    this.hookNames = Object.fromEntries(HOOKS.map((h) => [h, `${o.name}.${h}`])) as typeof this.hookNames;
  }

  /** The log decay g [B, T, H] of the memory at each token (alpha = exp(g)), or null for none. */
  protected abstract logDecay(x: Tensor): Tensor | null;
  /** Normalises (and gates) the recurrence's output o [B, T, H, V]. */
  protected abstract outputNorm(o: Tensor, x: Tensor): Tensor;

  initState(batch: number, _capacity: number): DeltaRuleState {
    return new DeltaRuleState(batch, this.heads, this.headKDim, this.headVDim, this.convSize);
  }

  forward(x: Tensor, ctx: MixerContext): Tensor {
    const [B, T, width] = x.shape;
    const [H, K, V] = [this.heads, this.headKDim, this.headVDim];
    if (x.ndim !== 3 || width !== this.q_proj.inFeatures) {
      throw new Error(`${this.kind}: expected x [batch, seq, ${this.q_proj.inFeatures}], got [${x.shape}]`);
    }
    const state = this.stateOf(ctx.state, B);
    const hooks = ctx.hooks;
    const run = (h: (typeof HOOKS)[number], t: Tensor) => hooks.run(this.hookNames[h], t);
    const heads = (t: Tensor, d: number) => reshape(t, [B, T, H, d]);
    const conv = (c: CausalConv1d, p: Linear, cache: Float32Array | null) => c.forward(p.forward(x), cache);
    const unit = (c: CausalConv1d, p: Linear, cache: Float32Array | null) =>
      heads(l2Normalize(conv(c, p, cache), K), K);
    const q = run('hook_q', unit(this.q_conv1d, this.q_proj, state?.conv.q ?? null));
    const k = run('hook_k', unit(this.k_conv1d, this.k_proj, state?.conv.k ?? null));
    const v = run('hook_v', heads(conv(this.v_conv1d, this.v_proj, state?.conv.v ?? null), V));
    const beta = run('hook_beta', sigmoid(this.b_proj.forward(x)));
    const decay = this.logDecay(x);
    const g = decay && run('hook_g', decay);
    const o = run('hook_o', this.recurrence(q, k, v, beta, g, state));
    return this.o_proj.forward(reshape(this.outputNorm(o, x), [B, T, H * V]));
  }

  private recurrence(
    q: Tensor,
    k: Tensor,
    v: Tensor,
    beta: Tensor,
    g: Tensor | null,
    state: DeltaRuleState | null,
  ) {
    const scale = 1 / Math.sqrt(this.headKDim);
    const needsGrad = isGradEnabled() && [q, k, v, beta, g].some((t) => t?.requiresGrad);
    if (state && q.shape[1] < this.chunkSize && !needsGrad) {
      return recurrentDeltaRule(q, k, v, beta, g, { scale, state: state.memory });
    }
    return chunkDeltaRule(q, k, v, beta, g, { scale, chunkSize: this.chunkSize, state: state?.memory });
  }

  private stateOf(state: MixerState | null, batch: number): DeltaRuleState | null {
    if (state === null) return null;
    const fits =
      state instanceof DeltaRuleState &&
      state.batch === batch &&
      state.memory.length === batch * this.heads * this.headKDim * this.headVDim &&
      state.conv.q.length === batch * (this.convSize - 1) * this.heads * this.headKDim;
    if (!fits) {
      throw new Error(
        `${this.kind}: the state (${state.kind}) was not made by this layer's initState(${batch}, ...)`,
      );
    }
    return state;
  }
}
