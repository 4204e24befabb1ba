// The LSTM recurrence op (lstmScan): the fused kernels, forward and BPTT, against the naive step-by-step
// cell from a random (h0, c0), on the outputs, the final (h, c) and the gradients of gx, W_hh, h0 and c0
// for a loss that reads all three; finite differences; native kernels against js on awkward sizes.
// Chunk sizes do not apply: an LSTM has no chunkwise form (h_{t-1} passes through a nonlinearity into
// every gate), so its "parallel" form is the fused kernel over the whole sequence.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setNumThreads } from '../../../src/backend/index.js';
import { lstmKernels } from '../../../src/mixers/ops/lstm/kernels.js';
import { naiveLstmScan } from '../../../src/mixers/ops/lstm/naive.js';
import { lstmScan } from '../../../src/mixers/ops/lstm/op.js';
import { add, Generator, mul, randn, sum, type Tensor, zeros } from '../../../src/tensor/index.js';
import { assertClose, backends, gradcheck, withBackend } from '../../helpers.js';

const TOL = 1e-4;

for (const be of backends()) {
  describe(`lstmScan = the naive cell (${be})`, () => {
    for (const [hidden, lengths] of [
      [6, [1, 63, 100]],
      [5, [1, 63, 100, 1000]],
    ] as const) {
      for (const T of lengths) {
        test(`T=${T}, hidden ${hidden}: outputs, final state and every gradient, from a random state`, () =>
          withBackend(be, () => {
            const g = new Generator(T + hidden);
            const B = 2;
            const leaf = (shape: number[], scale = 1) =>
              mul(randn(shape, { generator: g }), scale).requiresGrad_();
            const inputs = [
              leaf([B, T, 4 * hidden], 2),
              leaf([4 * hidden, hidden], 1 / Math.sqrt(hidden)),
              leaf([B, hidden]),
              leaf([B, hidden]),
            ];
            const weights = [
              randn([B, T, hidden], { generator: g }),
              randn([B, hidden], { generator: g }),
              randn([B, hidden], { generator: g }),
            ];
            const run = (scan: typeof lstmScan) => {
              for (const t of inputs) t.grad = null;
              const [gx, w, h0, c0] = inputs;
              const r = scan(gx, w, h0, c0);
              const loss = add(
                sum(mul(r.output, weights[0])),
                add(sum(mul(r.h, weights[1])), sum(mul(r.c, weights[2]))),
              );
              loss.backward();
              return [r.output, r.h, r.c, ...inputs.map((t) => t.grad as Tensor)].map((t) => t.data.slice());
            };
            const want = run(naiveLstmScan);
            const got = run(lstmScan);
            ['output', 'final h', 'final c', 'grad gx', 'grad weight_hh', 'grad h0', 'grad c0'].forEach(
              (name, i) => {
                assertClose(got[i], want[i], TOL, name);
              },
            );
          }));
      }
    }

    test('lstmScan gradients match finite differences', () =>
      withBackend(be, () => {
        const g = new Generator(9);
        const [B, T, H] = [2, 5, 3];
        const leaf = (shape: number[]) => randn(shape, { generator: g }).requiresGrad_();
        const inputs = [leaf([B, T, 4 * H]), leaf([4 * H, H]), leaf([B, H]), leaf([B, H])];
        gradcheck((gx, w, h0, c0) => lstmScan(gx, w, h0, c0).output, inputs, { tol: 5e-3 });
        gradcheck((gx, w, h0, c0) => lstmScan(gx, w, h0, c0).c, inputs, { tol: 5e-3 });
      }));
  });
}

test('lstmScan names a shape it cannot take', () => {
  assert.throws(
    () => lstmScan(randn([1, 3, 8]), randn([8, 3]), zeros([1, 3]), zeros([1, 3])),
    /lstmScan: expected/,
  );
});

describe('lstm native kernels equal js', {
  skip: !backends().includes('native') && 'native addon not built',
}, () => {
  const native = () => withBackend('native', () => lstmKernels());
  test('both kernels are native', () => {
    assert.deepEqual(lstmKernels.nativeNames().sort(), ['backward', 'forward']);
  });
  for (const threads of [1, 2]) {
    test(`forward and backward on awkward sizes (${threads} thread(s))`, () => {
      setNumThreads(threads);
      const g = new Generator(11);
      const rand = (n: number, scale = 1) => Float32Array.from({ length: n }, () => scale * g.normal());
      for (const [B, T, H] of [
        [1, 1, 1],
        [3, 17, 7],
        [5, 9, 32],
        [9, 4, 45],
        [2, 30, 64],
      ]) {
        const G = 4 * H;
        const gx = rand(B * T * G, 2);
        const whh = rand(G * H, 1 / Math.sqrt(H));
        const [h0, c0, gc] = [rand(B * H), rand(B * H), rand(B * H)];
        const gy = rand(B * T * H);
        const outs = (k: ReturnType<typeof native>) => {
          const f = [B * T * H, B * T * H, B * T * G].map((n) => new Float32Array(n));
          k.forward(gx, whh, h0, c0, f[0], f[1], f[2], B, T, H);
          const b = [B * T * G, B * H, B * H].map((n) => new Float32Array(n));
          k.backward(f[2], f[1], c0, whh, gy, gc, b[0], b[1], b[2], B, T, H);
          return [...f, ...b];
        };
        const want = outs(lstmKernels.js);
        const got = outs(native());
        const names = ['y', 'c', 'gates', 'dgates', 'dh0', 'dc0'];
        got.forEach((a, i) => {
          assertClose(a, want[i], 1e-5, `B${B} T${T} H${H} ${names[i]}`);
        });
      }
    });
  }
});
