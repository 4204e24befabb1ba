// Causal multi-head self-attention (GPT-2's layer, with optional RoPE as in Llama).
//   q, k, v = x W_qkv (one fused projection, c_attn); per head: z = softmax(q k^T / sqrt(d) + mask) v;
//   out = z W_o (c_proj).
// The fast path is one fused kernel (native: tiled GEMMs, only a log-sum-exp per row kept for backward).
// When a hook wants q, k, v, the scores or the pattern, the same math runs unfused so they exist as
// tensors: hook_q/k/v [B, T, H, D], hook_attn_scores and hook_pattern [B, H, Tq, Tk], hook_z [B, T, H, D].
import { type HookContext, type HookPoint, hookPoints, Linear, Module } from '../nn/index.js';
import {
  causalAttention,
  permute,
  type RotaryTable,
  reshape,
  rope,
  split,
  type Tensor,
} from '../tensor/index.js';
import { stateOf } from './layer.js';
import type { Mixer, MixerContext } from './mixer.js';
import { naiveAttention } from './ops/attention/naive.js';
import { cachedAttention } from './ops/attention/op.js';
import { KVCache } from './ops/attention/state.js';
import { naiveOps } from './ops/form.js';
import { eachRow } from './ops/rows.js';
import type { MixerOptions } from './options.js';
import type { Settings, SettingsSpec } from './settings.js';

/** Attention has no settings of its own: its width and heads are the model's. */
export const ATTENTION_SETTINGS = {} satisfies SettingsSpec;

const INTERNALS = ['hook_q', 'hook_k', 'hook_v', 'hook_attn_scores', 'hook_pattern', 'hook_z'] as const;

export class CausalSelfAttention extends Module implements Mixer {
  readonly c_attn: Linear;
  readonly c_proj: Linear;
  readonly dim: number;
  readonly heads: number;
  readonly headDim: number;
  private readonly rotary: RotaryTable | null;
  readonly points: Readonly<Record<(typeof INTERNALS)[number], HookPoint>>;

  constructor(o: MixerOptions<Settings<typeof ATTENTION_SETTINGS>>) {
    super();
    const dim = o.dim;
    if (dim % o.heads !== 0) throw new Error(`attention: width ${dim} is not divisible by ${o.heads} heads`);
    this.dim = dim;
    this.heads = o.heads;
    this.headDim = dim / o.heads;
    this.rotary = o.rotary;
    this.c_attn = new Linear(dim, 3 * dim, { bias: o.bias, std: o.std, generator: o.generator });
    this.c_proj = new Linear(dim, dim, { bias: o.bias, std: o.projStd, generator: o.generator });
    this.points = hookPoints(o.name, INTERNALS);
  }

  initState(batch: number, capacity: number): KVCache {
    return new KVCache(batch, this.heads, capacity, this.headDim);
  }

  forward(x: Tensor, ctx: MixerContext): Tensor {
    let qkv = this.c_attn.forward(x);
    if (this.rotary) qkv = rope(qkv, this.rotary, 2 * this.heads, ctx.pos); // q and k heads, not v
    const unfused = naiveOps() || INTERNALS.some((h) => ctx.hooks.wants(this.points[h]));
    const cache = stateOf('attention', ctx.state, KVCache, x.shape[0]);
    let z: Tensor;
    const pos = ctx.pos;
    if (unfused) {
      z =
        typeof pos === 'number'
          ? this.unfused(qkv, ctx.hooks, cache, pos)
          : eachRow(qkv, pos, (row, b, at) => this.unfused(row, ctx.hooks, cache?.rows(b, 1) ?? null, at));
    } else if (cache) z = cachedAttention(qkv, cache, pos);
    else z = causalAttention(qkv, this.heads);
    return this.c_proj.forward(z);
  }

  /** The textbook form, every intermediate a tensor that hooks can read or replace. */
  private unfused(qkv: Tensor, hooks: HookContext, cache: KVCache | null, pos: number): Tensor {
    const [batch, seq] = qkv.shape;
    const names = this.points;
    const heads = (t: Tensor) => reshape(t, [batch, seq, this.heads, this.headDim]);
    const [q0, k0, v0] = split(qkv, this.dim, 2);
    const q = permute(hooks.run(names.hook_q, heads(q0)), [0, 2, 1, 3]);
    let k = permute(hooks.run(names.hook_k, heads(k0)), [0, 2, 1, 3]);
    let v = permute(hooks.run(names.hook_v, heads(v0)), [0, 2, 1, 3]);
    if (cache) [k, v] = cache.append(k, v, pos);
    const z = naiveAttention(q, k, v, pos, (point, t) => hooks.run(names[point], t));
    return reshape(hooks.run(names.hook_z, permute(z, [0, 2, 1, 3])), [batch, seq, this.dim]);
  }
}
