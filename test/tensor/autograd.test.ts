// Autograd mechanics: accumulation, detach, noGrad, retained grads, custom ops, anomaly mode.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as T from '../../src/tensor/index.js';
import { record, type Tensor, tensor } from '../../src/tensor/index.js';

test('gradients accumulate across backward calls and across uses of a tensor', () => {
  const x = tensor([1, 2, 3], { requiresGrad: true });
  T.sum(T.mul(x, x)).backward(); // d/dx x^2 = 2x, x used twice in one op
  assert.deepEqual(Array.from(x.grad!.data), [2, 4, 6]);
  T.sum(T.add(x, x)).backward(); // accumulates 2 more
  assert.deepEqual(Array.from(x.grad!.data), [4, 6, 8]);
});

test('a diamond graph sums both paths', () => {
  const x = tensor([2], { requiresGrad: true });
  const a = T.mul(x, 3);
  const y = T.add(T.exp(a), T.mul(a, a)); // dy/dx = 3 e^{3x} + 18x
  y.backward();
  assert.ok(Math.abs(x.grad!.item() - (3 * Math.exp(6) + 36)) < 1e-2);
});

test('detach and noGrad cut the graph', () => {
  const x = tensor([1, 2], { requiresGrad: true });
  assert.equal(T.mul(x.detach(), 2).requiresGrad, false);
  const y = T.noGrad(() => T.mul(x, 2));
  assert.equal(y.requiresGrad, false);
  assert.equal(y.gradFn, null);
  assert.equal(T.isGradEnabled(), true);
});

test('retainGrad keeps an intermediate gradient', () => {
  const x = tensor([1, 2], { requiresGrad: true });
  const h = T.mul(x, 3).retainGrad();
  T.sum(T.square(h)).backward();
  assert.deepEqual(Array.from(h.grad!.data), [6, 12]);
  assert.deepEqual(Array.from(x.grad!.data), [18, 36]);
});

test('backward on a non-scalar needs the output gradient', () => {
  const x = tensor([1, 2], { requiresGrad: true });
  assert.throws(() => T.mul(x, 2).backward(), /not a scalar/);
  T.mul(x, 2).backward(tensor([1, 10]));
  assert.deepEqual(Array.from(x.grad!.data), [2, 20]);
});

test('a custom fused op is a forward kernel plus record()', () => {
  // softsign(x) = x / (1 + |x|), derivative 1 / (1 + |x|)^2
  const softsign = (x: Tensor): Tensor => {
    const out = x.withData(x.data.map((v) => v / (1 + Math.abs(v))));
    return record('softsign', out, [x], (g) => [
      g.withData(g.data.map((gv, i) => gv / (1 + Math.abs(x.data[i])) ** 2)),
    ]);
  };
  const x = tensor([-2, 0.5, 3], { requiresGrad: true });
  T.sum(softsign(x)).backward();
  assert.deepEqual(
    Array.from(x.grad!.data).map((v) => v.toFixed(5)),
    [1 / 9, 1 / 2.25, 1 / 16].map((v) => v.toFixed(5)),
  );
  assert.equal(softsign(x).gradFn?.name, 'softsign');
});

test('anomaly mode names the first op that produced NaN or Inf, forward and backward', () => {
  T.setDetectAnomaly(true);
  try {
    assert.throws(
      () => T.log(tensor([1, -1])),
      /anomaly: log \(forward\) produced NaN at flat index 1 of \[2\]/,
    );
    const x = tensor([0, 4], { requiresGrad: true });
    const y = T.sqrt(x); // finite forward, infinite gradient at 0
    assert.throws(
      () => T.sum(y).backward(),
      /anomaly: backward of sqrt produced Infinity[\s\S]*forward call/,
    );
  } finally {
    T.setDetectAnomaly(false);
  }
  assert.doesNotThrow(() => T.log(tensor([-1])));
});

test('deep graphs do not overflow the call stack', () => {
  let x = tensor([1], { requiresGrad: true });
  const leaf = x;
  for (let i = 0; i < 20000; i++) x = T.mul(x, 1);
  x.backward();
  assert.equal(leaf.grad!.item(), 1);
});
