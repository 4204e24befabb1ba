// The LSTM mixer: the fused sequence kernel against the recurrent step-by-step form (generation, state =
// (h, c)) and a naive step-by-step reference in plain ops, on outputs, final state and every gradient;
// native kernels against js; the layer inside a model learns and generates from its state.
// Chunk sizes do not apply: an LSTM has no chunkwise form (h_{t-1} passes through a nonlinearity into
// every gate), so its "parallel" form is the fused kernel over the whole sequence.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setNumThreads } from '../../src/backend/index.js';
import { lstmKernels } from '../../src/mixers/lstm/kernels.js';
import { lstmScan } from '../../src/mixers/lstm/scan.js';
import { LSTM, LSTMState } from '../../src/mixers/lstm.js';
import type { MixerOptions } from '../../src/mixers/options.js';
import { LanguageModel, makeConfig } from '../../src/model/index.js';
import { HookContext, NO_HOOKS } from '../../src/nn/index.js';
import {
  add,
  cat,
  Generator,
  linear,
  mul,
  noGrad,
  randn,
  reshape,
  sigmoid,
  slice,
  split,
  stack,
  sum,
  type Tensor,
  tanh,
  zeros,
} from '../../src/tensor/index.js';
import { assertClose, backends, gradcheck, relRmsError, withBackend } from '../helpers.js';
import { modelSuite } from './model-suite.js';

const options = (dim: number, settings: Record<string, number> = {}, seed = 1): MixerOptions => ({
  dim,
  name: 'blocks.0.mixer',
  heads: 1,
  bias: true,
  std: 0.02,
  projStd: 0.02,
  rotary: null,
  generator: new Generator(seed),
  settings,
});

/** torch.nn.LSTM's cell written out step by step with ordinary differentiable ops. */
function naiveLSTM(m: LSTM, x: Tensor, h0: Tensor, c0: Tensor): { output: Tensor; h: Tensor; c: Tensor } {
  const [batch, seq, dim] = x.shape;
  let h = h0;
  let c = c0;
  const hs: Tensor[] = [];
  for (let t = 0; t < seq; t++) {
    const xt = reshape(slice(x, 1, t, t + 1), [batch, dim]);
    const z = add(linear(xt, m.weight_ih_l0, m.bias_ih_l0), linear(h, m.weight_hh_l0, m.bias_hh_l0));
    const [i, f, g, o] = split(z, m.hidden, 1);
    c = add(mul(sigmoid(f), c), mul(sigmoid(i), tanh(g)));
    h = mul(sigmoid(o), tanh(c));
    hs.push(h);
  }
  const output = stack(hs, 1);
  return { output: m.o_proj ? m.o_proj.forward(output) : output, h, c };
}

interface Run {
  output: Float32Array;
  h: Float32Array;
  c: Float32Array;
  grads: Map<string, Float32Array>;
}

/** Runs one form on fresh leaves, backpropagates a loss touching outputs and final state, collects all. */
function run(
  m: LSTM,
  x0: Tensor,
  h00: Tensor,
  c00: Tensor,
  weights: Tensor[],
  form: (x: Tensor, h0: Tensor, c0: Tensor) => { output: Tensor; h: Tensor; c: Tensor },
): Run {
  const x = x0.detach().requiresGrad_();
  const h0 = h00.detach().requiresGrad_();
  const c0 = c00.detach().requiresGrad_();
  m.zeroGrad();
  const r = form(x, h0, c0);
  const loss = add(sum(mul(r.output, weights[0])), add(sum(mul(r.h, weights[1])), sum(mul(r.c, weights[2]))));
  loss.backward();
  const grads = new Map<string, Float32Array>([
    ['x', x.grad!.data],
    ['h0', h0.grad!.data],
    ['c0', c0.grad!.data],
  ]);
  for (const [name, p] of m.namedParameters()) grads.set(name, p.grad!.data);
  return { output: r.output.data, h: r.h.data, c: r.c.data, grads };
}

const fused = (m: LSTM) => (x: Tensor, h0: Tensor, c0: Tensor) => {
  const state = new LSTMState(h0, c0);
  const output = m.forward(x, { hooks: NO_HOOKS, state, pos: 0 });
  return { output, h: state.h, c: state.c };
};

const stepwise = (m: LSTM) => (x: Tensor, h0: Tensor, c0: Tensor) => {
  const state = new LSTMState(h0, c0);
  const outs: Tensor[] = [];
  for (let t = 0; t < x.shape[1]; t++)
    outs.push(m.forward(slice(x, 1, t, t + 1), { hooks: NO_HOOKS, state, pos: t }));
  return { output: cat(outs, 1), h: state.h, c: state.c };
};

const naive = (m: LSTM) => (x: Tensor, h0: Tensor, c0: Tensor) => naiveLSTM(m, x, h0, c0);

function compare(got: Run, want: Run, tol: number, what: string): number {
  let worst = 0;
  const check = (a: Float32Array, b: Float32Array, name: string) => {
    const err = relRmsError(a, b);
    worst = Math.max(worst, err);
    assert.ok(err <= tol, `${what}: ${name} relative RMS error ${err.toExponential(2)} > ${tol}`);
  };
  check(got.output, want.output, 'output');
  check(got.h, want.h, 'final h');
  check(got.c, want.c, 'final c');
  assert.deepEqual([...got.grads.keys()].sort(), [...want.grads.keys()].sort());
  for (const [name, g] of want.grads) check(got.grads.get(name)!, g, `grad ${name}`);
  return worst;
}

for (const be of backends()) {
  describe(`lstm mixer equivalence (${be})`, () => {
    for (const [dim, hidden] of [
      [6, 6],
      [8, 5],
    ]) {
      // T = 1000 once, on the shape with an output projection: the references step through time slowly.
      for (const seq of hidden === dim ? [1, 63, 100] : [1, 63, 100, 1000]) {
        test(`fused kernel = step-by-step state = naive ops, T=${seq}, dim ${dim}, hidden ${hidden}`, (t) =>
          withBackend(be, () => {
            const m = new LSTM(options(dim, { lstmHidden: hidden }, seq));
            const g = new Generator(seq + dim);
            const batch = 2;
            const x = randn([batch, seq, dim], { generator: g });
            const h0 = randn([batch, hidden], { generator: g });
            const c0 = randn([batch, hidden], { generator: g });
            const weights = [
              randn([batch, seq, dim], { generator: g }),
              randn([batch, hidden], { generator: g }),
              randn([batch, hidden], { generator: g }),
            ];
            const ref = run(m, x, h0, c0, weights, naive(m));
            const e1 = compare(run(m, x, h0, c0, weights, fused(m)), ref, 1e-4, 'fused vs naive');
            const e2 = compare(run(m, x, h0, c0, weights, stepwise(m)), ref, 1e-4, 'stepwise vs naive');
            t.diagnostic(`worst rel RMS: fused ${e1.toExponential(2)}, stepwise ${e2.toExponential(2)}`);
          }));
      }
    }

    test('without a state the sequence starts from zeros', () =>
      withBackend(be, () => {
        const m = new LSTM(options(8, { lstmHidden: 12 }));
        const x = randn([3, 40, 8], { generator: new Generator(5) });
        const want = naiveLSTM(m, x, zeros([3, 12]), zeros([3, 12])).output;
        assertClose(m.forward(x, { hooks: NO_HOOKS, state: null, pos: 0 }).data, want.data, 1e-5, 'output');
      }));

    test('lstmScan gradients match finite differences', () =>
      withBackend(be, () => {
        const g = new Generator(9);
        const [B, T, H] = [2, 5, 3];
        const leaf = (shape: number[]) => randn(shape, { generator: g }).requiresGrad_();
        const inputs = [leaf([B, T, 4 * H]), leaf([4 * H, H]), leaf([B, H]), leaf([B, H])];
        gradcheck((gx, w, h0, c0) => lstmScan(gx, w, h0, c0).output, inputs, { tol: 5e-3 });
        gradcheck((gx, w, h0, c0) => lstmScan(gx, w, h0, c0).c, inputs, { tol: 5e-3 });
      }));
  });
}

describe('lstm native kernels equal js', {
  skip: !backends().includes('native') && 'native addon not built',
}, () => {
  const native = () => withBackend('native', () => lstmKernels());
  test('both kernels are native', () => {
    assert.deepEqual(lstmKernels.nativeNames().sort(), ['backward', 'forward']);
  });
  for (const threads of [1, 2]) {
    test(`forward and backward on awkward sizes (${threads} thread(s))`, () => {
      setNumThreads(threads);
      const g = new Generator(11);
      const rand = (n: number, scale = 1) => Float32Array.from({ length: n }, () => scale * g.normal());
      for (const [B, T, H] of [
        [1, 1, 1],
        [3, 17, 7],
        [5, 9, 32],
        [9, 4, 45],
        [2, 30, 64],
      ]) {
        const G = 4 * H;
        const gx = rand(B * T * G, 2);
        const whh = rand(G * H, 1 / Math.sqrt(H));
        const [h0, c0, gc] = [rand(B * H), rand(B * H), rand(B * H)];
        const gy = rand(B * T * H);
        const outs = (k: ReturnType<typeof native>) => {
          const f = [B * T * H, B * T * H, B * T * G].map((n) => new Float32Array(n));
          k.forward(gx, whh, h0, c0, f[0], f[1], f[2], B, T, H);
          const b = [B * T * G, B * H, B * H].map((n) => new Float32Array(n));
          k.backward(f[2], f[1], c0, whh, gy, gc, b[0], b[1], b[2], B, T, H);
          return [...f, ...b];
        };
        const want = outs(lstmKernels.js);
        const got = outs(native());
        const names = ['y', 'c', 'gates', 'dgates', 'dh0', 'dc0'];
        got.forEach((a, i) => {
          assertClose(a, want[i], 1e-5, `B${B} T${T} H${H} ${names[i]}`);
        });
      }
    });
  }
});

describe('lstm layer', () => {
  test('parameters are named and shaped as torch.nn.LSTM, initialised U(-1/sqrt(H), 1/sqrt(H))', () => {
    const m = new LSTM(options(8, { lstmHidden: 16 }));
    const shapes = Object.fromEntries(m.namedParameters().map(([n, p]) => [n, p.shape]));
    assert.deepEqual(shapes, {
      weight_ih_l0: [64, 8],
      weight_hh_l0: [64, 16],
      bias_ih_l0: [64],
      bias_hh_l0: [64],
      'o_proj.weight': [8, 16],
      'o_proj.bias': [8],
    });
    for (const p of [m.weight_ih_l0, m.weight_hh_l0, m.bias_ih_l0, m.bias_hh_l0]) {
      const most = p.data.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
      assert.ok(most <= 0.25 && most > 0.2, `largest |value| ${most} for bound 1/sqrt(16) = 0.25`);
    }
    assert.equal(new LSTM(options(8)).o_proj, null, 'hidden = dim needs no output projection');
  });

  test('the state has constant size and hook_h sees the hidden states', () => {
    const m = new LSTM(options(8, { lstmHidden: 4 }));
    const state = m.initState(2, 1000);
    const bytes = state.bytes();
    const cache = new Map<string, Tensor>();
    const hooks = new HookContext(new Map(), cache);
    noGrad(() => {
      m.forward(randn([2, 30, 8]), { hooks, state, pos: 0 });
      m.forward(randn([2, 1, 8]), { hooks, state, pos: 30 });
    });
    assert.equal(state.bytes(), bytes);
    assert.equal(bytes, 2 * 2 * 4 * 4);
    assert.deepEqual(cache.get('blocks.0.mixer.hook_h')!.shape, [2, 1, 4]);
    assert.deepEqual([...cache.get('blocks.0.mixer.hook_h')!.data], [...state.h.data]);
  });

  test('bad input names the problem', () => {
    assert.throws(() => new LSTM(options(8, { lstmHidden: 2.5 })), /lstm: setting lstmHidden/);
    const m = new LSTM(options(8));
    assert.throws(
      () => m.forward(randn([1, 3, 7]), { hooks: NO_HOOKS, state: null, pos: 0 }),
      /lstm: expected x/,
    );
    assert.throws(
      () => m.forward(randn([2, 3, 8]), { hooks: NO_HOOKS, state: m.initState(1, 8), pos: 0 }),
      /state holds 1 sequences, x has 2/,
    );
    assert.throws(
      () =>
        m.forward(randn([1, 3, 8]), { hooks: NO_HOOKS, state: { kind: 'kv-cache', bytes: () => 0 }, pos: 0 }),
      /expected an lstm state, got "kv-cache"/,
    );
    assert.throws(
      () => lstmScan(randn([1, 3, 8]), randn([8, 3]), zeros([1, 3]), zeros([1, 3])),
      /lstmScan: expected/,
    );
  });
});

test('an LSTM layer is a mixer of the model, with PyTorch parameter names', () => {
  const model = new LanguageModel(
    makeConfig({
      vocabSize: 12,
      blockSize: 16,
      nLayer: 2,
      nHead: 2,
      nEmbd: 16,
      mixer: 'lstm',
      mixerOptions: { lstmHidden: 24 },
    }),
  );
  assert.ok(model.namedParameters().some(([n]) => n === 'transformer.h.1.mixer.weight_hh_l0'));
});

modelSuite('lstm', {
  isState: (s) => s instanceof LSTMState,
  mixerOptions: { lstmHidden: 24 },
  tolerance: 1e-5,
});
