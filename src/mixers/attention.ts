// Causal multi-head self-attention (GPT-2's layer, with optional RoPE as in Llama).
//   q, k, v = x W_qkv (one fused projection, c_attn); per head: z = softmax(q k^T / sqrt(d) + mask) v;
//   out = z W_o (c_proj).
// The fast path is one fused kernel (native: tiled GEMMs, only a log-sum-exp per row kept for backward).
// When a hook wants q, k, v, the scores or the pattern, the same math runs unfused so they exist as
// tensors: hook_q/k/v [B, T, H, D], hook_attn_scores and hook_pattern [B, H, Tq, Tk], hook_z [B, T, H, D].

import { backend } from '../backend/index.js';
import { type HookContext, Linear, Module } from '../nn/index.js';
import {
  arange,
  causalAttention,
  type Generator,
  gt,
  maskedFill,
  matmul,
  mul,
  noGrad,
  permute,
  type RotaryTable,
  reshape,
  rope,
  softmax,
  split,
  Tensor,
  unsqueeze,
} from '../tensor/index.js';
import type { Mixer, MixerContext, MixerState } from './mixer.js';

export interface AttentionOptions {
  heads: number;
  bias: boolean;
  std: number;
  projStd: number;
  rotary: RotaryTable | null;
  generator?: Generator;
}

/** Keys and values of every past position, per layer: [B, H, capacity, D] each. */
export class KVCache implements MixerState {
  readonly kind = 'kv-cache';
  readonly k: Float32Array;
  readonly v: Float32Array;
  constructor(
    readonly batch: number,
    readonly heads: number,
    readonly capacity: number,
    readonly headDim: number,
  ) {
    this.k = new Float32Array(batch * heads * capacity * headDim);
    this.v = new Float32Array(batch * heads * capacity * headDim);
  }
  bytes(): number {
    return this.k.byteLength + this.v.byteLength;
  }
}

const INTERNALS = ['hook_q', 'hook_k', 'hook_v', 'hook_attn_scores', 'hook_pattern', 'hook_z'] as const;

export class CausalSelfAttention extends Module implements Mixer {
  readonly c_attn: Linear;
  readonly c_proj: Linear;
  readonly heads: number;
  readonly headDim: number;
  private readonly rotary: RotaryTable | null;
  private readonly hookNames: Record<(typeof INTERNALS)[number], string>;

  constructor(
    readonly dim: number,
    readonly name: string,
    o: AttentionOptions,
  ) {
    super();
    if (dim % o.heads !== 0) throw new Error(`attention: width ${dim} is not divisible by ${o.heads} heads`);
    this.heads = o.heads;
    this.headDim = dim / o.heads;
    this.rotary = o.rotary;
    this.c_attn = new Linear(dim, 3 * dim, { bias: o.bias, std: o.std, generator: o.generator });
    this.c_proj = new Linear(dim, dim, { bias: o.bias, std: o.projStd, generator: o.generator });
    this.hookNames = Object.fromEntries(INTERNALS.map((h) => [h, `${name}.${h}`])) as typeof this.hookNames;
  }

  initState(batch: number, capacity: number): KVCache {
    return new KVCache(batch, this.heads, capacity, this.headDim);
  }

  forward(x: Tensor, ctx: MixerContext): Tensor {
    let qkv = this.c_attn.forward(x);
    if (this.rotary) qkv = rope(qkv, this.rotary, 2 * this.heads, ctx.pos); // q and k heads, not v
    const unfused = INTERNALS.some((h) => ctx.hooks.wants(this.hookNames[h]));
    const cache = ctx.state as KVCache | null;
    let z: Tensor;
    if (unfused) z = this.unfused(qkv, ctx.hooks, cache, ctx.pos);
    else if (cache) z = this.cached(qkv, cache, ctx.pos);
    else z = causalAttention(qkv, this.heads);
    return this.c_proj.forward(z);
  }

  /** Generation: append this step's keys and values to the cache and attend over all of it. */
  private cached(qkv: Tensor, cache: KVCache, pos: number): Tensor {
    const [batch, seq] = qkv.shape;
    if (pos + seq > cache.capacity) {
      throw new Error(`attention: KV cache holds ${cache.capacity} positions, asked for ${pos + seq}`);
    }
    const out = new Float32Array(batch * seq * this.dim);
    backend().cachedAttention(
      qkv.data,
      cache.k,
      cache.v,
      out,
      batch,
      seq,
      this.heads,
      this.headDim,
      pos,
      cache.capacity,
      1 / Math.sqrt(this.headDim),
    );
    return new Tensor(out, [batch, seq, this.dim]);
  }

  /** The textbook form, every intermediate a tensor that hooks can read or replace. */
  private unfused(qkv: Tensor, hooks: HookContext, cache: KVCache | null, pos: number): Tensor {
    const [batch, seq] = qkv.shape;
    const [H, D] = [this.heads, this.headDim];
    const heads = (t: Tensor) => reshape(t, [batch, seq, H, D]);
    const [q0, k0, v0] = split(qkv, this.dim, 2);
    const q = permute(hooks.run(this.hookNames.hook_q, heads(q0)), [0, 2, 1, 3]);
    let k = permute(hooks.run(this.hookNames.hook_k, heads(k0)), [0, 2, 1, 3]);
    let v = permute(hooks.run(this.hookNames.hook_v, heads(v0)), [0, 2, 1, 3]);
    if (cache) [k, v] = this.appendToCache(cache, k, v, pos);
    const keys = pos + seq;
    // Query i sits at absolute position pos + i and may not see keys after it.
    const future = gt(unsqueeze(arange(keys), 0), unsqueeze(arange(pos, keys), 1));
    const scores = maskedFill(
      mul(matmul(q, k, { transposeB: true }), 1 / Math.sqrt(D)),
      future,
      Number.NEGATIVE_INFINITY,
    );
    const pattern = hooks.run(
      this.hookNames.hook_pattern,
      softmax(hooks.run(this.hookNames.hook_attn_scores, scores), -1),
    );
    const z = hooks.run(this.hookNames.hook_z, permute(matmul(pattern, v), [0, 2, 1, 3]));
    return reshape(z, [batch, seq, this.dim]);
  }

  /** Writes k, v [B, H, T, D] at pos and returns the whole cached prefix as tensors. */
  private appendToCache(cache: KVCache, k: Tensor, v: Tensor, pos: number): [Tensor, Tensor] {
    const [batch, H, seq, D] = k.shape;
    const keys = pos + seq;
    if (keys > cache.capacity)
      throw new Error(`attention: KV cache holds ${cache.capacity} positions, asked for ${keys}`);
    return noGrad(() => {
      const all = (src: Tensor, store: Float32Array) => {
        const out = new Float32Array(batch * H * keys * D);
        for (let bh = 0; bh < batch * H; bh++) {
          const base = bh * cache.capacity * D;
          store.set(src.data.subarray(bh * seq * D, (bh + 1) * seq * D), base + pos * D);
          out.set(store.subarray(base, base + keys * D), bh * keys * D);
        }
        return new Tensor(out, [batch, H, keys, D]);
      };
      return [all(k, cache.k), all(v, cache.v)];
    });
  }
}
