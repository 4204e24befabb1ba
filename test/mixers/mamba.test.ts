// The Mamba mixer: the conformance suite, reference inits, errors, the PyTorch layer's output on fixed
// weights, and hooks. (The selective scan op: ops/mamba.test.ts.)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createMixer, type MixerSettings, type MixerState } from '../../src/mixers/index.js';
import { HookContext, NO_HOOKS } from '../../src/nn/index.js';
import {
  fromArray,
  Generator,
  linear,
  noGrad,
  randn,
  slice,
  split,
  type Tensor,
} from '../../src/tensor/index.js';
import { assertClose, backends, withBackend } from '../helpers.js';
import { mixerConformance } from './conformance.js';

mixerConformance('mamba', { settings: { dState: 4 } });

function mamba(dim: number, settings: MixerSettings<'mamba'> = {}, seed = 0, bias = true) {
  const layer = { dim, name: 'blocks.0.mixer', heads: 2, bias, std: 0.2, projStd: 0.1, rotary: null };
  return createMixer('mamba', { ...layer, generator: new Generator(seed) }, settings);
}

const ctx = (state: MixerState | null = null, pos = 0, hooks = NO_HOOKS) => ({ hooks, state, pos });

describe('mamba: parameters and their reference inits', () => {
  test('names, shapes and defaults (expand 2, d_state 16, d_conv 4, dt_rank ceil(dim / 16))', () => {
    const layer = mamba(40);
    const shapes = Object.fromEntries(layer.namedParameters().map(([n, p]) => [n, p.shape]));
    assert.deepEqual(shapes, {
      'in_proj.weight': [160, 40],
      'in_proj.bias': [160],
      'conv1d.weight': [80, 1, 4],
      'conv1d.bias': [80],
      'x_proj.weight': [3 + 32, 80],
      'dt_proj.weight': [80, 3],
      'dt_proj.bias': [80],
      A_log: [80, 16],
      D: [80],
      'out_proj.weight': [40, 80],
      'out_proj.bias': [40],
    });
    const small = mamba(8, { expand: 1.5, dState: 3, convSize: 2, dtRank: 5 });
    assert.deepEqual([small.dInner, small.dState, small.dConv, small.dtRank], [12, 3, 2, 5]);
  });

  test('A = -(1..d_state) per channel, D = 1, softplus(dt bias) log-uniform in [0.001, 0.1]', () => {
    const layer = mamba(64);
    for (let c = 0; c < layer.dInner; c++) {
      for (let n = 0; n < layer.dState; n++) {
        assert.ok(Math.abs(Math.exp(layer.A_log.data[c * layer.dState + n]) - (n + 1)) < 1e-5);
      }
    }
    assert.ok(layer.D.data.every((d) => d === 1));
    const dts = Array.from(layer.dt_proj.bias?.data ?? [], (b) => Math.log1p(Math.exp(b)));
    assert.ok(
      dts.every((dt) => dt >= 0.001 * 0.999 && dt <= 0.1 * 1.001),
      'dt outside [dt_min, dt_max]',
    );
    // Log-uniform: about half the channels below the geometric mean 0.01.
    const below = dts.filter((dt) => dt < 0.01).length / dts.length;
    assert.ok(below > 0.35 && below < 0.65, `fraction below 0.01 is ${below}`);
    const bound = 1 / Math.sqrt(layer.dtRank);
    assert.ok(layer.dt_proj.weight.data.every((w) => Math.abs(w) <= bound));
    assert.ok(layer.conv1d.weight.data.every((w) => Math.abs(w) <= 0.5));
  });

  test('bad settings and inputs are named', () => {
    assert.throws(() => mamba(8, { dState: 0 }), /mamba: setting dState must be a positive integer/);
    assert.throws(() => mamba(8, { convSize: 2.5 }), /mamba: setting convSize must be a positive integer/);
    assert.throws(() => mamba(8, { chunkSize: 0 }), /mamba: setting chunkSize must be a positive integer/);
    assert.throws(() => mamba(8, { expand: -1 }), /mamba: setting expand must be a positive number/);
    assert.throws(() => mamba(8, { expand: 0.1 }), /setting expand must make expand \* dim >= 1/);
    const layer = mamba(8, { dState: 4 });
    assert.throws(() => layer.forward(randn([1, 3, 7]), ctx()), /mamba: expected x \[batch, seq, 8\]/);
    assert.throws(
      () => layer.forward(randn([2, 3, 8]), ctx(mamba(8, { dState: 5 }).initState(2, 10))),
      /mamba: the state is for d_inner 16, d_state 5, d_conv 4; this layer has 16, 4, 4/,
    );
  });
});

// Output of bench/torch/mixers/mamba.py (PyTorch 2.13, float32) with parameter p (in the order below) set to
// 0.5 sin(1.3 i + 0.7 p) element-wise and x = cos(0.37 i), dim 4, d_state 2, batch 2, seq 6.
const TORCH_OUT = [
  0.002741279, -0.01430883, 0.01331278, -0.0006276872, -0.03614469, -0.002047667, 0.03844211, -0.04108316,
  0.01151248, 0.004754227, -0.01684657, 0.0141471, 0.04470041, 0.03891797, -0.08836515, 0.06022495,
  0.01677847, -0.01297197, -0.00222432, 0.01546759, -0.02179395, -0.001748509, 0.02375573, -0.02490467,
  -0.01220674, 0.00371959, 0.00803348, -0.0127329, 0.04032658, 0.02681023, -0.07040681, 0.052184, 0.01931047,
  0.000632925, -0.02002059, 0.02182954, -0.00982309, -0.01172239, 0.02297525, -0.01405511, -0.02967624,
  0.005865507, 0.02309533, -0.03177774, 0.04937785, 0.01886519, -0.07054399, 0.06028295,
];

describe('mamba: same output as the PyTorch layer', () => {
  test("with the same weights (loaded by name: the names and layouts are PyTorch's)", () => {
    const layer = mamba(4, { dState: 2 }, 0, false);
    const params = new Map(layer.namedParameters());
    const order = [
      'in_proj.weight',
      'conv1d.weight',
      'conv1d.bias',
      'x_proj.weight',
      'dt_proj.weight',
      'dt_proj.bias',
      'A_log',
      'D',
      'out_proj.weight',
    ];
    assert.deepEqual([...params.keys()].sort(), [...order].sort());
    order.forEach((name, p) => {
      const data = params.get(name)?.data as Float32Array;
      for (let i = 0; i < data.length; i++) data[i] = 0.5 * Math.sin(1.3 * i + 0.7 * p);
    });
    const x = fromArray(
      Float32Array.from({ length: 48 }, (_, i) => Math.cos(0.37 * i)),
      [2, 6, 4],
    );
    for (const backend of backends()) {
      withBackend(backend, () => {
        assertClose(layer.forward(x, ctx()).data, TORCH_OUT, 1e-5, `${backend} output`);
      });
    }
  });
});

describe('mamba: hooks', () => {
  test('every hook point sees its activation, and the hooked path (delta unfused) equals the fused one', () => {
    const layer = mamba(8, { dState: 4 });
    const x = randn([2, 9, 8], { generator: new Generator(2), requiresGrad: true });
    const plain = layer.forward(x, ctx());
    const cache = new Map<string, Tensor>();
    const hooked = layer.forward(x, ctx(null, 0, new HookContext(new Map(), cache)));
    assertClose(hooked.data, plain.data, 1e-5, 'hooked output');
    const shapes = Object.fromEntries([...cache].map(([n, t]) => [n, t.shape]));
    assert.deepEqual(shapes, {
      'blocks.0.mixer.hook_conv': [2, 9, 16],
      'blocks.0.mixer.hook_delta': [2, 9, 16],
      'blocks.0.mixer.hook_B': [2, 9, 4],
      'blocks.0.mixer.hook_C': [2, 9, 4],
      'blocks.0.mixer.hook_y': [2, 9, 16],
    });
    // delta is softplus(dt_proj(dt)): positive; and zeroing C silences the SSM part of y.
    assert.ok(cache.get('blocks.0.mixer.hook_delta')?.data.every((d) => d > 0));
    const zeroC = new HookContext(
      new Map([['blocks.0.mixer.hook_C', [(t: Tensor) => t.withData(new Float32Array(t.numel()))]]]),
    );
    const ablated = layer.forward(x, ctx(null, 0, zeroC));
    assert.ok(ablated.data.some((v, i) => Math.abs(v - plain.data[i]) > 1e-4));
    // Gradients flow through the unfused delta too.
    hooked.backward(randn(hooked.shape, { generator: new Generator(3) }));
    assert.ok(layer.dt_proj.bias?.grad?.data.some((v) => v !== 0));
  });
});

describe('mamba: the generation state', () => {
  test('holds the SSM state and the last d_conv - 1 inputs of the conv (zeros before the first token)', () =>
    noGrad(() => {
      const layer = mamba(8, { dState: 4 });
      const keep = layer.dConv - 1;
      for (const seq of [2, 9]) {
        const x = randn([2, seq, 8], { generator: new Generator(seq) });
        const state = layer.initState(2, seq);
        layer.forward(x, ctx(state));
        const inputs = split(linear(x, layer.in_proj.weight, layer.in_proj.bias), layer.dInner, 2)[0];
        const expected = new Float32Array(2 * keep * layer.dInner);
        const last = slice(inputs, 1, Math.max(0, seq - keep), seq);
        const rows = last.shape[1];
        for (let b = 0; b < 2; b++)
          expected.set(
            last.data.subarray(b * rows * layer.dInner, (b + 1) * rows * layer.dInner),
            (b * keep + keep - rows) * layer.dInner,
          );
        assertClose(state.conv, expected, 1e-6, `seq ${seq}: conv window`);
        assert.equal(state.bytes(), 4 * 2 * layer.dInner * (layer.dState + keep));
      }
    }));
});
