// Running a model with its activations kept, and reading the residual stream as TransformerLens's
// ActivationCache does: the stream after each layer (what the logit lens decodes), the stream split into
// what each component wrote (embeddings, each mixer's and MLP's output), and each component's direct
// contribution to a logit difference. Works for every mixer: the block's hook points are the same.
import { CausalSelfAttention } from '../mixers/index.js';
import type { GenerationState, LanguageModel } from '../model/index.js';
import { type CacheFilter, HookContext, LayerNorm } from '../nn/index.js';
import {
  add,
  div,
  expand,
  type IntTensor,
  matmul,
  mean,
  mul,
  noGrad,
  reshape,
  sqrt,
  stack,
  sub,
  Tensor,
} from '../tensor/index.js';

export interface CacheOptions {
  /** Which activations to keep: names, or a test on a name (default all). Names are checked. */
  names?: CacheFilter;
  /** Continue from a generation state (it is advanced). */
  state?: GenerationState;
  /**
   * Record the graph and keep the gradient of every cached activation after `metric.backward()` (what
   * attribution patching reads); off by default, so a plain cache costs no graph.
   */
  grads?: boolean;
}

/** The model's logits for ids [B, T], with the activations asked for. */
export function runWithCache(
  model: LanguageModel,
  ids: IntTensor,
  options: CacheOptions = {},
): { logits: Tensor; cache: ActivationCache } {
  const acts = new Map<string, Tensor>();
  const hooks = new HookContext(new Map(), acts, options.names ?? (() => true));
  const run = () => model.forward(ids, { hooks, state: options.state });
  const logits = options.grads ? run() : noGrad(run);
  if (options.grads) for (const t of acts.values()) if (t.requiresGrad) t.retainGrad();
  return { logits, cache: new ActivationCache(model, acts) };
}

/** A stack of residual-stream pieces [n, B, T, d] with a label for each. */
export interface ResidStack {
  stack: Tensor;
  labels: string[];
}

export class ActivationCache {
  constructor(
    readonly model: LanguageModel,
    private readonly acts: ReadonlyMap<string, Tensor>,
  ) {}

  names(): string[] {
    return [...this.acts.keys()];
  }

  has(name: string): boolean {
    return this.acts.has(name);
  }

  /** The activation at a hook point; an error names what was cached when it is missing. */
  get(name: string): Tensor {
    const t = this.acts.get(name);
    if (!t) {
      const known = this.model.hookPoints().has(name)
        ? 'was not cached (widen the names filter)'
        : 'is no hook point';
      throw new Error(`ActivationCache: "${name}" ${known}`);
    }
    return t;
  }

  /**
   * The residual stream before each block and after the last: [nLayer + 1, B, T, d], labels "0_pre" ...
   * "final_post". With `applyLnFinal`, each is put through the final norm (the logit lens's input).
   */
  accumulatedResid(options: { applyLnFinal?: boolean } = {}): ResidStack {
    const n = this.model.config.nLayer;
    const pieces = Array.from({ length: n }, (_, i) => this.get(`blocks.${i}.hook_resid_pre`));
    pieces.push(this.get(`blocks.${n - 1}.hook_resid_post`));
    const labels = [...Array.from({ length: n }, (_, i) => `${i}_pre`), 'final_post'];
    const ln = this.model.transformer.ln_f;
    return {
      stack: stack(options.applyLnFinal ? pieces.map((p) => ln.forward(p)) : pieces),
      labels,
    };
  }

  /**
   * The residual stream split into what wrote it: the embeddings, then each block's mixer and MLP output:
   * [components, B, T, d], summing to the final resid_post (without dropout).
   */
  decomposeResid(): ResidStack {
    const embed = this.get('hook_embed');
    const pieces = [embed];
    const labels = ['embed'];
    if (this.model.posEmbedPoint) {
      // Positions are one row per position, shared by the batch.
      pieces.push(expand(this.get('hook_pos_embed'), [...embed.shape]));
      labels.push('pos_embed');
    }
    for (let i = 0; i < this.model.config.nLayer; i++) {
      pieces.push(this.get(`blocks.${i}.hook_attn_out`), this.get(`blocks.${i}.hook_mlp_out`));
      labels.push(`${i}_mixer_out`, `${i}_mlp_out`);
    }
    return { stack: stack(pieces), labels };
  }

  /**
   * Each attention head's own contribution to block `layer`'s output (TransformerLens's stack_head_results):
   * head h's z [B, T, D] times its D columns of the output projection, [H, B, T, d], labels "L{layer}H{h}".
   * The heads plus the projection's bias sum to hook_attn_out. Needs blocks.{layer}.attn.hook_z cached.
   */
  stackHeadResults(layer: number): ResidStack {
    const mixer = this.model.transformer.h[layer]?.attn;
    if (!(mixer instanceof CausalSelfAttention)) {
      throw new Error(`stackHeadResults: block ${layer} has no attention heads (its mixer is not attention)`);
    }
    const z = this.get(`blocks.${layer}.attn.hook_z`);
    const [B, T, H, D] = z.shape;
    const w = mixer.c_proj.weight; // [d, H * D]
    const d = w.shape[0];
    const out = new Float32Array(H * B * T * d);
    for (let h = 0; h < H; h++) {
      for (let r = 0; r < B * T; r++) {
        const zAt = (r * H + h) * D;
        const oAt = (h * B * T + r) * d;
        for (let i = 0; i < d; i++) {
          let acc = 0;
          for (let j = 0; j < D; j++) acc += z.data[zAt + j] * w.data[i * H * D + h * D + j];
          out[oAt + i] = acc;
        }
      }
    }
    return {
      stack: new Tensor(out, [H, B, T, d]),
      labels: Array.from({ length: H }, (_, h) => `L${layer}H${h}`),
    };
  }

  /**
   * The linear part of the final norm applied to each piece of a stack, with the scale frozen at the
   * final residual's (TransformerLens's apply_ln_to_stack): centred (LayerNorm), divided by that scale,
   * times the norm's weight. The norm's bias is the one piece no component wrote: see `lnBias`.
   */
  applyLnToStack(s: ResidStack): Tensor {
    const n = this.model.config.nLayer;
    const final = this.get(`blocks.${n - 1}.hook_resid_post`);
    const ln = this.model.transformer.ln_f;
    const centred = (x: Tensor) => (ln instanceof LayerNorm ? sub(x, mean(x, -1, true)) : x);
    const scale = sqrt(add(mean(mul(centred(final), centred(final)), -1, true), ln.eps));
    return mul(div(centred(s.stack), scale), ln.weight);
  }

  /**
   * Each piece's direct contribution to logit(tokens[0]) - logit(tokens[1]) (or to one logit) at every
   * position: [pieces, B, T]. Summed over the pieces of decomposeResid, plus the norm bias's
   * contribution, it is the model's logit difference.
   */
  logitAttrs(s: ResidStack, tokens: number | readonly [number, number]): Tensor {
    const direction = this.logitDirection(tokens);
    const normed = this.applyLnToStack(s);
    const [p, B, T, d] = normed.shape;
    return reshape(matmul(reshape(normed, [p * B * T, d]), reshape(direction, [d, 1])), [p, B, T]);
  }

  /** The final norm bias's share of the same logit difference (0 for RMSNorm and bias-free LayerNorm). */
  lnBiasAttr(tokens: number | readonly [number, number]): number {
    const ln = this.model.transformer.ln_f;
    if (!(ln instanceof LayerNorm) || !ln.bias) return 0;
    const dir = this.logitDirection(tokens).data;
    return ln.bias.data.reduce((acc, b, i) => acc + b * dir[i], 0);
  }

  /** The unembedding row of a token, or the difference of two rows: [d]. */
  private logitDirection(tokens: number | readonly [number, number]): Tensor {
    const w = this.model.unembedWeight;
    const row = (t: number) => {
      if (!Number.isInteger(t) || t < 0 || t >= w.shape[0]) {
        throw new Error(`logitAttrs: token ${t} is outside the vocabulary of ${w.shape[0]}`);
      }
      return w.data.slice(t * w.shape[1], (t + 1) * w.shape[1]);
    };
    const d = typeof tokens === 'number' ? row(tokens) : row(tokens[0]).map((v, i) => v - row(tokens[1])[i]);
    return new Tensor(d, [d.length]);
  }
}
