// What the linear-attention, RetNet and GLA tests share: the chunkwise kernel against the naive recurrence
// (outputs, final state, gradients), native against js, the layer's generation state, and a tiny model.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { glaKernels } from '../../src/mixers/gla/kernels.js';
import { naiveRecurrentGla } from '../../src/mixers/gla/naive.js';
import { chunkGla, type Decay, recurrentGla } from '../../src/mixers/gla/op.js';
import { GlaState } from '../../src/mixers/gla/state.js';
import { MIXERS, type Mixer, type MixerOptions } from '../../src/mixers/index.js';
import { HookContext, NO_HOOKS } from '../../src/nn/index.js';
import {
  cat,
  Generator,
  mul,
  neg,
  noGrad,
  randn,
  slice,
  softplus,
  sub,
  sum,
  Tensor,
} from '../../src/tensor/index.js';
import { assertClose, backends, gradcheck, withBackend } from '../helpers.js';
import { modelSuite as sharedModelSuite } from './model-suite.js';

export type DecayKind = Decay['kind'];
type GlaKind = 'linear-attention' | 'retnet' | 'gla';

const TOL = 1e-4;

interface Problem {
  q: Tensor;
  k: Tensor;
  v: Tensor;
  decay: Decay;
  leaves: Tensor[];
}

/**
 * Random q, k, v and decay. Per-key log decays -softplus(3z - 4) are mostly slight (so the state carries
 * across chunks) and now and then reach -8 (so the factored intra-chunk form is tested hard).
 */
export function problem(kind: DecayKind, [B, T, H, K, V]: number[], g: Generator): Problem {
  const leaf = (shape: number[], scale = 1) => mul(randn(shape, { generator: g }), scale).requiresGrad_();
  const q = leaf([B, T, H, K]);
  const k = leaf([B, T, H, K], 0.5);
  const v = leaf([B, T, H, V]);
  if (kind === 'none') return { q, k, v, decay: { kind }, leaves: [q, k, v] };
  if (kind === 'head') {
    const logGamma = Float32Array.from({ length: H }, (_, h) => Math.log(1 - 2 ** (-3 - h)));
    return { q, k, v, decay: { kind, logGamma }, leaves: [q, k, v] };
  }
  const gk = neg(softplus(sub(mul(randn([B, T, H, K], { generator: g }), 3), 4)))
    .detach()
    .requiresGrad_();
  return { q, k, v, decay: { kind, g: gk }, leaves: [q, k, v, gk] };
}

/** Output, final state and gradients of sum(o * w) for each leaf. */
function run(p: Problem, w: Tensor, f: () => { o: Tensor; state: Float32Array }) {
  for (const t of p.leaves) t.grad = null;
  const { o, state } = f();
  sum(mul(o, w)).backward();
  return { o: o.data, state, grads: p.leaves.map((t) => (t.grad as Tensor).data) };
}

/** The chunkwise kernel (both backends) and the recurrence against the naive recurrence. */
export function kernelSuite(kind: DecayKind): void {
  describe(`gla kernels, decay "${kind}": chunkwise and recurrent forms against the naive recurrence`, () => {
    for (const T of [1, 63, 100, 1000]) {
      test(`length ${T}: outputs, final state and every gradient, chunk sizes 16, 32, 64`, () => {
        const dims = T === 1000 ? [1, T, 2, 4, 4] : [2, T, 2, 5, 6];
        const [B, , H, K, V] = dims;
        const g = new Generator(T);
        const p = problem(kind, dims, g);
        const s0 = randn([B, H, K, V], { generator: g });
        const w = randn([B, T, H, V], { generator: g });
        const scale = 1 / Math.sqrt(K);
        const ref = run(p, w, () => {
          const n = naiveRecurrentGla(p.q, p.k, p.v, p.decay, scale, s0);
          return { o: n.o, state: n.state.data };
        });
        for (const backend of backends()) {
          withBackend(backend, () => {
            for (const chunkSize of [16, 32, 64]) {
              const got = run(p, w, () => {
                const state = new GlaState('test', B, H, K, V);
                state.S.set(s0.data);
                return { o: chunkGla(p.q, p.k, p.v, p.decay, { scale, chunkSize, state }), state: state.S };
              });
              const what = `${backend}, chunk ${chunkSize}:`;
              assertClose(got.o, ref.o, TOL, `${what} output`);
              assertClose(got.state, ref.state, TOL, `${what} final state`);
              for (const [i, gr] of got.grads.entries())
                assertClose(gr, ref.grads[i], TOL, `${what} gradient ${i}`);
            }
            const state = new GlaState('test', B, H, K, V);
            state.S.set(s0.data);
            const o = noGrad(() => recurrentGla(p.q, p.k, p.v, p.decay, { scale, state }));
            assertClose(o.data, ref.o, TOL, `${backend}, recurrent: output`);
            assertClose(state.S, ref.state, TOL, `${backend}, recurrent: final state`);
          });
        }
      });
    }

    if (kind === 'key') {
      test('decays as strong as e^-80 a step stay finite and exact', () => {
        const g = new Generator(21);
        const [B, T, H, K, V] = [1, 100, 2, 4, 4];
        const p = problem(kind, [B, T, H, K, V], g);
        const gk = neg(softplus(mul(randn([B, T, H, K], { generator: g }), 40)))
          .detach()
          .requiresGrad_();
        const strong: Problem = {
          ...p,
          decay: { kind: 'key', g: gk },
          leaves: [...p.leaves.slice(0, 3), gk],
        };
        const w = randn([B, T, H, V], { generator: g });
        const ref = run(strong, w, () => {
          const n = naiveRecurrentGla(strong.q, strong.k, strong.v, strong.decay, 0.5);
          return { o: n.o, state: n.state.data };
        });
        for (const backend of backends()) {
          withBackend(backend, () => {
            const state = new GlaState('test', B, H, K, V);
            const got = run(strong, w, () => ({
              o: chunkGla(strong.q, strong.k, strong.v, strong.decay, { scale: 0.5, chunkSize: 64, state }),
              state: state.S,
            }));
            assertClose(got.o, ref.o, TOL, `${backend}: output`);
            for (const [i, gr] of got.grads.entries())
              assertClose(gr, ref.grads[i], TOL, `${backend}: gradient ${i}`);
          });
        }
      });
    }

    test('a sequence in pieces (the state carried between calls) equals it whole', () => {
      const g = new Generator(9);
      const [B, T, H, K, V] = [2, 50, 2, 3, 4];
      const p = problem(kind, [B, T, H, K, V], g);
      const whole = noGrad(() => chunkGla(p.q, p.k, p.v, p.decay, { scale: 0.5, chunkSize: 16 }));
      const state = new GlaState('test', B, H, K, V);
      const piece = (t: Tensor, a: number, b: number) => slice(t, 1, a, b);
      const cuts = [0, 7, 30, 31, 50];
      const parts = noGrad(() =>
        cuts.slice(1).map((end, i) => {
          const a = cuts[i];
          const d: Decay = p.decay.kind === 'key' ? { kind: 'key', g: piece(p.decay.g, a, end) } : p.decay;
          const args = [piece(p.q, a, end), piece(p.k, a, end), piece(p.v, a, end), d] as const;
          return i % 2 === 0
            ? chunkGla(...args, { scale: 0.5, chunkSize: 16, state })
            : recurrentGla(...args, { scale: 0.5, state });
        }),
      );
      assertClose(cat(parts, 1).data, whole.data, TOL, 'pieces');
    });

    test('native kernels equal the js ones on awkward sizes', {
      skip: glaKernels.nativeNames().length === 0,
    }, () => {
      assert.deepEqual(glaKernels.nativeNames().sort(), [
        'chunkBackward',
        'chunkForward',
        'recurrentForward',
      ]);
      const g = new Generator(11);
      for (const [B, T, H, K, V, C] of [
        [1, 1, 1, 3, 5, 64],
        [2, 37, 3, 7, 9, 8],
        [1, 100, 2, 16, 32, 64],
        [2, 129, 1, 33, 17, 32],
      ]) {
        const p = problem(kind, [B, T, H, K, V], g);
        const g_ = p.decay.kind === 'key' ? p.decay.g.data : null;
        const gHead = p.decay.kind === 'head' ? p.decay.logGamma : null;
        const s0 = randn([B, H, K, V], { generator: g }).data;
        const dO = randn([B, T, H, V], { generator: g }).data;
        const outputs = (impl: ReturnType<typeof glaKernels>) => {
          const [q, k, v] = [p.q.data, p.k.data, p.v.data];
          const o = new Float32Array(dO.length);
          const sOut = new Float32Array(s0.length);
          impl.chunkForward(q, k, v, g_, gHead, s0, o, sOut, B, T, H, K, V, C, 0.3);
          const [dq, dk, dv] = [
            new Float32Array(q.length),
            new Float32Array(k.length),
            new Float32Array(v.length),
          ];
          const dg = g_ ? new Float32Array(q.length) : null;
          impl.chunkBackward(q, k, v, g_, gHead, s0, dO, dq, dk, dv, dg, B, T, H, K, V, C, 0.3);
          const state = s0.slice();
          const oStep = new Float32Array(dO.length);
          impl.recurrentForward(q, k, v, g_, gHead, state, oStep, B, T, H, K, V, 0.3);
          return { o, sOut, dq, dk, dv, dg, oStep, state };
        };
        const js = outputs(glaKernels.js);
        const native = withBackend('native', () => outputs(glaKernels()));
        for (const [name, ref] of Object.entries(js)) {
          if (ref)
            assertClose(
              native[name as keyof typeof js] as Float32Array,
              ref,
              1e-5,
              `${name} [${[B, T, H, K, V, C]}]`,
            );
        }
      }
    });

    test('mismatched shapes are refused with the op named', () => {
      const g = new Generator(1);
      const p = problem(kind, [1, 4, 2, 3, 3], g);
      assert.throws(
        () => chunkGla(p.q, slice(p.k, 1, 0, 3), p.v, p.decay, { scale: 1, chunkSize: 4 }),
        /chunkGla: expected q, k/,
      );
      assert.throws(
        () => chunkGla(p.q, p.k, p.v, p.decay, { scale: 1, chunkSize: 0 }),
        /chunkSize must be a positive integer/,
      );
      const wrong = new GlaState('test', 1, 2, 3, 4);
      assert.throws(
        () => chunkGla(p.q, p.k, p.v, p.decay, { scale: 1, chunkSize: 4, state: wrong }),
        /state holds/,
      );
    });
  });
}

/** Small layer options; std 0.5 keeps activations of order 1 so finite differences are meaningful. */
export function layerOptions(settings: Record<string, number> = {}, dim = 16, heads = 2): MixerOptions {
  return {
    dim,
    name: 'blocks.0.mixer',
    heads,
    bias: false,
    std: 0.5,
    projStd: 0.5,
    rotary: null,
    generator: new Generator(3),
    settings: { chunkSize: 16, ...settings },
  };
}

const ctx = (state: GlaState | null = null, pos = 0, hooks = NO_HOOKS) => ({ hooks, state, pos });

/** The layer: generation through its state, hook points, gradients, and its errors. */
export function layerSuite(kind: GlaKind): void {
  describe(`${kind} layer`, () => {
    for (const convSize of [0, 4]) {
      test(`prefill then steps through the state gives the full forward, with and without hooks (convSize ${convSize})`, () =>
        noGrad(() => {
          const layer = MIXERS[kind](layerOptions({ convSize }));
          const x = randn([2, 40, 16], { generator: new Generator(5) });
          const full = layer.forward(x, ctx());
          for (const hooks of [NO_HOOKS, new HookContext(new Map(), new Map())]) {
            const state = layer.initState(2, 64) as GlaState;
            const cuts = [0, 20, 25, ...Array.from({ length: 15 }, (_, i) => 26 + i)];
            const parts = cuts
              .slice(1)
              .map((end, i) => layer.forward(slice(x, 1, cuts[i], end), ctx(state, cuts[i], hooks)));
            assertClose(cat(parts, 1).data, full.data, TOL, 'outputs');
            const [H, K, V] = [state.heads, state.keyDim, state.valueDim];
            const taps = convSize > 0 ? 2 * (convSize - 1) * H * (2 * K + V) : 0;
            assert.equal(state.bytes(), (2 * H * K * V + taps) * 4, 'the state does not grow');
          }
        }));
    }

    test('hook points see q, k, v and o per head, and a hook can change the output', () => {
      const layer = MIXERS[kind](layerOptions());
      const x = randn([2, 9, 16], { generator: new Generator(6) });
      const cache = new Map<string, Tensor>();
      const plain = layer.forward(x, ctx());
      assertClose(
        layer.forward(x, ctx(null, 0, new HookContext(new Map(), cache))).data,
        plain.data,
        1e-6,
        'hooked',
      );
      const state = layer.initState(2, 9) as GlaState;
      const [H, K, V] = [state.heads, state.keyDim, state.valueDim];
      assert.deepEqual(cache.get('blocks.0.mixer.hook_q')?.shape, [2, 9, H, K]);
      assert.deepEqual(cache.get('blocks.0.mixer.hook_k')?.shape, [2, 9, H, K]);
      assert.deepEqual(cache.get('blocks.0.mixer.hook_v')?.shape, [2, 9, H, V]);
      assert.deepEqual(cache.get('blocks.0.mixer.hook_o')?.shape, [2, 9, H, V]);
      const zeroV = new HookContext(
        new Map([['blocks.0.mixer.hook_v', [(t: Tensor) => t.withData(new Float32Array(t.numel()))]]]),
      );
      const ablated = layer.forward(x, ctx(null, 0, zeroV));
      assert.ok(
        ablated.data.some((a, i) => Math.abs(a - plain.data[i]) > 1e-3),
        'zeroing v changes the output',
      );
    });

    test('gradients of the input and every parameter match finite differences, with and without short convolutions', () => {
      for (const convSize of [0, 3]) {
        const layer = MIXERS[kind](layerOptions({ chunkSize: 4, convSize }, 8, 2));
        const x = randn([1, 6, 8], { generator: new Generator(8) }).requiresGrad_();
        gradcheck(() => layer.forward(x, ctx()), [x, ...layer.parameters()], { eps: 5e-3, tol: 1e-2 });
      }
    });

    test('short convolutions: one per projection, named and shaped as fla (q_conv1d.weight [D, 1, W])', () => {
      const shapes = Object.fromEntries(
        MIXERS[kind](layerOptions({ convSize: 4 }))
          .namedParameters()
          .map(([n, p]) => [n, [...p.shape]]),
      );
      const state = MIXERS[kind](layerOptions()).initState(1, 1) as GlaState;
      const [K, V] = [state.heads * state.keyDim, state.heads * state.valueDim];
      assert.deepEqual(shapes['q_conv1d.weight'], [K, 1, 4]);
      assert.deepEqual(shapes['k_conv1d.weight'], [K, 1, 4]);
      assert.deepEqual(shapes['v_conv1d.weight'], [V, 1, 4]);
    });

    test('bad settings and foreign states are refused with the mixer named', () => {
      assert.throws(
        () => MIXERS[kind](layerOptions({}, 16, 3)),
        new RegExp(`${kind}: .* must both divide into 3 heads`),
      );
      assert.throws(
        () => MIXERS[kind](layerOptions({ chunkSize: 0 })),
        new RegExp(`${kind}: mixerOptions.chunkSize`),
      );
      const layer = MIXERS[kind](layerOptions());
      const x = randn([2, 3, 16]);
      const foreign = new GlaState('other', 2, 2, 8, 8);
      assert.throws(() => layer.forward(x, ctx(foreign)), /expected the state made by its initState/);
      assert.throws(
        () => layer.forward(x, ctx(layer.initState(1, 8) as GlaState)),
        /state holds 1 sequences/,
      );
      assert.throws(
        () => MIXERS[kind](layerOptions({ convSize: 1.5 })),
        new RegExp(`${kind}: mixerOptions.convSize must be 0`),
      );
      const convolved = MIXERS[kind](layerOptions({ convSize: 4 }));
      assert.throws(
        () => convolved.forward(x, ctx(layer.initState(2, 8) as GlaState)),
        /short convolutions do not match convSize 4/,
      );
    });
  });
}

/** Parameter names and shapes, as fla's layer has them (dim 16, 2 heads). */
export function assertParameters(layer: Mixer, expected: Record<string, number[]>): void {
  const got = Object.fromEntries(layer.namedParameters().map(([n, p]) => [n, [...p.shape]]));
  assert.deepEqual(got, expected);
}

/** A tiny language model with this mixer (alone and beside attention) learns and generates. */
export function modelSuite(kind: GlaKind): void {
  sharedModelSuite(kind, { isState: (s) => s instanceof GlaState && s.kind === kind, tolerance: TOL });
}

/**
 * The layer (dim 8, 2 heads, chunks of 4) with weights 0.5 sin(1.3 i + offset(name)) and input
 * sin(0.7 i + 0.3), against the output the PyTorch peer (bench/torch/mixers/<kind>.py) gives for the same.
 */
export function assertMatchesPytorch(kind: GlaKind, expected: number[]): void {
  const layer = MIXERS[kind](layerOptions({ chunkSize: 4 }, 8, 2));
  for (const [name, p] of layer.namedParameters()) {
    let offset = 0;
    for (const ch of name) offset += ch.charCodeAt(0);
    for (let i = 0; i < p.data.length; i++) p.data[i] = 0.5 * Math.sin(1.3 * i + (offset % 97) / 10);
  }
  const x = new Tensor(
    Float32Array.from({ length: 56 }, (_, i) => Math.sin(0.7 * i + 0.3)),
    [1, 7, 8],
  );
  assertClose(layer.forward(x, ctx()).data, expected, TOL, `${kind} against PyTorch`);
}
