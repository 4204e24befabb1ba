// The probes' float64 linear algebra against identities it must satisfy.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  choleskySolve,
  fromRows,
  type Matrix,
  matrix,
  multiply,
  pinv,
  ridge,
  svd,
  transpose,
} from '../../src/lens/linalg.js';
import { Generator } from '../../src/tensor/index.js';

const random = (rows: number, cols: number, g: Generator): Matrix =>
  matrix(
    rows,
    cols,
    Float64Array.from({ length: rows * cols }, () => 2 * g.random() - 1),
  );
const maxDiff = (a: Matrix, b: Matrix) => {
  assert.deepEqual([a.rows, a.cols], [b.rows, b.cols]);
  return a.data.reduce((m, v, i) => Math.max(m, Math.abs(v - b.data[i])), 0);
};
const identity = (n: number) =>
  matrix(
    n,
    n,
    Float64Array.from({ length: n * n }, (_, i) => +(i % (n + 1) === 0)),
  );

describe('linalg', () => {
  test('Cholesky solves a positive definite system and refuses a singular one', () => {
    const g = new Generator(1);
    const a = random(6, 4, g);
    const spd = multiply(a, a, { transposeA: true }); // 4 x 4, full rank
    const x = random(4, 3, g);
    assert.ok(maxDiff(choleskySolve(spd, multiply(spd, x)), x) < 1e-10);
    const singular = fromRows([Float64Array.of(1, 2), Float64Array.of(2, 4)]);
    assert.throws(() => choleskySolve(singular, identity(2)), /not positive definite.*add a ridge/);
  });

  test('ridge gives the same fit through the normal equations and, with fewer rows than columns, the dual', () => {
    const g = new Generator(2);
    const lambda = 0.3;
    for (const [n, p] of [
      [9, 4],
      [3, 7],
    ]) {
      const x = random(n, p, g);
      const y = random(n, 2, g);
      const gram = multiply(x, x, { transposeA: true });
      for (let i = 0; i < p; i++) gram.data[i * p + i] += lambda;
      const primal = choleskySolve(gram, multiply(x, y, { transposeA: true }));
      assert.ok(maxDiff(ridge(x, y, lambda), primal) < 1e-10, `${n} x ${p}`);
    }
  });

  test('the thin SVD, tall, wide or square, reconstructs the matrix with orthonormal factors and descending singular values', () => {
    const g = new Generator(3);
    for (const [m, n] of [
      [7, 4],
      [4, 7],
      [5, 5],
    ]) {
      const a = random(m, n, g);
      const { U, S, V } = svd(a);
      const r = Math.min(m, n);
      assert.deepEqual([U.rows, U.cols, S.length, V.rows, V.cols], [m, r, r, n, r]);
      const us = matrix(
        m,
        r,
        U.data.map((v, i) => v * S[i % r]),
      );
      assert.ok(maxDiff(multiply(us, V, { transposeB: true }), a) < 1e-12, `${m} x ${n} reconstruction`);
      assert.ok(maxDiff(multiply(U, U, { transposeA: true }), identity(r)) < 1e-12, 'U orthonormal');
      assert.ok(maxDiff(multiply(V, V, { transposeA: true }), identity(r)) < 1e-12, 'V orthonormal');
      for (let i = 1; i < r; i++) assert.ok(S[i] <= S[i - 1]);
    }
  });

  test('the pseudo-inverse of a rank-deficient matrix meets the Penrose conditions; rank truncates it', () => {
    const g = new Generator(4);
    const a = multiply(random(5, 2, g), random(2, 4, g)); // rank 2
    for (const m of [a, transpose(a)]) {
      const inv = pinv(m);
      assert.deepEqual([inv.rows, inv.cols], [m.cols, m.rows]);
      assert.ok(maxDiff(multiply(multiply(m, inv), m), m) < 1e-12, 'A A+ A = A');
      assert.ok(maxDiff(multiply(multiply(inv, m), inv), inv) < 1e-12, 'A+ A A+ = A+');
    }
    const diag = fromRows([Float64Array.of(1, 0, 0), Float64Array.of(0, 3, 0), Float64Array.of(0, 0, 2)]);
    const top = fromRows([Float64Array.of(0, 0, 0), Float64Array.of(0, 1 / 3, 0), Float64Array.of(0, 0, 0)]);
    assert.ok(maxDiff(pinv(diag, { rank: 1 }), top) < 1e-15);
    assert.throws(() => pinv(diag, { rank: 0 }), /rank must be a positive integer/);
  });

  test('shapes that do not chain are refused by name', () => {
    assert.throws(() => multiply(matrix(2, 3), matrix(2, 3)), /multiply: 2 x 3 times 2 x 3/);
    assert.throws(
      () => fromRows([new Float64Array(2), new Float64Array(3)]),
      /row 1 has 3 values, row 0 has 2/,
    );
    assert.throws(() => matrix(2, 2, new Float64Array(3)), /3 values cannot be 2 x 2/);
  });
});
