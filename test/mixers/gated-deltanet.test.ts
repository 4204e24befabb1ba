// Gated DeltaNet: the conformance suite, parameters and inits as fla's layer, the decay, hooks and errors.
// (The delta-rule ops: ops/delta.test.ts.)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HookContext } from '../../src/nn/index.js';
import { Generator, randn, type Tensor } from '../../src/tensor/index.js';
import { mixerConformance } from './conformance.js';
import { ctx, deltaLayer, layerSuite } from './delta-shared.js';

mixerConformance('gated-deltanet');
layerSuite('gated-deltanet');

describe('gated-deltanet: parameters and their reference inits', () => {
  test('names and shapes follow fla (value heads 2x key heads, a_proj, A_log, dt_bias, g_proj)', () => {
    const layer = deltaLayer('gated-deltanet', 16);
    const shapes = Object.fromEntries(layer.namedParameters().map(([n, p]) => [n, p.shape]));
    assert.deepEqual(shapes, {
      'q_proj.weight': [16, 16],
      'k_proj.weight': [16, 16],
      'v_proj.weight': [32, 16],
      'b_proj.weight': [2, 16],
      'q_conv1d.weight': [16, 1, 4],
      'k_conv1d.weight': [16, 1, 4],
      'v_conv1d.weight': [32, 1, 4],
      'o_proj.weight': [16, 32],
      'a_proj.weight': [2, 16],
      A_log: [2],
      dt_bias: [2],
      'g_proj.weight': [32, 16],
      'o_norm.weight': [16],
    });
    const custom = deltaLayer('gated-deltanet', 16, { headDim: 6, expandV: 1.5 }).initState(1, 1);
    assert.deepEqual([custom.headK, custom.headV], [6, 9]);
    assert.throws(
      () => deltaLayer('gated-deltanet', 16, { headDim: 5, expandV: 1.5 }),
      /expandV 1.5 times head dim 5/,
    );
    assert.throws(() => deltaLayer('gated-deltanet', 15), /width 15 is not divisible by 2 heads/);
    assert.equal(deltaLayer('gated-deltanet', 15, { headDim: 4 }).initState(1, 1).headK, 4);
  });

  test('A = exp(A_log) in (0, 16]; softplus(dt_bias) log-uniform in [1e-3, 1e-1]', () => {
    const layer = deltaLayer('gated-deltanet', 64, { headDim: 4 }, 0, 64);
    const A = Array.from(layer.A_log.data, Math.exp);
    assert.ok(A.every((a) => a > 0 && a <= 16 * (1 + 1e-6)));
    assert.ok(Math.abs(A.reduce((s, a) => s + a) / A.length - 8) < 2, 'A ~ U(0, 16) has mean 8');
    const dts = Array.from(layer.dt_bias.data, (b) => Math.log1p(Math.exp(b)));
    assert.ok(
      dts.every((dt) => dt >= 1e-3 * 0.999 && dt <= 0.1 * 1.001),
      'dt outside [dt_min, dt_max]',
    );
    const below = dts.filter((dt) => dt < 0.01).length / dts.length;
    assert.ok(below > 0.3 && below < 0.7, `fraction below the geometric mean 0.01 is ${below}`);
  });

  test('the decay is g = -exp(A_log) softplus(a_proj x + dt_bias), so alpha = exp(g) is in (0, 1)', () => {
    const layer = deltaLayer('gated-deltanet', 16);
    const x = randn([1, 3, 16], { generator: new Generator(5) });
    const cache = new Map<string, Tensor>();
    layer.forward(x, ctx(null, new HookContext(new Map(), cache)));
    const g = cache.get('blocks.0.mixer.hook_g')!.data;
    const a = layer.a_proj.forward(x).data;
    g.forEach((gi, i) => {
      const h = i % 2;
      const expected = -Math.exp(layer.A_log.data[h]) * Math.log1p(Math.exp(a[i] + layer.dt_bias.data[h]));
      assert.ok(
        Math.abs(gi - expected) < 1e-5 * Math.max(1, Math.abs(expected)),
        `g[${i}] ${gi} vs ${expected}`,
      );
      assert.ok(gi < 0);
    });
  });
});
