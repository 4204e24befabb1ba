// jielong's parameters under llama.cpp's tensor names, and back. Two layouts differ beyond the names:
// - jielong's attention is one fused c_attn [3 * dim, dim] (q, k, v stacked); llama's file keeps attn_q,
//   attn_k and attn_v apart (GPT-2's keeps them fused as attn_qkv, as jielong does).
// - jielong rotates each head's halves against each other (rotate_half, the Hugging Face/NeoX layout);
//   llama.cpp's "llama" rotates adjacent pairs (Meta's original layout). The same model in both layouts
//   differs by a permutation of each head's q and k rows: row j * D/2 + i (half j, pair i) of ours is row
//   2i + j of theirs. llama.cpp's own converter applies this permutation to Hugging Face weights.
import type { Tensor } from '../../tensor/index.js';
import type { GGUFArch } from './arch.js';

/** GGUF tensor name for each jielong parameter that maps one to one; `{i}` is the layer. */
const RENAMES: Record<GGUFArch, [jielong: string, gguf: string][]> = {
  llama: [
    ['transformer.wte.weight', 'token_embd.weight'],
    ['transformer.ln_f.weight', 'output_norm.weight'],
    ['lm_head.weight', 'output.weight'],
    ['transformer.h.{i}.ln_1.weight', 'blk.{i}.attn_norm.weight'],
    ['transformer.h.{i}.attn.c_proj.weight', 'blk.{i}.attn_output.weight'],
    ['transformer.h.{i}.ln_2.weight', 'blk.{i}.ffn_norm.weight'],
    ['transformer.h.{i}.mlp.gate_proj.weight', 'blk.{i}.ffn_gate.weight'],
    ['transformer.h.{i}.mlp.up_proj.weight', 'blk.{i}.ffn_up.weight'],
    ['transformer.h.{i}.mlp.down_proj.weight', 'blk.{i}.ffn_down.weight'],
  ],
  gpt2: [
    ['transformer.wte.weight', 'token_embd.weight'],
    ['transformer.wpe.weight', 'position_embd.weight'],
    ['transformer.ln_f.{w}', 'output_norm.{w}'],
    ['lm_head.weight', 'output.weight'],
    ['transformer.h.{i}.ln_1.{w}', 'blk.{i}.attn_norm.{w}'],
    ['transformer.h.{i}.attn.c_attn.{w}', 'blk.{i}.attn_qkv.{w}'],
    ['transformer.h.{i}.attn.c_proj.{w}', 'blk.{i}.attn_output.{w}'],
    ['transformer.h.{i}.ln_2.{w}', 'blk.{i}.ffn_norm.{w}'],
    ['transformer.h.{i}.mlp.c_fc.{w}', 'blk.{i}.ffn_up.{w}'],
    ['transformer.h.{i}.mlp.c_proj.{w}', 'blk.{i}.ffn_down.{w}'],
  ],
};

/** jielong name to GGUF name for every renamed parameter of a model with `layers` blocks. */
export function renames(arch: GGUFArch, layers: number): Map<string, string> {
  const out = new Map<string, string>();
  for (const [ours, theirs] of RENAMES[arch]) {
    for (let i = 0; i < (ours.includes('{i}') ? layers : 1); i++) {
      for (const w of ours.includes('{w}') ? ['weight', 'bias'] : ['']) {
        const fill = (s: string) => s.replaceAll('{i}', String(i)).replaceAll('{w}', w);
        out.set(fill(ours), fill(theirs));
      }
    }
  }
  return out;
}

/** A llama layer's fused attention parameter and its three GGUF tensors. */
export const qkvNames = (i: number) => ({
  fused: `transformer.h.${i}.attn.c_attn.weight`,
  q: `blk.${i}.attn_q.weight`,
  k: `blk.${i}.attn_k.weight`,
  v: `blk.${i}.attn_v.weight`,
});

/**
 * Rows of a [heads * D, cols] matrix reordered within each head between rotate_half order and
 * interleaved order: `toInterleaved` true goes ours to llama.cpp's, false back.
 */
export function permuteRotary(
  data: Float32Array,
  heads: number,
  cols: number,
  toInterleaved: boolean,
): Float32Array {
  const D = data.length / heads / cols;
  const half = D / 2;
  const out = new Float32Array(data.length);
  for (let h = 0; h < heads; h++) {
    for (let j = 0; j < 2; j++) {
      for (let i = 0; i < half; i++) {
        const ours = (h * D + j * half + i) * cols;
        const theirs = (h * D + 2 * i + j) * cols;
        const [from, to] = toInterleaved ? [ours, theirs] : [theirs, ours];
        out.set(data.subarray(from, from + cols), to);
      }
    }
  }
  return out;
}

/**
 * Key or value rows of `kvHeads` heads repeated to `heads` heads: query head h reads key-value head
 * floor(h / (heads / kvHeads)), as llama.cpp's grouped-query attention does. Full multi-head attention
 * over the repeated heads computes exactly the same thing.
 */
export function repeatHeads(data: Float32Array, kvHeads: number, heads: number): Float32Array {
  if (kvHeads === heads) return data;
  const per = data.length / kvHeads;
  const out = new Float32Array(per * heads);
  for (let h = 0; h < heads; h++) {
    const kv = Math.floor(h / (heads / kvHeads));
    out.set(data.subarray(kv * per, (kv + 1) * per), h * per);
  }
  return out;
}

/** q, k and v [dim, dim] each out of a fused c_attn [3 * dim, dim]. */
export function splitQKV(fused: Tensor): [Float32Array, Float32Array, Float32Array] {
  const third = fused.data.length / 3;
  return [0, 1, 2].map((p) => fused.data.slice(p * third, (p + 1) * third)) as [
    Float32Array,
    Float32Array,
    Float32Array,
  ];
}
