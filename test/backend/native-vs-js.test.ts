// Every native kernel against the js oracle on awkward sizes, judged by relative RMS error.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Backend, BINARY_OPS, stridedDims, UNARY_OPS } from '../../src/backend/backend.js';
import { setNumThreads } from '../../src/backend/index.js';
import { jsBackend } from '../../src/backend/js.js';
import { loadNative } from '../../src/backend/native.js';
import { broadcastShapes, Generator } from '../../src/tensor/index.js';
import { broadcastDims } from '../../src/tensor/ops/elementwise.js';
import { assertClose } from '../helpers.js';

const loaded = loadNative();
const SIZES = [1, 7, 63, 100, 257, 1000];
const g = new Generator(42);

function randn(n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = scale * g.normal();
  return a;
}

/** Runs the same kernel call on both backends with fresh copies of `outs`, returns both results. */
function both(
  outs: number[],
  run: (b: Backend, out: Float32Array[]) => void,
): [Float32Array[], Float32Array[]] {
  const native = (loaded as { backend: Backend }).backend;
  const a = outs.map((n) => new Float32Array(n));
  const b = outs.map((n) => new Float32Array(n));
  run(jsBackend, a);
  run(native, b);
  return [a, b];
}

function expectSame(
  outs: number[],
  run: (b: Backend, out: Float32Array[]) => void,
  tol: number,
  what: string,
) {
  const [ref, got] = both(outs, run);
  ref.forEach((r, i) => {
    assertClose(got[i], r, tol, `${what} output ${i}`);
  });
}

describe('native kernels equal js', { skip: !loaded.ok && 'native addon not built' }, () => {
  for (const threads of [1, 2]) {
    test(`gemm, every transpose, awkward sizes, batched (${threads} thread(s))`, () => {
      setNumThreads(threads);
      const shapes: [number, number, number][] = [];
      for (const m of SIZES)
        for (const n of [1, 63, 257]) for (const k of [1, 100, 257]) shapes.push([m, n, k]);
      shapes.push([1000, 1000, 63], [63, 1000, 1000], [257, 7, 1000]);
      for (const [m, n, k] of shapes) {
        for (const transA of [false, true]) {
          for (const transB of [false, true]) {
            const batch = m * n * k < 1e6 ? 3 : 1;
            const a = randn(batch * m * k);
            const b = randn(batch * k * n);
            for (const [alpha, beta, shareB] of [
              [1, 0, false],
              [0.5, 1, true],
            ] as const) {
              const c0 = randn(batch * m * n);
              expectSame(
                [batch * m * n],
                (be, [c]) => {
                  c.set(c0);
                  be.gemm({
                    batch,
                    m,
                    n,
                    k,
                    transA,
                    transB,
                    alpha,
                    beta,
                    a,
                    lda: transA ? m : k,
                    strideA: m * k,
                    b,
                    ldb: transB ? k : n,
                    strideB: shareB ? 0 : k * n,
                    c,
                    ldc: n,
                    strideC: m * n,
                  });
                },
                // float32 dot products of length k: error grows like k * 6e-8 relative to the terms
                1e-4,
                `gemm m=${m} n=${n} k=${k} tA=${transA} tB=${transB} beta=${beta}`,
              );
            }
          }
        }
      }
    });
  }

  test('unary ops and their gradients', () => {
    for (const n of SIZES.concat([100_000])) {
      const x = randn(n, 3);
      const positive = x.map(Math.abs).map((v) => v + 0.01);
      const gy = randn(n);
      for (const op of UNARY_OPS) {
        const input = ['log', 'sqrt', 'rsqrt', 'reciprocal'].includes(op) ? positive : x;
        expectSame([n], (be, [out]) => be.unary(op, input, out), 2e-6, `${op} n=${n}`);
        expectSame([n], (be, [out]) => be.unaryGrad(op, input, gy, out), 2e-6, `${op} grad n=${n}`);
      }
    }
  });

  test('unary ops at extremes (overflow, underflow, NaN)', () => {
    const x = Float32Array.from([-1000, -90, -88, -20, -1e-6, 0, 1e-6, 20, 88, 88.7, 89, 1000, Number.NaN]);
    for (const op of ['exp', 'tanh', 'sigmoid', 'silu', 'gelu', 'gelu_tanh', 'softplus'] as const) {
      expectSame([x.length], (be, [out]) => be.unary(op, x, out), 2e-6, `${op} extremes`);
    }
  });

  test('broadcasting binary ops', () => {
    const shapes: [number[], number[]][] = [
      [[1000], [1000]],
      [[257, 63], [63]],
      [
        [63, 1],
        [1, 100],
      ],
      [
        [7, 1, 63],
        [1, 257, 1],
      ],
      [[100, 7], []],
      [[], [7, 1]],
      [
        [2, 3, 4, 5],
        [3, 1, 5],
      ],
    ];
    for (const [as, bs] of shapes) {
      const out = broadcastShapes('test', as, bs);
      const n = out.reduce((x, y) => x * y, 1);
      const a = randn(as.reduce((x, y) => x * y, 1));
      const b = randn(bs.reduce((x, y) => x * y, 1)).map((v) => (v === 0 ? 1 : v));
      const dims = broadcastDims(out, as, bs);
      for (const op of BINARY_OPS) {
        const [x, y] = op === 'pow' ? [a.map(Math.abs), b] : [a, b];
        expectSame([n], (be, [o]) => be.binary(op, x, y, o, dims), 1e-6, `${op} ${JSON.stringify([as, bs])}`);
      }
    }
  });

  test('strided copies (permute, expand, slice offsets)', () => {
    const x = randn(7 * 63 * 5);
    const cases: [number[], number[], number][] = [
      [[5, 7, 63], [1, 315, 5], 0],
      [[63, 5, 7], [5, 1, 315], 0],
      [[4, 63, 5], [0, 5, 1], 10],
      [[3, 2], [0, 0], 17],
      [[], [], 12],
    ];
    for (const [shape, strides, offset] of cases) {
      const n = shape.reduce((a, b) => a * b, 1);
      expectSame(
        [n],
        (be, [o]) => be.copyStrided(x, o, stridedDims(shape, strides), offset),
        0,
        `copyStrided ${shape}`,
      );
    }
  });

  test('reductions over any axis', () => {
    for (const [outer, size, inner] of [
      [1, 1000, 1],
      [257, 63, 1],
      [1, 257, 100],
      [7, 100, 63],
      [63, 1, 7],
      [2, 1000, 600],
    ]) {
      const x = randn(outer * size * inner, 2);
      const n = outer * inner;
      const what = `[${outer}, ${size}, ${inner}]`;
      expectSame([n], (be, [o]) => be.sumAxis(x, o, outer, size, inner), 1e-6, `sum ${what}`);
      expectSame([n], (be, [o]) => be.logsumexpAxis(x, o, outer, size, inner), 1e-6, `logsumexp ${what}`);
      expectSame([n * size], (be, [o]) => be.cumsumAxis(x, o, outer, size, inner), 1e-6, `cumsum ${what}`);
      const idx = [new Int32Array(n), new Int32Array(n)];
      let k = 0;
      expectSame([n], (be, [o]) => be.maxAxis(x, o, idx[k++], outer, size, inner), 0, `max ${what}`);
      assert.deepEqual(idx[0], idx[1], `argmax ${what}`);
    }
  });

  test('softmax, log-softmax, cross-entropy, norms and their gradients', () => {
    for (const rows of [1, 7, 257]) {
      for (const cols of [1, 7, 63, 100, 1000]) {
        const n = rows * cols;
        const x = randn(n, 3);
        const gy = randn(n);
        const w = randn(cols);
        const b = randn(cols);
        const what = `${rows}x${cols}`;
        const [[y]] = both([n], (be, [o]) => be.softmax(x, o, rows, cols));
        const [[ly]] = both([n], (be, [o]) => be.logSoftmax(x, o, rows, cols));
        expectSame([n], (be, [o]) => be.softmax(x, o, rows, cols), 1e-6, `softmax ${what}`);
        expectSame([n], (be, [o]) => be.softmaxGrad(y, gy, o, rows, cols), 1e-5, `softmaxGrad ${what}`);
        expectSame([n], (be, [o]) => be.logSoftmax(x, o, rows, cols), 1e-6, `logSoftmax ${what}`);
        expectSame(
          [n],
          (be, [o]) => be.logSoftmaxGrad(ly, gy, o, rows, cols),
          1e-5,
          `logSoftmaxGrad ${what}`,
        );

        const targets = Int32Array.from({ length: rows }, (_, r) => (r % 5 === 3 ? -100 : (r * 7) % cols));
        const gLoss = randn(rows);
        const [[, lse]] = both([rows, rows], (be, [l, s]) =>
          be.crossEntropy(x, targets, rows, cols, -100, l, s),
        );
        expectSame(
          [rows, rows],
          (be, [l, s]) => be.crossEntropy(x, targets, rows, cols, -100, l, s),
          1e-6,
          `ce ${what}`,
        );
        expectSame(
          [n],
          (be, [o]) => be.crossEntropyGrad(x, targets, lse, gLoss, rows, cols, -100, o),
          1e-5,
          `ce grad ${what}`,
        );

        // With one column layer norm's output is 0 for any input: both sides are rounding noise.
        for (const affine of cols > 1 ? [true, false] : []) {
          const [wt, bs] = affine ? [w, b] : [null, null];
          const [[, mean, rstd]] = both([n, rows, rows], (be, [o, m, r]) =>
            be.layerNorm(x, wt, bs, rows, cols, 1e-5, o, m, r),
          );
          expectSame(
            [n, rows, rows],
            (be, [o, m, r]) => be.layerNorm(x, wt, bs, rows, cols, 1e-5, o, m, r),
            1e-5,
            `layerNorm ${what}`,
          );
          expectSame(
            [n, cols, cols],
            (be, [o, gw, gb]) => be.layerNormGrad(x, wt, mean, rstd, gy, rows, cols, o, gw, gb),
            1e-5,
            `layerNormGrad ${what}`,
          );
          const [[, rs]] = both([n, rows], (be, [o, r]) => be.rmsNorm(x, wt, rows, cols, 1e-6, o, r));
          expectSame(
            [n, rows],
            (be, [o, r]) => be.rmsNorm(x, wt, rows, cols, 1e-6, o, r),
            1e-5,
            `rmsNorm ${what}`,
          );
          expectSame(
            [n, cols],
            (be, [o, gw]) => be.rmsNormGrad(x, wt, rs, gy, rows, cols, o, gw),
            1e-5,
            `rmsNormGrad ${what}`,
          );
        }
      }
    }
  });

  test('causal attention forward, backward and cached, rotary embeddings', () => {
    for (const [batch, seq, heads, headDim] of [
      [1, 1, 1, 8],
      [2, 7, 3, 16],
      [1, 63, 2, 32],
      [2, 100, 4, 8],
      [1, 257, 1, 64],
    ]) {
      const what = `B${batch} T${seq} H${heads} D${headDim}`;
      const dm = heads * headDim;
      const qkv = randn(batch * seq * 3 * dm);
      const gy = randn(batch * seq * dm);
      const scale = 1 / Math.sqrt(headDim);
      const [[out, lse]] = both([batch * seq * dm, batch * heads * seq], (be, [o, l]) =>
        be.causalAttention(qkv, o, l, batch, seq, heads, headDim, scale),
      );
      expectSame(
        [batch * seq * dm, batch * heads * seq],
        (be, [o, l]) => be.causalAttention(qkv, o, l, batch, seq, heads, headDim, scale),
        1e-5,
        `attention ${what}`,
      );
      expectSame(
        [batch * seq * 3 * dm],
        (be, [gq]) => be.causalAttentionGrad(qkv, out, lse, gy, gq, batch, seq, heads, headDim, scale),
        1e-5,
        `attention grad ${what}`,
      );
      // A prompt of `first` tokens, then the rest one at a time, through the cache.
      const capacity = seq + 3;
      const first = Math.ceil(seq / 2);
      const cacheSize = batch * heads * capacity * headDim;
      expectSame(
        [batch * seq * dm, cacheSize, cacheSize],
        (be, [o, kc, vc]) => {
          for (const [from, to] of [
            [0, first],
            ...Array.from({ length: seq - first }, (_, i) => [first + i, first + i + 1]),
          ]) {
            const n = to - from;
            const step = new Float32Array(batch * n * 3 * dm);
            const part = new Float32Array(batch * n * dm);
            for (let b = 0; b < batch; b++) {
              step.set(qkv.subarray((b * seq + from) * 3 * dm, (b * seq + to) * 3 * dm), b * n * 3 * dm);
            }
            be.cachedAttention(step, kc, vc, part, batch, n, heads, headDim, from, capacity, scale);
            for (let b = 0; b < batch; b++)
              o.set(part.subarray(b * n * dm, (b + 1) * n * dm), (b * seq + from) * dm);
          }
        },
        1e-5,
        `cached attention ${what}`,
      );
      const half = headDim / 2;
      const cos = randn((seq + 2) * half);
      const sin = randn((seq + 2) * half);
      for (const inverse of [false, true]) {
        expectSame(
          [batch * seq * 3 * dm],
          (be, [x]) => {
            x.set(qkv);
            be.rope(x, cos, sin, batch, seq, 3 * dm, 2 * heads, headDim, 2, inverse);
          },
          1e-6,
          `rope ${what}`,
        );
      }
    }
  });

  test('adamw step', () => {
    for (const n of SIZES.concat([100_000])) {
      const p = randn(n);
      const grad = randn(n);
      const m = randn(n, 0.1);
      const v = randn(n).map((x) => x * x);
      const step = [1e-2, 0.9, 0.95, 1e-8, 0.1, 3] as const;
      expectSame(
        [n, n, n],
        (be, [pp, mm, vv]) => {
          pp.set(p);
          mm.set(m);
          vv.set(v);
          be.adamw(pp, grad, mm, vv, ...step);
        },
        1e-6,
        `adamw n=${n}`,
      );
    }
  });

  test('bad calls throw instead of touching memory', () => {
    const native = (loaded as { backend: Backend }).backend;
    assert.throws(
      () => native.softmax(new Float32Array(3), new Float32Array(4), 2, 2),
      /softmax: x has 3 elements, needs 4/,
    );
    assert.throws(
      () =>
        native.gemm({
          batch: 1,
          m: 4,
          n: 4,
          k: 4,
          transA: false,
          transB: false,
          alpha: 1,
          beta: 0,
          a: new Float32Array(15),
          lda: 4,
          strideA: 0,
          b: new Float32Array(16),
          ldb: 4,
          strideB: 0,
          c: new Float32Array(16),
          ldc: 4,
          strideC: 0,
        }),
      /gemm: a has 15 elements, needs 16/,
    );
    assert.throws(
      () =>
        native.crossEntropy(
          new Float32Array(4),
          Int32Array.from([0, 9]),
          2,
          2,
          -100,
          new Float32Array(2),
          new Float32Array(2),
        ),
      /crossEntropy: targets\[1\] = 9 is out of range \[0, 2\)/,
    );
  });
});
