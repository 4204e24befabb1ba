// The gated-linear-attention ops, one recurrence with three decays (none: linear attention, per head:
// RetNet, per key: GLA): the chunkwise form (both backends, chunk sizes 16, 32, 64) and the recurrence
// against the naive recurrence on outputs, final state and every gradient; strong decays; a sequence in
// pieces; native kernels against js on awkward sizes; and the errors they give.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { glaKernels } from '../../../src/mixers/ops/gla/kernels.js';
import { naiveRecurrentGla } from '../../../src/mixers/ops/gla/naive.js';
import { chunkGla, type Decay, recurrentGla } from '../../../src/mixers/ops/gla/op.js';
import { MatrixMemoryState } from '../../../src/mixers/ops/matrix-state.js';
import {
  cat,
  Generator,
  mul,
  neg,
  noGrad,
  randn,
  slice,
  softplus,
  sub,
  sum,
  type Tensor,
} from '../../../src/tensor/index.js';
import { assertClose, backends, withBackend } from '../../helpers.js';

type DecayKind = Decay['kind'];

const TOL = 1e-4;

interface Problem {
  q: Tensor;
  k: Tensor;
  v: Tensor;
  decay: Decay;
  leaves: Tensor[];
}

/**
 * Random q, k, v and decay. Per-key log decays -softplus(3z - 4) are mostly slight (so the state carries
 * across chunks) and now and then reach -8 (so the factored intra-chunk form is tested hard).
 */
function problem(kind: DecayKind, [B, T, H, K, V]: number[], g: Generator): Problem {
  const leaf = (shape: number[], scale = 1) => mul(randn(shape, { generator: g }), scale).requiresGrad_();
  const q = leaf([B, T, H, K]);
  const k = leaf([B, T, H, K], 0.5);
  const v = leaf([B, T, H, V]);
  if (kind === 'none') return { q, k, v, decay: { kind }, leaves: [q, k, v] };
  if (kind === 'head') {
    const logGamma = Float32Array.from({ length: H }, (_, h) => Math.log(1 - 2 ** (-3 - h)));
    return { q, k, v, decay: { kind, logGamma }, leaves: [q, k, v] };
  }
  const gk = neg(softplus(sub(mul(randn([B, T, H, K], { generator: g }), 3), 4)))
    .detach()
    .requiresGrad_();
  return { q, k, v, decay: { kind, g: gk }, leaves: [q, k, v, gk] };
}

/** Output, final state and gradients of sum(o * w) for each leaf. */
function run(p: Problem, w: Tensor, f: () => { o: Tensor; state: Float32Array }) {
  for (const t of p.leaves) t.grad = null;
  const { o, state } = f();
  sum(mul(o, w)).backward();
  return { o: o.data, state, grads: p.leaves.map((t) => (t.grad as Tensor).data) };
}

/** The chunkwise kernel (both backends) and the recurrence against the naive recurrence. */
function kernelSuite(kind: DecayKind): void {
  describe(`gla kernels, decay "${kind}": chunkwise and recurrent forms against the naive recurrence`, () => {
    for (const T of [1, 63, 100, 1000]) {
      test(`length ${T}: outputs, final state and every gradient, chunk sizes 16, 32, 64`, () => {
        const dims = T === 1000 ? [1, T, 2, 4, 4] : [2, T, 2, 5, 6];
        const [B, , H, K, V] = dims;
        const g = new Generator(T);
        const p = problem(kind, dims, g);
        const s0 = randn([B, H, K, V], { generator: g });
        const w = randn([B, T, H, V], { generator: g });
        const scale = 1 / Math.sqrt(K);
        const ref = run(p, w, () => {
          const n = naiveRecurrentGla(p.q, p.k, p.v, p.decay, scale, s0);
          return { o: n.o, state: n.state.data };
        });
        for (const backend of backends()) {
          withBackend(backend, () => {
            for (const chunkSize of [16, 32, 64]) {
              const got = run(p, w, () => {
                const state = new MatrixMemoryState('test', B, H, K, V, 0);
                state.S.set(s0.data);
                return { o: chunkGla(p.q, p.k, p.v, p.decay, { scale, chunkSize, state }), state: state.S };
              });
              const what = `${backend}, chunk ${chunkSize}:`;
              assertClose(got.o, ref.o, TOL, `${what} output`);
              assertClose(got.state, ref.state, TOL, `${what} final state`);
              for (const [i, gr] of got.grads.entries())
                assertClose(gr, ref.grads[i], TOL, `${what} gradient ${i}`);
            }
            const state = new MatrixMemoryState('test', B, H, K, V, 0);
            state.S.set(s0.data);
            const o = noGrad(() => recurrentGla(p.q, p.k, p.v, p.decay, { scale, state }));
            assertClose(o.data, ref.o, TOL, `${backend}, recurrent: output`);
            assertClose(state.S, ref.state, TOL, `${backend}, recurrent: final state`);
          });
        }
      });
    }

    if (kind === 'key') {
      test('decays as strong as e^-80 a step stay finite and exact', () => {
        const g = new Generator(21);
        const [B, T, H, K, V] = [1, 100, 2, 4, 4];
        const p = problem(kind, [B, T, H, K, V], g);
        const gk = neg(softplus(mul(randn([B, T, H, K], { generator: g }), 40)))
          .detach()
          .requiresGrad_();
        const strong: Problem = {
          ...p,
          decay: { kind: 'key', g: gk },
          leaves: [...p.leaves.slice(0, 3), gk],
        };
        const w = randn([B, T, H, V], { generator: g });
        const ref = run(strong, w, () => {
          const n = naiveRecurrentGla(strong.q, strong.k, strong.v, strong.decay, 0.5);
          return { o: n.o, state: n.state.data };
        });
        for (const backend of backends()) {
          withBackend(backend, () => {
            const state = new MatrixMemoryState('test', B, H, K, V, 0);
            const got = run(strong, w, () => ({
              o: chunkGla(strong.q, strong.k, strong.v, strong.decay, { scale: 0.5, chunkSize: 64, state }),
              state: state.S,
            }));
            assertClose(got.o, ref.o, TOL, `${backend}: output`);
            for (const [i, gr] of got.grads.entries())
              assertClose(gr, ref.grads[i], TOL, `${backend}: gradient ${i}`);
          });
        }
      });
    }

    test('a sequence in pieces (the state carried between calls) equals it whole', () => {
      const g = new Generator(9);
      const [B, T, H, K, V] = [2, 50, 2, 3, 4];
      const p = problem(kind, [B, T, H, K, V], g);
      const whole = noGrad(() => chunkGla(p.q, p.k, p.v, p.decay, { scale: 0.5, chunkSize: 16 }));
      const state = new MatrixMemoryState('test', B, H, K, V, 0);
      const piece = (t: Tensor, a: number, b: number) => slice(t, 1, a, b);
      const cuts = [0, 7, 30, 31, 50];
      const parts = noGrad(() =>
        cuts.slice(1).map((end, i) => {
          const a = cuts[i];
          const d: Decay = p.decay.kind === 'key' ? { kind: 'key', g: piece(p.decay.g, a, end) } : p.decay;
          const args = [piece(p.q, a, end), piece(p.k, a, end), piece(p.v, a, end), d] as const;
          return i % 2 === 0
            ? chunkGla(...args, { scale: 0.5, chunkSize: 16, state })
            : recurrentGla(...args, { scale: 0.5, state });
        }),
      );
      assertClose(cat(parts, 1).data, whole.data, TOL, 'pieces');
    });

    test('native kernels equal the js ones on awkward sizes', {
      skip: glaKernels.nativeNames().length === 0,
    }, () => {
      assert.deepEqual(glaKernels.nativeNames().sort(), [
        'chunkBackward',
        'chunkForward',
        'recurrentForward',
      ]);
      const g = new Generator(11);
      for (const [B, T, H, K, V, C] of [
        [1, 1, 1, 3, 5, 64],
        [2, 37, 3, 7, 9, 8],
        [1, 100, 2, 16, 32, 64],
        [2, 129, 1, 33, 17, 32],
      ]) {
        const p = problem(kind, [B, T, H, K, V], g);
        const g_ = p.decay.kind === 'key' ? p.decay.g.data : null;
        const gHead = p.decay.kind === 'head' ? p.decay.logGamma : null;
        const s0 = randn([B, H, K, V], { generator: g }).data;
        const dO = randn([B, T, H, V], { generator: g }).data;
        const outputs = (impl: ReturnType<typeof glaKernels>) => {
          const [q, k, v] = [p.q.data, p.k.data, p.v.data];
          const o = new Float32Array(dO.length);
          const sOut = new Float32Array(s0.length);
          impl.chunkForward(q, k, v, g_, gHead, s0, o, sOut, B, T, H, K, V, C, 0.3);
          const [dq, dk, dv] = [
            new Float32Array(q.length),
            new Float32Array(k.length),
            new Float32Array(v.length),
          ];
          const dg = g_ ? new Float32Array(q.length) : null;
          impl.chunkBackward(q, k, v, g_, gHead, s0, dO, dq, dk, dv, dg, B, T, H, K, V, C, 0.3);
          const state = s0.slice();
          const oStep = new Float32Array(dO.length);
          impl.recurrentForward(q, k, v, g_, gHead, state, oStep, B, T, H, K, V, 0.3);
          return { o, sOut, dq, dk, dv, dg, oStep, state };
        };
        const js = outputs(glaKernels.js);
        const native = withBackend('native', () => outputs(glaKernels()));
        for (const [name, ref] of Object.entries(js)) {
          if (ref)
            assertClose(
              native[name as keyof typeof js] as Float32Array,
              ref,
              1e-5,
              `${name} [${[B, T, H, K, V, C]}]`,
            );
        }
      }
    });

    test('mismatched shapes are refused with the op named', () => {
      const g = new Generator(1);
      const p = problem(kind, [1, 4, 2, 3, 3], g);
      assert.throws(
        () => chunkGla(p.q, slice(p.k, 1, 0, 3), p.v, p.decay, { scale: 1, chunkSize: 4 }),
        /chunkGla: expected q, k/,
      );
      assert.throws(
        () => chunkGla(p.q, p.k, p.v, p.decay, { scale: 1, chunkSize: 0 }),
        /chunkSize must be a positive integer/,
      );
      const wrong = new MatrixMemoryState('test', 1, 2, 3, 4, 0);
      assert.throws(
        () => chunkGla(p.q, p.k, p.v, p.decay, { scale: 1, chunkSize: 4, state: wrong }),
        /state holds/,
      );
    });
  });
}

kernelSuite('none');
kernelSuite('head');
kernelSuite('key');
