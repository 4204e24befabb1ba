// Mamba's selective scan against the step-by-step reference built from ordinary tensor ops: outputs, final
// state and every gradient, on each backend, at several lengths and chunk sizes. (Its causal conv1d is
// tested with the other layers that share it: conv.test.ts.)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { naiveSelectiveScan } from '../../../src/mixers/ops/mamba/naive.js';
import { selectiveScan } from '../../../src/mixers/ops/mamba/op.js';
import { exp, Generator, neg, noGrad, randn, Tensor } from '../../../src/tensor/index.js';
import { assertClose, backends, gradcheck, withBackend } from '../../helpers.js';

const TOL = 1e-4;
const LENGTHS = [1, 63, 100, 1000];
const CHUNKS = [16, 32, 64];

interface ScanInputs {
  u: Tensor;
  delta: Tensor;
  A: Tensor;
  B: Tensor;
  C: Tensor;
  D: Tensor;
  z: Tensor;
  bias: Tensor;
  h0: Tensor | undefined;
  gOut: Tensor;
}

function scanInputs(
  batch: number,
  seq: number,
  dInner: number,
  dState: number,
  seed: number,
  withH0: boolean,
) {
  const g = new Generator(seed);
  const leaf = (shape: number[], scale = 1, shift = 0) => {
    const t = randn(shape, { generator: g });
    for (let i = 0; i < t.data.length; i++) t.data[i] = scale * t.data[i] + shift;
    return t.requiresGrad_();
  };
  const inputs: ScanInputs = {
    u: leaf([batch, seq, dInner]),
    delta: leaf([batch, seq, dInner], 0.5, -1), // softplus of this: steps around 0.3, as after dt_proj's init
    A: leaf([dInner, dState], 0.5), // becomes -exp(.) below: negative, as Mamba's A
    B: leaf([batch, seq, dState]),
    C: leaf([batch, seq, dState]),
    D: leaf([dInner]),
    z: leaf([batch, seq, dInner]),
    bias: leaf([dInner], 0.3),
    h0: withH0 ? randn([batch, dInner, dState], { generator: g }) : undefined,
    gOut: randn([batch, seq, dInner], { generator: g }),
  };
  return inputs;
}

const LEAVES = ['u', 'delta', 'A', 'B', 'C', 'D', 'z', 'bias'] as const;

function gradsOf(x: ScanInputs): Float32Array[] {
  return LEAVES.map((k) => {
    const gr = x[k].grad;
    assert.ok(gr, `${k} got no gradient`);
    return gr.data.slice();
  });
}

function clearGrads(x: ScanInputs): void {
  for (const k of LEAVES) x[k].grad = null;
}

describe('selective scan: fused op equals the step-by-step reference', () => {
  for (const seq of LENGTHS) {
    test(`length ${seq}: output, final state and all gradients, chunk sizes ${CHUNKS.join('/')}`, () => {
      const x = scanInputs(2, seq, 6, 4, seq, seq === 63);
      const A = () => neg(exp(x.A));
      const ref = naiveSelectiveScan(x.u, x.delta, A(), x.B, x.C, x.D, x.z, {
        deltaBias: x.bias,
        deltaSoftplus: true,
        initialState: x.h0,
      });
      ref.out.backward(x.gOut);
      const refGrads = gradsOf(x);
      for (const backend of backends()) {
        withBackend(backend, () => {
          for (const chunkSize of CHUNKS) {
            clearGrads(x);
            const got = selectiveScan(x.u, x.delta, A(), x.B, x.C, x.D, x.z, {
              deltaBias: x.bias,
              deltaSoftplus: true,
              initialState: x.h0?.data,
              chunkSize,
            });
            const what = `${backend}, chunk ${chunkSize}:`;
            assertClose(got.out.data, ref.out.data, TOL, `${what} output`);
            assertClose(got.lastState.data, ref.lastState.data, TOL, `${what} final state`);
            got.out.backward(x.gOut);
            gradsOf(x).forEach((gr, i) => {
              assertClose(gr, refGrads[i], TOL, `${what} gradient of ${LEAVES[i]}`);
            });
          }
        });
      }
    });
  }

  test('delta used as given (no bias, no softplus) equals the reference fed softplus(delta + bias)', () => {
    const x = scanInputs(2, 20, 5, 3, 7, false);
    const ref = naiveSelectiveScan(x.u, x.delta, neg(exp(x.A)), x.B, x.C, x.D, x.z, {
      deltaBias: x.bias,
      deltaSoftplus: true,
    });
    const positive = new Tensor(softplusOf(x.delta, x.bias), x.delta.shape);
    for (const backend of backends()) {
      withBackend(backend, () => {
        const got = noGrad(() => selectiveScan(x.u, positive, neg(exp(x.A)), x.B, x.C, x.D, x.z));
        assertClose(got.out.data, ref.out.data, TOL, `${backend} output`);
      });
    }
  });

  test('finite differences agree with the backward (small sizes)', () => {
    for (const backend of backends()) {
      withBackend(backend, () => {
        const x = scanInputs(1, 5, 3, 2, 11, true);
        gradcheck(
          (u, delta, A, B, C, D, z, bias) =>
            selectiveScan(u, delta, neg(exp(A)), B, C, D, z, {
              deltaBias: bias,
              deltaSoftplus: true,
              initialState: x.h0?.data,
              chunkSize: 2,
            }).out,
          LEAVES.map((k) => x[k]),
          { eps: 1e-2, tol: 5e-3 },
        );
      });
    }
  });

  test('bad shapes name the argument', () => {
    const x = scanInputs(1, 4, 3, 2, 1, false);
    assert.throws(
      () => selectiveScan(x.u, x.delta, x.A, x.B, x.C, x.D, x.z.withShape([1, 3, 4])),
      /selectiveScan: z must have shape \[1,4,3\], got \[1,3,4\]/,
    );
    assert.throws(
      () => selectiveScan(x.u, x.delta, x.A, x.u, x.C, x.D, x.z),
      /selectiveScan: B must have shape \[1,4,2\]/,
    );
    assert.throws(
      () => selectiveScan(x.u, x.delta, x.A, x.B, x.C, x.D, x.z, { chunkSize: 0 }),
      /chunkSize must be a positive integer/,
    );
    assert.throws(
      () => selectiveScan(x.u, x.delta, x.A, x.B, x.C, x.D, x.z, { initialState: new Float32Array(5) }),
      /initialState holds 5 values/,
    );
  });
});

function softplusOf(delta: Tensor, bias: Tensor): Float32Array {
  const dInner = bias.shape[0];
  return delta.data.map((v, i) => {
    const x = v + bias.data[i % dInner];
    return x > 20 ? x : Math.log1p(Math.exp(x));
  });
}
