// DeltaNet: the conformance suite, parameters as fla names them, the delta rule as a gradient step, hooks
// and errors. (The delta-rule ops: ops/delta.test.ts.)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chunkDeltaRule, recurrentDeltaRule } from '../../src/mixers/ops/delta/op.js';
import { Generator, matmul, mul, noGrad, randn, square, sub, sum, Tensor } from '../../src/tensor/index.js';
import { backends, withBackend } from '../helpers.js';
import { mixerConformance } from './conformance.js';
import { deltaLayer, layerSuite } from './delta-shared.js';

mixerConformance('deltanet');
layerSuite('deltanet');

describe('deltanet: parameters', () => {
  test('names and shapes follow fla (no biases, short convolutions [D, 1, 4], per-head o_norm)', () => {
    const layer = deltaLayer('deltanet', 16);
    const shapes = Object.fromEntries(layer.namedParameters().map(([n, p]) => [n, p.shape]));
    assert.deepEqual(shapes, {
      'q_proj.weight': [16, 16],
      'k_proj.weight': [16, 16],
      'v_proj.weight': [16, 16],
      'b_proj.weight': [2, 16],
      'q_conv1d.weight': [16, 1, 4],
      'k_conv1d.weight': [16, 1, 4],
      'v_conv1d.weight': [16, 1, 4],
      'o_proj.weight': [16, 16],
      'o_norm.weight': [8],
    });
    assert.ok(layer.o_norm.weight.data.every((w) => w === 1));
    // Conv1d's default init: U(-1/sqrt(4), 1/sqrt(4)).
    const conv = layer.q_conv1d.weight.data;
    assert.ok(conv.every((w) => Math.abs(w) <= 0.5) && conv.some((w) => Math.abs(w) > 0.25));
    assert.throws(() => deltaLayer('deltanet', 15), /deltanet: width 15 is not divisible by 2 heads/);
  });
});

describe('deltanet: the update is one gradient descent step', () => {
  test('S + beta k (v - S^T k)^T = S - beta dL/dS for L(S) = ||S^T k - v||^2 / 2 (autograd gradient)', () => {
    const [K, V, beta] = [5, 3, 0.7];
    const g = new Generator(11);
    const s = randn([K, V], { generator: g });
    const k = randn([1, K], { generator: g });
    const v = randn([1, V], { generator: g });
    // The gradient of L, from autograd through ordinary ops.
    const leaf = s.clone().requiresGrad_();
    mul(sum(square(sub(matmul(k, leaf), v))), 0.5).backward();
    const grad = leaf.grad!.data;
    assert.ok(
      grad.some((x) => Math.abs(x) > 1e-3),
      'the loss must have a gradient here',
    );
    const expected = s.data.map((x, i) => x - beta * grad[i]);
    // One token through each form of the recurrence, from S (B = T = H = 1; q does not touch the state).
    const as4 = (t: Tensor, d: number) => new Tensor(t.data, [1, 1, 1, d]);
    const args = [
      as4(k, K),
      as4(k, K),
      as4(v, V),
      new Tensor(new Float32Array([beta]), [1, 1, 1]),
      null,
    ] as const;
    for (const backend of backends()) {
      withBackend(backend, () => {
        const viaChunk = s.data.slice();
        chunkDeltaRule(...args, { scale: 1, chunkSize: 4, state: viaChunk });
        const viaStep = s.data.slice();
        noGrad(() => recurrentDeltaRule(...args, { scale: 1, state: viaStep }));
        for (const [what, got] of [
          ['chunkwise', viaChunk],
          ['recurrent', viaStep],
        ] as const) {
          const err = Math.max(...got.map((x, i) => Math.abs(x - expected[i])));
          assert.ok(err < 1e-5, `${backend} ${what}: max |S' - (S - beta grad)| = ${err}`);
        }
      });
    }
  });
});
