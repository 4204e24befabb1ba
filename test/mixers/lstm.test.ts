// The LSTM mixer: the conformance suite, parameters named and initialised as torch.nn.LSTM, a sequence
// without a state starting from zeros, its hook point, errors, and its place in a model. (The recurrence
// op: ops/lstm.test.ts.)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createMixer, type MixerSettings } from '../../src/mixers/index.js';
import { naiveLstmScan } from '../../src/mixers/ops/lstm/naive.js';
import { LanguageModel, makeConfig } from '../../src/model/index.js';
import { HookContext, NO_HOOKS } from '../../src/nn/index.js';
import { add, Generator, linear, noGrad, randn, type Tensor, zeros } from '../../src/tensor/index.js';
import { assertClose } from '../helpers.js';
import { mixerConformance } from './conformance.js';

mixerConformance('lstm', { settings: { lstmHidden: 12 }, tolerance: 1e-5 });

const lstm = (dim: number, settings: MixerSettings<'lstm'> = {}, seed = 1) =>
  createMixer(
    'lstm',
    {
      dim,
      name: 'blocks.0.mixer',
      heads: 1,
      bias: true,
      std: 0.02,
      projStd: 0.02,
      rotary: null,
      generator: new Generator(seed),
    },
    settings,
  );

describe('lstm layer', () => {
  test('parameters are named and shaped as torch.nn.LSTM, initialised U(-1/sqrt(H), 1/sqrt(H))', () => {
    const m = lstm(8, { lstmHidden: 16 });
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
    assert.equal(lstm(8).o_proj, null, 'hidden = dim needs no output projection');
  });

  test('without a state the sequence starts from zeros', () => {
    const m = lstm(8, { lstmHidden: 12 });
    const x = randn([3, 40, 8], { generator: new Generator(5) });
    const gx = linear(x, m.weight_ih_l0, add(m.bias_ih_l0, m.bias_hh_l0));
    const h = naiveLstmScan(gx, m.weight_hh_l0, zeros([3, 12]), zeros([3, 12])).output;
    const want = m.o_proj!.forward(h);
    assertClose(m.forward(x, { hooks: NO_HOOKS, state: null, pos: 0 }).data, want.data, 1e-5, 'output');
  });

  test('the state has constant size and hook_h sees the hidden states', () => {
    const m = lstm(8, { lstmHidden: 4 });
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
    assert.deepEqual([...cache.get('blocks.0.mixer.hook_h')!.data], [...state.h]);
  });

  test('bad input names the problem', () => {
    assert.throws(() => lstm(8, { lstmHidden: 2.5 }), /lstm: setting lstmHidden must be a positive integer/);
    const m = lstm(8);
    assert.throws(
      () => m.forward(randn([1, 3, 7]), { hooks: NO_HOOKS, state: null, pos: 0 }),
      /lstm: expected x/,
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
      mixerOptions: { lstm: { lstmHidden: 24 } },
    }),
  );
  assert.ok(model.namedParameters().some(([n]) => n === 'transformer.h.1.mixer.weight_hh_l0'));
});
