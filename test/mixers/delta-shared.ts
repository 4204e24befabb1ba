// Tests shared by DeltaNet and Gated DeltaNet: the chunkwise kernel against the step-by-step reference
// (outputs, final state, every gradient), the generation recurrence, the whole layer against the same
// layer written out in ordinary tensor ops, generation through the state, hooks, and a tiny model.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { causalConv1dReference } from '../../src/mixers/conv/naive.js';
import type { DeltaRuleMixer } from '../../src/mixers/delta/base.js';
import { deltaRuleReference } from '../../src/mixers/delta/naive.js';
import { chunkDeltaRule, recurrentDeltaRule } from '../../src/mixers/delta/ops.js';
import { DeltaRuleState } from '../../src/mixers/delta/state.js';
import { GatedDeltaNet } from '../../src/mixers/gated-deltanet.js';
import type { MixerOptions } from '../../src/mixers/options.js';
import type { MixerKind } from '../../src/model/index.js';
import { HookContext, NO_HOOKS } from '../../src/nn/index.js';
import {
  add,
  cat,
  div,
  exp,
  Generator,
  linear,
  mean,
  mul,
  neg,
  noGrad,
  randn,
  reshape,
  rsqrt,
  sigmoid,
  silu,
  slice,
  softplus,
  sqrt,
  sum,
  Tensor,
} from '../../src/tensor/index.js';
import { assertClose, backends, withBackend } from '../helpers.js';
import { modelSuite as sharedModelSuite } from './model-suite.js';

export const TOL = 1e-4;
export const LENGTHS = [1, 63, 100, 1000];
export const CHUNK_SIZES = [16, 32, 64];

export function mixerOptions(
  dim: number,
  settings: Record<string, number> = {},
  seed = 0,
  heads = 2,
): MixerOptions {
  return {
    dim,
    name: 'blocks.0.mixer',
    heads,
    bias: false,
    std: 0.2,
    projStd: 0.1,
    rotary: null,
    generator: new Generator(seed),
    settings,
  };
}

export const ctx = (state: DeltaRuleState | null = null, hooks = NO_HOOKS) => ({ hooks, state, pos: 0 });

function uniformIn(shape: number[], lo: number, hi: number, g: Generator): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return new Tensor(
    Float32Array.from({ length: n }, () => lo + (hi - lo) * g.random()),
    shape,
  ).requiresGrad_();
}

/** Rows of `width` values scaled to unit length, as the layer's L2 norm makes q and k. */
function unitRows(shape: number[], g: Generator): Tensor {
  const t = randn(shape, { generator: g });
  const width = shape[shape.length - 1];
  for (let r = 0; r < t.data.length; r += width) {
    const row = t.data.subarray(r, r + width);
    const norm = Math.hypot(...row);
    row.forEach((x, i) => {
      row[i] = x / norm;
    });
  }
  return t.requiresGrad_();
}

export interface CoreInputs {
  q: Tensor;
  k: Tensor;
  v: Tensor;
  beta: Tensor;
  g: Tensor | null;
  /** An initial state [B, H, K, V]. */
  s0: Tensor;
}

export function coreInputs(
  B: number,
  T: number,
  H: number,
  K: number,
  V: number,
  gated: boolean,
  seed: number,
): CoreInputs {
  const g = new Generator(seed);
  return {
    q: unitRows([B, T, H, K], g),
    k: unitRows([B, T, H, K], g),
    v: randn([B, T, H, V], { generator: g, requiresGrad: true }),
    beta: uniformIn([B, T, H], 0.05, 0.95, g),
    g: gated ? uniformIn([B, T, H], -0.4, -0.01, g) : null,
    s0: randn([B, H, K, V], { generator: g }),
  };
}

/** The chunkwise op and the generation recurrence against the step-by-step reference. */
export function coreSuite(gated: boolean): void {
  const name = gated ? 'gated delta rule' : 'delta rule';
  const [B, H, K, V] = [2, 2, 8, 12]; // K != V, so a transposed state would show
  const scale = 1 / Math.sqrt(K);
  describe(`${name}: chunkwise form = recurrence = step-by-step reference`, () => {
    for (const T of LENGTHS) {
      test(`length ${T}: outputs, final state and all gradients, chunk sizes ${CHUNK_SIZES}`, () => {
        const x = coreInputs(B, T, H, K, V, gated, T);
        const leaves = [x.q, x.k, x.v, x.beta, ...(x.g ? [x.g] : [])];
        const names = ['q', 'k', 'v', 'beta', 'g'];
        const gOut = randn([B, T, H, V], { generator: new Generator(T + 1) });
        const ref = deltaRuleReference(x.q, x.k, x.v, x.beta, x.g, scale, x.s0);
        ref.o.backward(gOut);
        const refGrads = leaves.map((t) => t.grad!.data.slice());
        for (const backend of backends()) {
          withBackend(backend, () => {
            for (const chunkSize of CHUNK_SIZES) {
              for (const t of leaves) t.grad = null;
              const state = x.s0.data.slice();
              const o = chunkDeltaRule(x.q, x.k, x.v, x.beta, x.g, { scale, chunkSize, state });
              const what = `${backend}, chunk ${chunkSize}`;
              assertClose(o.data, ref.o.data, TOL, `${what}: output`);
              assertClose(state, ref.state.data, TOL, `${what}: final state`);
              o.backward(gOut);
              leaves.forEach((t, i) => {
                assertClose(t.grad!.data, refGrads[i], TOL, `${what}: gradient of ${names[i]}`);
              });
            }
            noGrad(() => {
              const state = x.s0.data.slice();
              const o = recurrentDeltaRule(x.q, x.k, x.v, x.beta, x.g, { scale, state });
              assertClose(o.data, ref.o.data, TOL, `${backend} recurrence: output`);
              assertClose(state, ref.state.data, TOL, `${backend} recurrence: final state`);
            });
          });
        }
      });
    }

    test('the recurrence has no backward and says so; bad shapes are named', () => {
      const x = coreInputs(1, 3, 1, 4, 4, gated, 1);
      const opts = { scale: 1, state: new Float32Array(16) };
      assert.throws(() => recurrentDeltaRule(x.q, x.k, x.v, x.beta, x.g, opts), /has no backward/);
      assert.throws(
        () => chunkDeltaRule(x.q, x.k, x.v, reshape(x.beta, [1, 3]), x.g, { scale: 1, chunkSize: 4 }),
        /chunkDeltaRule \(mixers\/delta\/ops.ts\): beta must be \[1,3,1\]/,
      );
      assert.throws(
        () => chunkDeltaRule(x.q, x.k, x.v, x.beta, x.g, { scale: 1, chunkSize: 0 }),
        /chunkSize must be a positive integer/,
      );
      assert.throws(
        () =>
          chunkDeltaRule(x.q, x.k, x.v, x.beta, x.g, { scale: 1, chunkSize: 4, state: new Float32Array(3) }),
        /state holds 3 values, expected B\*H\*K\*V = 16/,
      );
    });
  });
}

// ---- the layer written out in ordinary ops ----

function l2Reference(x: Tensor): Tensor {
  return div(x, sqrt(add(sum(mul(x, x), -1, true), 1e-6)));
}

function rmsNormReference(x: Tensor, weight: Tensor, eps: number): Tensor {
  return mul(mul(x, rsqrt(add(mean(mul(x, x), -1, true), eps))), weight);
}

/** The whole layer, recurrence included, from plain ops: what the fused path is held to. */
export function layerReference(layer: DeltaRuleMixer, x: Tensor): { out: Tensor; state: Tensor } {
  const [B, T] = x.shape;
  const [H, K, V, W] = [layer.heads, layer.headKDim, layer.headVDim, layer.convSize];
  const conv = (x: Tensor, c: typeof layer.q_conv1d) =>
    silu(causalConv1dReference(x, reshape(c.weight, [c.channels, W]), null));
  const qkv = (p: typeof layer.q_proj, c: typeof layer.q_conv1d, d: number) =>
    reshape(conv(linear(x, p.weight), c), [B, T, H, d]);
  const q = l2Reference(qkv(layer.q_proj, layer.q_conv1d, K));
  const k = l2Reference(qkv(layer.k_proj, layer.k_conv1d, K));
  const v = qkv(layer.v_proj, layer.v_conv1d, V);
  const beta = sigmoid(linear(x, layer.b_proj.weight));
  const gated = layer instanceof GatedDeltaNet ? layer : null;
  const g = gated
    ? mul(neg(exp(gated.A_log)), softplus(add(linear(x, gated.a_proj.weight), gated.dt_bias)))
    : null;
  const { o, state } = deltaRuleReference(q, k, v, beta, g, 1 / Math.sqrt(K));
  const normWeight = (layer as unknown as { o_norm: { weight: Tensor } }).o_norm.weight;
  let y = rmsNormReference(o, normWeight, 1e-5);
  if (gated) y = mul(y, silu(reshape(linear(x, gated.g_proj.weight), [B, T, H, V])));
  return { out: linear(reshape(y, [B, T, H * V]), layer.o_proj.weight), state };
}

/** Layer-level tests for a mixer made by `make(options)`. */
export function layerSuite(kind: string, make: (o: MixerOptions) => DeltaRuleMixer): void {
  describe(`${kind}: the layer equals its reference written in plain ops`, () => {
    for (const seq of LENGTHS) {
      test(`length ${seq}: output and the gradients of the input and every parameter`, () => {
        const layer = make(mixerOptions(16, { chunkSize: 16 }, seq));
        const g = new Generator(seq);
        const x = randn([2, seq, 16], { generator: g, requiresGrad: true });
        const gOut = randn([2, seq, 16], { generator: g });
        const params = layer.namedParameters();
        const grads = () => [x.grad!, ...params.map(([, p]) => p.grad!)].map((t) => t.data.slice());
        const ref = layerReference(layer, x).out;
        ref.backward(gOut);
        const refGrads = grads();
        for (const backend of backends()) {
          withBackend(backend, () => {
            layer.zeroGrad();
            x.grad = null;
            const out = layer.forward(x, ctx());
            assertClose(out.data, ref.data, TOL, `${backend} output`);
            out.backward(gOut);
            grads().forEach((gr, i) => {
              assertClose(gr, refGrads[i], TOL, `${backend} gradient of ${i === 0 ? 'x' : params[i - 1][0]}`);
            });
          });
        }
      });
    }
  });

  describe(`${kind}: generation through the constant-size state equals the full forward`, () => {
    for (const seq of LENGTHS) {
      test(`length ${seq}: a prefill (recurrent or chunkwise) then one token at a time; final memory`, () =>
        noGrad(() => {
          const layer = make(mixerOptions(16, { chunkSize: 16 }, 3 + seq));
          const x = randn([2, seq, 16], { generator: new Generator(seq + 1) });
          const ref = layerReference(layer, x);
          for (const backend of backends()) {
            withBackend(backend, () => {
              const full = layer.forward(x, ctx());
              assertClose(full.data, ref.out.data, TOL, `${backend} full forward`);
              // A prefill shorter than a chunk runs the recurrence, a longer one the chunkwise form.
              for (const prefill of new Set([Math.min(seq, 5), Math.min(seq, 40)])) {
                const state = layer.initState(2, seq);
                const pieces = [layer.forward(slice(x, 1, 0, prefill), ctx(state))];
                for (let t = prefill; t < seq; t++)
                  pieces.push(layer.forward(slice(x, 1, t, t + 1), ctx(state)));
                assertClose(
                  cat(pieces, 1).data,
                  full.data,
                  TOL,
                  `${backend} prefill ${prefill}, stepped outputs`,
                );
                assertClose(state.memory, ref.state.data, TOL, `${backend} prefill ${prefill}, final memory`);
              }
            });
          }
          const state = layer.initState(2, seq);
          const { heads: H, headKDim: K, headVDim: V, convSize: W } = layer;
          assert.equal(
            state.bytes(),
            4 * 2 * (H * K * V + (W - 1) * H * (2 * K + V)),
            'size independent of length',
          );
        }));
    }
  });

  describe(`${kind}: hooks and errors`, () => {
    test('hook points see q, k, v, beta, (g,) o; replacing beta changes the output', () => {
      const layer = make(mixerOptions(16, { chunkSize: 8 }));
      const x = randn([2, 9, 16], { generator: new Generator(2) });
      const plain = layer.forward(x, ctx());
      const cache = new Map<string, Tensor>();
      const hooked = layer.forward(x, ctx(null, new HookContext(new Map(), cache)));
      assertClose(hooked.data, plain.data, 1e-6, 'hooked output');
      const [H, K, V] = [layer.heads, layer.headKDim, layer.headVDim];
      const expected: Record<string, number[]> = {
        'blocks.0.mixer.hook_q': [2, 9, H, K],
        'blocks.0.mixer.hook_k': [2, 9, H, K],
        'blocks.0.mixer.hook_v': [2, 9, H, V],
        'blocks.0.mixer.hook_beta': [2, 9, H],
        ...(layer instanceof GatedDeltaNet ? { 'blocks.0.mixer.hook_g': [2, 9, H] } : {}),
        'blocks.0.mixer.hook_o': [2, 9, H, V],
      };
      assert.deepEqual(Object.fromEntries([...cache].map(([n, t]) => [n, t.shape])), expected);
      // q and k are unit vectors per head; beta is in (0, 1).
      const q = cache.get('blocks.0.mixer.hook_q')!.data;
      for (let r = 0; r < q.length; r += K)
        assert.ok(Math.abs(Math.hypot(...q.subarray(r, r + K)) - 1) < 1e-4);
      assert.ok(cache.get('blocks.0.mixer.hook_beta')!.data.every((b) => b > 0 && b < 1));
      const zeroBeta = new HookContext(
        new Map([['blocks.0.mixer.hook_beta', [(t: Tensor) => t.withData(new Float32Array(t.numel()))]]]),
      );
      // beta = 0 writes nothing, so the memory stays empty and the output is exactly o_proj(0) = 0.
      const silent = layer.forward(x, ctx(null, zeroBeta));
      assert.ok(silent.data.every((v) => v === 0));
    });

    test('bad settings, inputs and states are named', () => {
      assert.throws(
        () => make(mixerOptions(16, { convSize: 0 })),
        new RegExp(`${kind}: mixerOptions.convSize must be`),
      );
      assert.throws(
        () => make(mixerOptions(16, { chunkSize: 2.5 })),
        /mixerOptions.chunkSize must be a positive/,
      );
      const layer = make(mixerOptions(16));
      assert.throws(
        () => layer.forward(randn([1, 3, 7]), ctx()),
        new RegExp(`${kind}: expected x \\[batch, seq, 16\\]`),
      );
      assert.throws(
        () => layer.forward(randn([2, 3, 16]), ctx(layer.initState(1, 10))),
        /was not made by this layer's initState\(2/,
      );
    });
  });
}

/** A tiny language model with this mixer (alone and beside attention) learns and generates. */
export function modelSuite(kind: MixerKind): void {
  sharedModelSuite(kind, { isState: (s) => s instanceof DeltaRuleState, tolerance: TOL });
}
