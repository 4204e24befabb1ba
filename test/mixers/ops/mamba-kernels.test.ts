// Mamba's native kernels against their js versions, called directly on awkward sizes (a partial channel
// block, one state, seq below, at and past the chunk size), on 1 and 2 threads.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setNumThreads } from '../../../src/backend/index.js';
import { loadNative } from '../../../src/backend/native.js';
import { mambaKernels, scanSizes } from '../../../src/mixers/ops/mamba/kernels.js';
import { Generator } from '../../../src/tensor/index.js';
import { assertClose } from '../../helpers.js';

const loaded = loadNative();
const TOL = 1e-4;
const g = new Generator(3);

function randn(n: number, scale = 1, shift = 0): Float32Array {
  return Float32Array.from({ length: n }, () => scale * g.normal() + shift);
}

/** Runs fn on js and native with fresh zeroed outputs of the given sizes and compares them all. */
function expectSame(
  name: keyof typeof mambaKernels.js,
  sizes: number[],
  call: (f: (...args: unknown[]) => void, outs: Float32Array[]) => void,
  what: string,
): void {
  const results = [mambaKernels.js[name], mambaKernels()[name]].map((f) => {
    const outs = sizes.map((n) => new Float32Array(n).fill(Number.NaN)); // kernels must write every output
    call(f as (...args: unknown[]) => void, outs);
    return outs;
  });
  results[0].forEach((ref, i) => {
    assertClose(results[1][i], ref, TOL, `${what} output ${i}`);
  });
}

describe('mamba native kernels equal js', { skip: !loaded.ok && 'native addon not built' }, () => {
  test('every kernel is native', () => {
    assert.deepEqual(mambaKernels.nativeNames().sort(), ['selectiveScan', 'selectiveScanGrad']);
  });

  for (const threads of [1, 2]) {
    test(`selective scan forward and backward (${threads} thread(s))`, () => {
      setNumThreads(threads);
      const cases: [number, number, number, number, number][] = [
        [3, 1, 1, 1, 16],
        [3, 63, 17, 16, 16],
        [2, 100, 40, 5, 32],
        [1, 1000, 9, 16, 64],
        [4, 64, 8, 3, 64],
      ];
      for (const [batch, seq, dInner, dState, chunk] of cases) {
        for (const [softplus, withBias, withH0] of [
          [true, true, true],
          [false, false, false],
        ]) {
          const act = batch * seq * dInner;
          const sel = batch * seq * dState;
          const states = batch * dInner * dState;
          const u = randn(act);
          const delta = softplus ? randn(act, 0.5, -1) : randn(act, 0.1, 0.3).map(Math.abs);
          const A = randn(dInner * dState).map((v) => -Math.exp(0.5 * v));
          const [B, C, z, gOut] = [randn(sel), randn(sel), randn(act), randn(act)];
          const D = randn(dInner);
          const bias = withBias ? randn(dInner, 0.3) : null;
          const h0 = withH0 ? randn(states) : null;
          const dims = scanSizes({ batch, seq, dInner, dState, chunk, deltaSoftplus: softplus });
          const ckptSize = states * Math.ceil(seq / chunk);
          const what = `[${batch}, ${seq}, ${dInner}, ${dState}] chunk ${chunk}${softplus ? ' softplus' : ''}`;
          expectSame(
            'selectiveScan',
            [act, states, ckptSize],
            (f, [out, last, ckpt]) => f(u, delta, A, B, C, D, z, bias, h0, out, last, ckpt, ...dims),
            `selectiveScan ${what}`,
          );
          const ckpt = new Float32Array(ckptSize);
          mambaKernels.js.selectiveScan(
            u,
            delta,
            A,
            B,
            C,
            D,
            z,
            bias,
            h0,
            new Float32Array(act),
            new Float32Array(states),
            ckpt,
            ...dims,
          );
          expectSame(
            'selectiveScanGrad',
            [act, act, dInner * dState, sel, sel, dInner, act],
            (f, grads) => f(u, delta, A, B, C, D, z, bias, ckpt, gOut, ...grads, ...dims),
            `selectiveScanGrad ${what}`,
          );
        }
      }
    });
  }

  test('a short array is refused, not read past', () => {
    const dims = scanSizes({ batch: 1, seq: 4, dInner: 2, dState: 2, chunk: 2, deltaSoftplus: true });
    const f = mambaKernels().selectiveScan;
    const a = (n: number) => new Float32Array(n);
    assert.throws(
      () => f(a(8), a(8), a(4), a(8), a(8), a(2), a(7), null, null, a(8), a(4), null, ...dims),
      /mamba.selectiveScan: z has 7 elements, needs 8/,
    );
  });
});
