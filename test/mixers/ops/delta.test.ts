// The delta-rule ops, with and without the decay (DeltaNet, Gated DeltaNet): the chunkwise form (both
// backends, chunk sizes 16, 32, 64) and the generation recurrence against the naive recurrence, on outputs,
// final state and every gradient, from a random initial state with K != V; and the errors they give.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { naiveDeltaRule } from '../../../src/mixers/ops/delta/naive.js';
import { chunkDeltaRule, recurrentDeltaRule } from '../../../src/mixers/ops/delta/op.js';
import { Generator, noGrad, randn, reshape, Tensor } from '../../../src/tensor/index.js';
import { assertClose, backends, withBackend } from '../../helpers.js';

const TOL = 1e-4;
const LENGTHS = [1, 63, 100, 1000];
const CHUNK_SIZES = [16, 32, 64];

function uniformIn(shape: number[], lo: number, hi: number, g: Generator): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return new Tensor(
    Float32Array.from({ length: n }, () => lo + (hi - lo) * g.random()),
    shape,
  ).requiresGrad_();
}

/** Rows of `width` values scaled to unit length, as the layer's L2 norm makes q and k. */
function unitRows(shape: number[], g: Generator): Tensor {
  const t = randn(shape, { generator: g });
  const width = shape[shape.length - 1];
  for (let r = 0; r < t.data.length; r += width) {
    const row = t.data.subarray(r, r + width);
    const norm = Math.hypot(...row);
    row.forEach((x, i) => {
      row[i] = x / norm;
    });
  }
  return t.requiresGrad_();
}

interface CoreInputs {
  q: Tensor;
  k: Tensor;
  v: Tensor;
  beta: Tensor;
  g: Tensor | null;
  /** An initial state [B, H, K, V]. */
  s0: Tensor;
}

function coreInputs(
  B: number,
  T: number,
  H: number,
  K: number,
  V: number,
  gated: boolean,
  seed: number,
): CoreInputs {
  const g = new Generator(seed);
  return {
    q: unitRows([B, T, H, K], g),
    k: unitRows([B, T, H, K], g),
    v: randn([B, T, H, V], { generator: g, requiresGrad: true }),
    beta: uniformIn([B, T, H], 0.05, 0.95, g),
    g: gated ? uniformIn([B, T, H], -0.4, -0.01, g) : null,
    s0: randn([B, H, K, V], { generator: g }),
  };
}

/** The chunkwise op and the generation recurrence against the step-by-step reference. */
function coreSuite(gated: boolean): void {
  const name = gated ? 'gated delta rule' : 'delta rule';
  const [B, H, K, V] = [2, 2, 8, 12]; // K != V, so a transposed state would show
  const scale = 1 / Math.sqrt(K);
  describe(`${name}: chunkwise form = recurrence = step-by-step reference`, () => {
    for (const T of LENGTHS) {
      test(`length ${T}: outputs, final state and all gradients, chunk sizes ${CHUNK_SIZES}`, () => {
        const x = coreInputs(B, T, H, K, V, gated, T);
        const leaves = [x.q, x.k, x.v, x.beta, ...(x.g ? [x.g] : [])];
        const names = ['q', 'k', 'v', 'beta', 'g'];
        const gOut = randn([B, T, H, V], { generator: new Generator(T + 1) });
        const ref = naiveDeltaRule(x.q, x.k, x.v, x.beta, x.g, scale, x.s0);
        ref.o.backward(gOut);
        const refGrads = leaves.map((t) => t.grad!.data.slice());
        for (const backend of backends()) {
          withBackend(backend, () => {
            for (const chunkSize of CHUNK_SIZES) {
              for (const t of leaves) t.grad = null;
              const state = x.s0.data.slice();
              const o = chunkDeltaRule(x.q, x.k, x.v, x.beta, x.g, { scale, chunkSize, state });
              const what = `${backend}, chunk ${chunkSize}`;
              assertClose(o.data, ref.o.data, TOL, `${what}: output`);
              assertClose(state, ref.state.data, TOL, `${what}: final state`);
              o.backward(gOut);
              leaves.forEach((t, i) => {
                assertClose(t.grad!.data, refGrads[i], TOL, `${what}: gradient of ${names[i]}`);
              });
            }
            noGrad(() => {
              const state = x.s0.data.slice();
              const o = recurrentDeltaRule(x.q, x.k, x.v, x.beta, x.g, { scale, state });
              assertClose(o.data, ref.o.data, TOL, `${backend} recurrence: output`);
              assertClose(state, ref.state.data, TOL, `${backend} recurrence: final state`);
            });
          });
        }
      });
    }

    test('the recurrence has no backward and says so; bad shapes are named', () => {
      const x = coreInputs(1, 3, 1, 4, 4, gated, 1);
      const opts = { scale: 1, state: new Float32Array(16) };
      assert.throws(() => recurrentDeltaRule(x.q, x.k, x.v, x.beta, x.g, opts), /has no backward/);
      assert.throws(
        () => chunkDeltaRule(x.q, x.k, x.v, reshape(x.beta, [1, 3]), x.g, { scale: 1, chunkSize: 4 }),
        /chunkDeltaRule \(mixers\/ops\/delta\/op.ts\): beta must be \[1,3,1\]/,
      );
      assert.throws(
        () => chunkDeltaRule(x.q, x.k, x.v, x.beta, x.g, { scale: 1, chunkSize: 0 }),
        /chunkSize must be a positive integer/,
      );
      assert.throws(
        () =>
          chunkDeltaRule(x.q, x.k, x.v, x.beta, x.g, { scale: 1, chunkSize: 4, state: new Float32Array(3) }),
        /state holds 3 values, expected B\*H\*K\*V = 16/,
      );
    });
  });
}

coreSuite(false);
coreSuite(true);
