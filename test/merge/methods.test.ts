// mergekit's methods against formulas worked by hand on small tensors: TIES' trim, sign election and
// agreeing mean; DARE's and DELLA's rescaling keep the expectation; breadcrumbs' band; SLERP at its ends,
// between orthogonal vectors and near parallel ones; model stock's ratio; a model merged with itself is
// itself, by every method.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  breadcrumbs,
  breadcrumbsMask,
  dare,
  dareDrop,
  della,
  electAndMerge,
  linear,
  magprune,
  modelStock,
  modelStockRatio,
  slerp,
  taskArithmetic,
  ties,
  trim,
} from '../../src/merge/index.js';
import { Generator } from '../../src/tensor/index.js';

const f = (xs: number[]) => Float32Array.from(xs);
function close(a: Float32Array, b: number[], tol = 1e-6): void {
  for (const [j, v] of a.entries()) assert.ok(Math.abs(v - b[j]) <= tol, `[${j}] ${v} vs ${b[j]}`);
}

test('TIES: trim to the largest magnitudes, elect the sign of the sum, average those that agree', () => {
  const base = f([1, 1, 1, 1]);
  const a = f([4, 0, 1.5, 3]); // τ = [3, -1, 0.5, 2]
  const b = f([-1, -3, 2, 1.1]); // τ = [-2, -4, 1, 0.1]
  close(trim(f([3, -1, 0.5, 2]), 0.5), [3, 0, 0, 2]);
  close(trim(f([-2, -4, 1, 0.1]), 0.5), [-2, -4, 0, 0]);
  close(electAndMerge([f([3, 0, 0, 2]), f([-2, -4, 0, 0])], [1, 1]), [3, -4, 0, 2]);
  close(
    ties(
      {
        base,
        models: [
          { tensor: a, weight: 1 },
          { tensor: b, weight: 1 },
        ],
      },
      { density: 0.5 },
    ),
    [4, -3, 1, 3],
  );
  // Weights tip the election: b's -2 outweighs a's 3 at entry 0.
  close(electAndMerge([f([3, 0]), f([-2, 0])], [0.5, 1]), [-2, 0]);
});

test('DARE and DELLA keep the expectation; breadcrumbs keeps the band under the largest', () => {
  const tau = f([2, -1, 0.5, 4]);
  const n = 20000;
  for (const [name, drop] of [
    ['dare', (g: Generator) => dareDrop(tau, 0.3, g)],
    ['magprune', (g: Generator) => magprune(tau, 0.5, 0.2, g)],
  ] as const) {
    const g = new Generator(11);
    const mean = new Float64Array(tau.length);
    for (let s = 0; s < n; s++) for (const [j, v] of drop(g).entries()) mean[j] += v / n;
    for (const [j, m] of mean.entries())
      assert.ok(Math.abs(m - tau[j]) < 0.05 * Math.abs(tau[j]), `${name}[${j}] ${m} vs ${tau[j]}`);
  }
  close(breadcrumbsMask(f([5, 4, -3, 2, 1, 0.5]), 0.5, 1 / 6), [0, 4, -3, 2, 0, 0]);
  assert.throws(() => dareDrop(tau, 0, new Generator(1)), /density must be in \(0, 1\], got 0/);
});

test('SLERP: the ends, the arc between orthogonal vectors, the line between near-parallel ones', () => {
  const a = f([1, 0]);
  const b = f([0, 1]);
  close(slerp(a, b, 0), [1, 0]);
  close(slerp(a, b, 1), [0, 1]);
  close(slerp(a, b, 0.5), [Math.SQRT1_2, Math.SQRT1_2]);
  const c = f([1, 1e-4]);
  close(slerp(a, c, 0.25), [1, 0.25e-4]);
});

test('model stock: t = k cos / (1 + (k - 1) cos), then the base moved toward the mean by t', () => {
  assert.equal(modelStockRatio(2, 0.5), 2 / 3);
  assert.equal(modelStockRatio(3, 1), 1);
  const base = f([0, 0]);
  const a = f([1, 0]);
  const b = f([0.5, Math.sqrt(3) / 2]); // 60 degrees from a: cos 0.5
  close(
    modelStock({
      base,
      models: [
        { tensor: a, weight: 1 },
        { tensor: b, weight: 1 },
      ],
    }),
    [(2 / 3) * 0.75, (2 / 3) * (Math.sqrt(3) / 4)],
  );
});

test('a model merged with itself is itself, by every method', () => {
  const theta = f([0.3, -1.2, 2.5, 0, 7]);
  const same = [
    { tensor: theta, weight: 0.7 },
    { tensor: Float32Array.from(theta), weight: 0.3 },
  ];
  const input = { base: theta, models: same };
  const g = new Generator(3);
  for (const merged of [
    linear(same),
    taskArithmetic(input),
    ties(input, { density: 0.5 }),
    dare(input, { density: 0.5, consensus: 'linear', generator: g }),
    dare(input, { density: 0.5, consensus: 'ties', generator: g }),
    breadcrumbs(input, { density: 0.5, gamma: 0.1 }),
    della(input, { density: 0.5, epsilon: 0.1, generator: g }),
    slerp(theta, Float32Array.from(theta), 0.4),
    modelStock(input),
  ])
    close(merged, [...theta], 1e-6);
  assert.throws(
    () => taskArithmetic({ base: theta, models: [{ tensor: f([1]), weight: 1 }] }),
    /model 0 has 1 values, the base 5/,
  );
});

test('trim and breadcrumbs keep exactly the ranks a full sort gives, ties by position, on vectors with many ties', () => {
  const g = new Generator(11);
  for (const n of [1, 7, 64, 1000]) {
    // Values on a coarse grid: many equal magnitudes, of both signs.
    const tau = Float32Array.from({ length: n }, () => Math.round(g.normal() * 3) / 2);
    const order = [...tau.keys()].sort((a, b) => Math.abs(tau[b]) - Math.abs(tau[a]) || a - b);
    const band = (from: number, to: number) => {
      const out = new Float32Array(n);
      for (const j of order.slice(from, to)) out[j] = tau[j];
      return out;
    };
    for (const density of [0, 0.1, 0.5, 1]) {
      assert.deepEqual(
        trim(tau, density),
        band(0, Math.round(density * n)),
        `trim n ${n} density ${density}`,
      );
      const top = Math.round(0.05 * n);
      assert.deepEqual(
        breadcrumbsMask(tau, density * 0.9, 0.05),
        band(top, top + Math.round(density * 0.9 * n)),
        `breadcrumbs n ${n} density ${density}`,
      );
    }
  }
});
