// The fused attention and rotary ops against the same math composed from plain ops, values and gradients.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as T from '../../src/tensor/index.js';
import { Generator, type Tensor } from '../../src/tensor/index.js';
import { assertClose, backends, gradcheck, withBackend } from '../helpers.js';

/** The textbook form: split heads, scores, causal mask, softmax, weighted sum, merge heads. */
function unfusedAttention(qkv: Tensor, heads: number): Tensor {
  const [batch, seq, width] = qkv.shape;
  const headDim = width / 3 / heads;
  const [q, k, v] = T.split(qkv, width / 3, 2).map((t) =>
    T.permute(T.reshape(t, [batch, seq, heads, headDim]), [0, 2, 1, 3]),
  );
  const scores = T.mul(T.matmul(q, k, { transposeB: true }), 1 / Math.sqrt(headDim));
  const future = T.gt(T.unsqueeze(T.arange(seq), 0), T.unsqueeze(T.arange(seq), 1)); // j > i
  const pattern = T.softmax(T.maskedFill(scores, future, Number.NEGATIVE_INFINITY), -1);
  const z = T.matmul(pattern, v);
  return T.reshape(T.permute(z, [0, 2, 1, 3]), [batch, seq, width / 3]);
}

function rotaryTable(headDim: number, positions: number): T.RotaryTable {
  const half = headDim / 2;
  const cos = new Float32Array(positions * half);
  const sin = new Float32Array(positions * half);
  for (let p = 0; p < positions; p++) {
    for (let i = 0; i < half; i++) {
      const angle = p * 10000 ** (-i / half);
      cos[p * half + i] = Math.cos(angle);
      sin[p * half + i] = Math.sin(angle);
    }
  }
  return { headDim, cos, sin };
}

for (const backend of backends()) {
  describe(`attention ops (${backend})`, () => {
    test('fused causal attention equals the unfused composition, outputs and gradients', () =>
      withBackend(backend, () => {
        const g = new Generator(5);
        for (const [batch, seq, heads, headDim] of [
          [1, 1, 1, 4],
          [2, 9, 3, 8],
          [1, 70, 2, 16],
        ]) {
          const qkv = T.randn([batch, seq, 3 * heads * headDim], { generator: g }).requiresGrad_();
          const w = T.randn([batch, seq, heads * headDim], { generator: g });
          const fused = T.causalAttention(qkv, heads);
          T.sum(T.mul(fused, w)).backward();
          const fusedGrad = qkv.grad!.data.slice();
          qkv.grad = null;
          const plain = unfusedAttention(qkv, heads);
          T.sum(T.mul(plain, w)).backward();
          assertClose(fused.data, plain.data, 1e-5, 'output');
          assertClose(fusedGrad, qkv.grad!.data, 1e-5, 'gradient');
        }
      }));

    test('gradcheck of causal attention and rope', () =>
      withBackend(backend, () => {
        const g = new Generator(9);
        gradcheck((x) => T.causalAttention(x, 2), [T.randn([2, 5, 24], { generator: g }).requiresGrad_()]);
        const table = rotaryTable(4, 10);
        gradcheck((x) => T.rope(x, table, 4, 3), [T.randn([2, 5, 24], { generator: g }).requiresGrad_()]);
      }));

    test('rope rotates each pair by position times frequency, and keeps norms', () =>
      withBackend(backend, () => {
        const table = rotaryTable(4, 8);
        const x = T.tensor([[[1, 0, 0, 0, 7, 7]]]); // one head of 4, then 2 columns left alone
        const y = T.rope(x, table, 1, 3); // position 3
        const [c0, s0, c1, s1] = [Math.cos(3), Math.sin(3), Math.cos(3 / 100), Math.sin(3 / 100)];
        const expected = [c0, 0 * c1, s0, 0 * s1, 7, 7];
        assertClose(y.data, expected, 1e-6, 'rotated');
        const z = T.rope(T.randn([1, 8, 8], { generator: new Generator(1) }), table, 2);
        const norms = (t: Tensor) => T.sum(T.square(t), -1).data;
        assertClose(norms(z), norms(T.rope(z, table, 0)), 1e-6, 'norm preserved');
        assert.throws(
          () => T.rope(x, table, 1, 8),
          /rope: cannot rotate 1 heads of 4 in \[1, 1, 6\] at positions 8\.\.8 \(table has 8\)/,
        );
      }));
  });
}
