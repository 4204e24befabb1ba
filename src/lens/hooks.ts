// Running a model with hooks that read or replace activations at chosen positions, heads or neurons, as
// TransformerLens's run_with_hooks: the building block of patching, ablation and steering. An activation
// is [B, T, ...]: positions index dim 1; heads the dim after it when the point is per head ([B, T, H, D]:
// attention's and the linear-attention family's q, k, v, o); neurons the last dim.
import type { GenerationState, LanguageModel } from '../model/index.js';
import { HookContext, type HookFn } from '../nn/index.js';
import { type IntTensor, noGrad, Tensor } from '../tensor/index.js';

/** Where in an activation a hook acts (everywhere when a field is absent). */
export interface Where {
  positions?: readonly number[];
  heads?: readonly number[];
  neurons?: readonly number[];
}

export interface Hook extends Where {
  /** The hook point, e.g. "blocks.2.hook_resid_post" or "blocks.1.mixer.hook_delta". */
  name: string;
  /**
   * Given the activation and the sites this hook selects in it, returns its replacement (the same shape)
   * or nothing to leave it as it is. `replace`, `patch`, `ablate` and `steer` build these.
   */
  fn: (activation: Tensor, sites: Sites) => Tensor | undefined;
}

/** The flat indices of an activation that a Where selects. */
export interface Sites {
  readonly indices: Int32Array;
}

/** Flat indices of `t` selected by positions (dim 1), heads (dim 2 of [B, T, H, D]) and neurons (last dim). */
export function sites(t: Tensor, where: Where, name = 'hook'): Sites {
  const shape = t.shape;
  if (shape.length < 3) throw new Error(`${name}: expected an activation [batch, seq, ...], got [${shape}]`);
  const check = (what: string, xs: readonly number[] | undefined, size: number) => {
    for (const x of xs ?? []) {
      if (!Number.isInteger(x) || x < 0 || x >= size) {
        throw new Error(`${name}: ${what} ${x} is out of range for an activation of shape [${shape}]`);
      }
    }
  };
  const last = shape[shape.length - 1];
  if (where.heads && shape.length !== 4) {
    throw new Error(`${name}: heads need a per-head activation [batch, seq, heads, dim], got [${shape}]`);
  }
  check('position', where.positions, shape[1]);
  check('head', where.heads, shape.length === 4 ? shape[2] : 0);
  check('neuron', where.neurons, last);
  if (!where.positions && !where.heads && !where.neurons) {
    return { indices: Int32Array.from({ length: t.data.length }, (_, i) => i) };
  }
  const pos = new Set(where.positions ?? []);
  const heads = new Set(where.heads ?? []);
  const neurons = new Set(where.neurons ?? []);
  const out: number[] = [];
  const inner = shape.slice(2).reduce((a, b) => a * b, 1);
  const headSize = shape.length === 4 ? shape[3] : last;
  for (let i = 0; i < t.data.length; i++) {
    const p = Math.floor(i / inner) % shape[1];
    const e = i % inner;
    if (where.positions && !pos.has(p)) continue;
    if (where.heads && !heads.has(Math.floor(e / headSize))) continue;
    if (where.neurons && !neurons.has(e % last)) continue;
    out.push(i);
  }
  return { indices: Int32Array.from(out) };
}

/** A copy of `t` with the selected sites set from `values` (a tensor of t's shape, or one number). */
export function withSites(t: Tensor, s: Sites, values: Tensor | number): Tensor {
  const data = t.data.slice();
  if (typeof values === 'number') for (const i of s.indices) data[i] = values;
  else {
    if (values.data.length !== t.data.length) {
      throw new Error(`hook: replacement of shape [${values.shape}] for an activation of shape [${t.shape}]`);
    }
    for (const i of s.indices) data[i] = values.data[i];
  }
  return new Tensor(data, [...t.shape]);
}

/** A hook context running `hooks`, each on its own sites. */
export function hookContext(hooks: readonly Hook[], cache: Map<string, Tensor> | null = null): HookContext {
  const fns = new Map<string, HookFn[]>();
  for (const h of hooks) {
    const fn: HookFn = (t) => h.fn(t, sites(t, h, h.name));
    fns.set(h.name, [...(fns.get(h.name) ?? []), fn]);
  }
  return new HookContext(fns, cache);
}

/** The model's logits for ids with `hooks` in place (names are checked against the model). */
export function runWithHooks(
  model: LanguageModel,
  ids: IntTensor,
  hooks: readonly Hook[],
  options: { state?: GenerationState } = {},
): Tensor {
  return noGrad(() => model.forward(ids, { hooks: hookContext(hooks), state: options.state }));
}

/** Replaces the selected sites by `values` (a tensor of the activation's shape, or a constant). */
export function replace(name: string, values: Tensor | number, where: Where = {}): Hook {
  return { name, ...where, fn: (t, s) => withSites(t, s, values) };
}
