// The causal conv1d shared by Mamba and the delta-rule layers: the native kernels against the js ones
// called directly on awkward sizes (partial channel blocks, width 1, sequences shorter than the window), on
// 1 and 2 threads; the fused op against shifted copies on each backend, gradients included, and against
// finite differences; a window that carries a sequence across calls; shapes that are refused.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { nativeAvailable, setNumThreads } from '../../../src/backend/index.js';
import { convKernels } from '../../../src/mixers/ops/conv/kernels.js';
import { naiveCausalConv1d } from '../../../src/mixers/ops/conv/naive.js';
import { CausalConv1d, causalConv1d } from '../../../src/mixers/ops/conv/op.js';
import { cat, Generator, mul, randn, silu, slice, type Tensor } from '../../../src/tensor/index.js';
import { assertClose, backends, gradcheck, withBackend } from '../../helpers.js';

const TOL = 1e-4;
const g = new Generator(3);
const normal = (n: number) => Float32Array.from({ length: n }, () => g.normal());

/** [batch, seq, channels, width] */
const SIZES = [
  [3, 1, 1, 4],
  [2, 1, 7, 4],
  [2, 2, 65, 5],
  [2, 63, 33, 4],
  [1, 63, 100, 4],
  [3, 100, 130, 3],
  [2, 100, 40, 1],
  [1, 1000, 70, 3],
];

const noAddon = !nativeAvailable() && 'native addon not built';

describe('causal conv1d kernels: native equals js', { skip: noAddon }, () => {
  test('both kernels are native', () => {
    assert.deepEqual(convKernels.nativeNames().sort(), ['causalConv1d', 'causalConv1dGrad']);
  });

  for (const threads of [1, 2]) {
    test(`forward and backward, with and without SiLU, bias and window (${threads} thread(s))`, () => {
      setNumThreads(threads);
      for (const [batch, seq, channels, width] of SIZES) {
        const n = batch * seq * channels;
        const [x, w, gOut] = [normal(n), normal(channels * width), normal(n)];
        for (const silu of [true, false]) {
          for (const bias of [normal(channels), null]) {
            for (const window of [normal(batch * (width - 1) * channels), null]) {
              const run = () => {
                // NaN: a kernel must write every output.
                const [out, gx, gw, gb] = [n, n, channels * width, channels].map((m) =>
                  new Float32Array(m).fill(Number.NaN),
                );
                const k = convKernels();
                k.causalConv1d(x, w, bias, window, out, batch, seq, channels, width, silu);
                k.causalConv1dGrad(x, w, bias, window, gOut, gx, gw, gb, batch, seq, channels, width, silu);
                return [out, gx, gw, gb];
              };
              const ref = withBackend('js', run);
              const got = withBackend('native', run);
              const what = `[${batch}, ${seq}, ${channels}] width ${width}${silu ? ' silu' : ''}${bias ? ' bias' : ''}${window ? ' window' : ''}`;
              got.forEach((o, i) => {
                assertClose(o, ref[i], TOL, `${what}: ${['out', 'gx', 'gWeight', 'gBias'][i]}`);
              });
            }
          }
        }
      }
    });
  }

  test('a short array is refused, not read past', () => {
    const a = (n: number) => new Float32Array(n);
    assert.throws(
      () => convKernels().causalConv1d(a(24), a(12), null, a(17), a(24), 2, 4, 3, 4, true),
      /conv.causalConv1d: window has 17 elements, needs 18/,
    );
  });
});

describe('causal conv1d op: fused equals shifted copies', () => {
  for (const seq of [1, 2, 63, 100, 1000]) {
    test(`length ${seq}: output and gradients, with SiLU, without, and continuing from a window`, () => {
      const g = new Generator(100 + seq);
      const [batch, channels, width] = [2, 5, 4];
      const x = randn([batch, seq, channels], { generator: g, requiresGrad: true });
      const w = randn([channels, width], { generator: g, requiresGrad: true });
      const b = randn([channels], { generator: g, requiresGrad: true });
      const window = randn([batch, width - 1, channels], { generator: g });
      const gOut = randn([batch, seq, channels], { generator: g });
      for (const [activation, win] of [
        ['silu', null],
        [null, null],
        ['silu', window],
      ] as const) {
        const grads = () => [x, w, b].map((t) => (t.grad as Tensor).data.slice());
        const clear = () => {
          for (const t of [x, w, b]) t.grad = null;
        };
        clear();
        const pre = naiveCausalConv1d(x, w, b, win ?? undefined);
        const ref = activation ? silu(pre) : pre;
        ref.backward(gOut);
        const refGrads = grads();
        for (const backend of backends()) {
          withBackend(backend, () => {
            clear();
            const got = causalConv1d(x, w, b, { activation, window: win?.data.slice() });
            const what = `${backend}, ${activation ?? 'identity'}${win ? ', window' : ''}:`;
            assertClose(got.data, ref.data, TOL, `${what} output`);
            got.backward(gOut);
            grads().forEach((gr, i) => {
              assertClose(gr, refGrads[i], TOL, `${what} gradient ${['x', 'weight', 'bias'][i]}`);
            });
          });
        }
      }
    });
  }

  test('finite differences agree with the backward, with and without a bias', () => {
    for (const backend of backends()) {
      withBackend(backend, () => {
        const g = new Generator(5);
        const x = randn([2, 6, 3], { generator: g, requiresGrad: true });
        const w = randn([3, 3], { generator: g, requiresGrad: true });
        const b = randn([3], { generator: g, requiresGrad: true });
        const window = randn([2, 2, 3], { generator: g }).data;
        // Each evaluation moves the window on, so each gets a fresh copy of the same one.
        const op = (x: Tensor, w: Tensor, b: Tensor) =>
          causalConv1d(x, w, b, { activation: 'silu', window: window.slice() });
        gradcheck(op, [x, w, b], { tol: 5e-3 });
        gradcheck((x, w) => mul(causalConv1d(x, w, null), 1), [x, w], { tol: 5e-3 });
      });
    }
  });

  test('a window carries the sequence across calls: pieces of 1, 2 and 5 tokens equal one call', () => {
    for (const backend of backends()) {
      withBackend(backend, () => {
        const g = new Generator(9);
        const conv = new CausalConv1d(6, 4, { bias: true, generator: g });
        const x = randn([2, 8, 6], { generator: g });
        const whole = conv.forward(x);
        const window = new Float32Array(2 * 3 * 6);
        const pieces = [
          [0, 1],
          [1, 3],
          [3, 8],
        ].map(([from, to]) => conv.forward(slice(x, 1, from, to), window));
        assertClose(cat(pieces, 1).data, whole.data, 1e-6, `${backend}: pieces`);
        assertClose(window, slice(x, 1, 5, 8).data, 0, `${backend}: the window holds the last 3 inputs`);
      });
    }
  });

  test('bad shapes are named', () => {
    const x = randn([1, 4, 3]);
    assert.throws(() => causalConv1d(x, randn([2, 4]), null), /causalConv1d: expected x/);
    assert.throws(() => causalConv1d(x, randn([3, 4]), randn([2])), /bias must have shape \[3\]/);
    assert.throws(
      () => causalConv1d(x, randn([3, 4]), null, { window: new Float32Array(2) }),
      /window holds 2 values/,
    );
  });
});
