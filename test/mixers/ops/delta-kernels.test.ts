// The native delta-rule kernels (native/src/mixers/delta.cc) against their js oracles, on awkward sizes
// (partial last chunks, K != V, odd widths), with and without gating, on 1 and 2 threads. (The short
// convolution is shared with Mamba and tested in conv.test.ts.)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { nativeAvailable, setNumThreads } from '../../../src/backend/index.js';
import { deltaKernels } from '../../../src/mixers/ops/delta/kernels.js';
import { Generator } from '../../../src/tensor/index.js';
import { assertClose, withBackend } from '../../helpers.js';

const TOL = 1e-4;
const g = new Generator(3);
const normal = (n: number) => Float32Array.from({ length: n }, () => g.normal());
const uniform = (n: number, lo: number, hi: number) =>
  Float32Array.from({ length: n }, () => lo + (hi - lo) * g.random());

/** Runs `call` with the js and the native kernels on fresh zeroed outputs and compares every output. */
function compare(
  outputs: number[],
  call: (k: ReturnType<typeof deltaKernels>, out: Float32Array[]) => void,
  what: string,
) {
  const run = (k: ReturnType<typeof deltaKernels>) => {
    const out = outputs.map((n) => new Float32Array(n));
    call(k, out);
    return out;
  };
  const ref = withBackend('js', () => run(deltaKernels()));
  const got = withBackend('native', () => run(deltaKernels()));
  got.forEach((x, i) => {
    assertClose(x, ref[i], TOL, `${what}, output ${i}`);
  });
}

describe('delta kernels: native equals js', { skip: !nativeAvailable() && 'native addon not built' }, () => {
  test('every js kernel has a native version', () => {
    assert.deepEqual(deltaKernels.nativeNames().sort(), Object.keys(deltaKernels.js).sort());
  });

  for (const threads of [1, 2]) {
    test(`chunkwise forward and backward, recurrence (${threads} thread(s))`, () => {
      setNumThreads(threads);
      const shapes = [
        [2, 1, 2, 8, 16, 16],
        [1, 63, 3, 5, 7, 16],
        [2, 100, 2, 16, 12, 32],
        [1, 257, 1, 32, 64, 64],
      ];
      for (const [B, T, H, K, V, C] of shapes) {
        for (const gated of [false, true]) {
          const rows = B * T * H;
          const [q, k, v] = [
            normal(rows * K).map((x) => x / Math.sqrt(K)),
            normal(rows * K),
            normal(rows * V),
          ];
          for (let r = 0; r < rows; r++) {
            const key = k.subarray(r * K, (r + 1) * K);
            const norm = Math.hypot(...key);
            key.forEach((x, i) => {
              key[i] = x / norm;
            });
          }
          const beta = uniform(rows, 0, 1);
          const gate = gated ? uniform(rows, -1, 0) : null;
          const s0 = normal(B * H * K * V);
          const N = Math.ceil(T / C);
          const what = `[B, T, H, K, V, C] = [${[B, T, H, K, V, C]}]${gated ? ' gated' : ''}`;
          const gO = normal(rows * V);
          const sizes = [
            rows * V,
            B * H * N * K * V,
            B * H * K * V,
            rows * K,
            rows * K,
            rows * V,
            rows,
            rows,
          ];
          compare(
            sizes,
            (kern, [o, st, state, gq, gk, gv, gbeta, gg]) => {
              state.set(s0);
              kern.chunkForward(q, k, v, beta, gate, o, st, state, B, T, H, K, V, C, 0.5);
              kern.chunkBackward(
                q,
                k,
                v,
                beta,
                gate,
                st,
                gO,
                gq,
                gk,
                gv,
                gbeta,
                gated ? gg : null,
                B,
                T,
                H,
                K,
                V,
                C,
                0.5,
              );
            },
            `chunk ${what}`,
          );
          compare(
            [rows * V, B * H * K * V],
            (kern, [o, state]) => {
              state.set(s0);
              kern.recurrentForward(q, k, v, beta, gate, o, state, B, T, H, K, V, 0.5);
            },
            `recurrence ${what}`,
          );
        }
      }
    });

    test(`the L2 norm, forward and backward (${threads} thread(s))`, () => {
      setNumThreads(threads);
      for (const [rows, D] of [
        [2, 7],
        [63, 100],
        [300, 130],
        [5, 64],
        [4, 65],
      ]) {
        const x = normal(rows * D);
        const gy = normal(rows * D);
        compare(
          [rows * D, rows * D],
          (kern, [y, gx]) => {
            kern.l2Norm(x, y, rows, D, 1e-6);
            kern.l2NormGrad(x, gy, gx, rows, D, 1e-6);
          },
          `l2Norm rows ${rows} of ${D}`,
        );
      }
    });
  }
});
