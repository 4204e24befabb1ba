// Ablation sweeps, resample ablation, and steering directions, against answers known in advance.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { generateText } from '../../src/generate/index.js';
import {
  ablationHooks,
  ablationSweep,
  firstComponent,
  hookContext,
  inContextHooks,
  inContextVector,
  listComponents,
  logitDiffMetric,
  lossMetric,
  meanDifference,
  pairedPrincipalComponent,
  resampleAblate,
  runWithCache,
  runWithHooks,
  steer,
} from '../../src/lens/index.js';
import type { CausalSelfAttention } from '../../src/mixers/index.js';
import { IntTensor, noGrad, sum, Tensor } from '../../src/tensor/index.js';
import { CharTokenizer } from '../../src/tokenizer/index.js';
import { assertClose } from '../helpers.js';
import { build, forward, ids, MODELS, WIDTH } from './models.js';

for (const [label, mixer] of MODELS) {
  describe(`ablation and steering on ${label}`, () => {
    const model = build(mixer);
    const x = ids(1);
    const n = model.config.nLayer;

    test('zero-ablating a whole layer makes its residual output equal its input', () => {
      const hooks = ablationHooks(model, { kind: 'layer', layer: 1 }, 'zero');
      const acts = new Map<string, Tensor>();
      noGrad(() => model.forward(x, { hooks: hookContext(hooks, acts) }));
      assertClose(
        (acts.get('blocks.1.hook_resid_post') as Tensor).data,
        (acts.get('blocks.1.hook_resid_pre') as Tensor).data,
        0,
        'resid_post = resid_pre',
      );
    });

    test('resampling from a pool holding only the input itself changes nothing', () => {
      const one = ids(2, 1);
      const point = 'blocks.0.hook_attn_out';
      const pool = runWithCache(model, one, { names: [point] }).cache.get(point);
      const out = runWithHooks(model, one, [resampleAblate(point, pool, { seed: 5 })]);
      assert.deepEqual(out.data, forward(model, one).data);
      const other = ablationHooks(model, { kind: 'mixer', layer: 0 }, 'resample', {
        ids: [ids(3, 1)],
        seed: 1,
      });
      assert.notDeepEqual(runWithHooks(model, one, other).data, out.data);
    });

    test('the loss metric is the model loss, and a sweep ranks every component by the size of its effect', () => {
      const targets = new IntTensor(
        Int32Array.from(x.data, (_, i) => x.data[i + 1] ?? 0),
        x.shape,
      );
      const loss = noGrad(() => {
        // The metric scores positions 0..T-2 against the next token: the same as model.loss without the last.
        const T = x.shape[1];
        const masked = Int32Array.from(targets.data, (v, i) => (i % T === T - 1 ? -100 : v));
        return model.loss(x, new IntTensor(masked, x.shape)).item();
      });
      assertClose([lossMetric(x)(forward(model, x))], [loss], 1e-5, 'loss');
      const components = listComponents(model, ['layer', 'mixer', 'head', 'mlp']);
      // Every mixer here but Mamba has a per-head output.
      const kinds = Array.isArray(mixer) ? mixer : Array(n).fill(mixer);
      const headLayers = kinds.filter((k) => k !== 'mamba').length;
      assert.equal(components.length, 3 * n + headLayers * model.config.nHead);
      const sweep = ablationSweep(model, x, {
        components,
        method: 'mean',
        metric: lossMetric(x),
        reference: { ids: [ids(7), ids(8)] },
      });
      assert.equal(sweep.rows.length, components.length);
      for (let i = 1; i < sweep.rows.length; i++) {
        assert.ok(Math.abs(sweep.rows[i - 1].effect) >= Math.abs(sweep.rows[i].effect));
      }
      for (const r of sweep.rows) assertClose([r.effect], [r.metric - sweep.baseline], 1e-9, r.label);
    });

    test('a logit difference metric reads the last position', () => {
      const logits = forward(model, x);
      const [B, T, V] = logits.shape;
      const expect =
        [0, 1].reduce(
          (a, b) => a + logits.data[(b * T + T - 1) * V + 3] - logits.data[(b * T + T - 1) * V + 5],
          0,
        ) / B;
      assertClose([logitDiffMetric(3, 5)(logits)], [expect], 1e-6, 'logit diff');
    });

    test("one demonstration's in-context vector is its own output minus input; adding and subtracting it cancels", () => {
      const demo = { input: ids(20, 1, 5), output: ids(21, 1, 6) };
      const icv = inContextVector(model, [demo], [0]);
      const point = 'blocks.0.hook_resid_post';
      const lastOf = (s: IntTensor) => {
        const t = runWithCache(model, s, { names: [point] }).cache.get(point);
        return t.data.subarray(t.data.length - WIDTH);
      };
      const expect = lastOf(demo.output).map((v, j) => v - lastOf(demo.input)[j]);
      assertClose(icv.get(0)!.data, expect, 1e-5, 'icv');
      const both = runWithHooks(model, x, [...inContextHooks(icv, 2), ...inContextHooks(icv, -2)]);
      assertClose(both.data, forward(model, x).data, 1e-5, 'add then subtract');
    });

    test('paired differences that all point one way give that way as their first component', () => {
      const point = 'blocks.0.hook_resid_post';
      const pos = [ids(30, 1), ids(31, 1)];
      const neg = [ids(32, 1), ids(33, 1)];
      const pc = pairedPrincipalComponent(model, point, pos, neg);
      const md = meanDifference(model, point, pos, neg);
      const dot = pc.data.reduce((a, v, j) => a + v * md.data[j], 0);
      assert.ok(dot > 0, 'signed like the mean difference');
      assertClose([Math.hypot(...pc.data)], [1], 1e-5, 'unit');
    });
  });
}

describe('firstComponent', () => {
  test('rows along one direction give that direction, whatever their lengths and signs', () => {
    const u = Float64Array.from([3, -4, 0, 12]).map((v) => v / 13);
    const rows = [2, -1, 0.5, 3].map((s) => u.map((v) => v * s));
    assertClose(firstComponent(rows), u, 1e-9, 'direction');
  });

  test('the direction of the largest spread wins', () => {
    const rows = [
      [5, 0.1],
      [-5, 0.2],
      [4, -0.1],
      [1, 0.3],
    ].map((r) => Float64Array.from(r));
    const v = firstComponent(rows);
    assert.ok(Math.abs(v[0]) > 0.99, `${v}`);
  });
});

describe('steering while generating is steering the whole sequence', () => {
  for (const [label, mixer] of MODELS) {
    test(`${label}: each greedy token under a steering hook is the argmax of the steered full forward`, async () => {
      const model = build(mixer);
      const tokenizer = CharTokenizer.fromText('abcdefghijklmnopqrstuvwx');
      const v = new Tensor(
        Float32Array.from({ length: WIDTH }, (_, i) => Math.cos(i) * 2),
        [WIDTH],
      );
      const hooks = () => [steer('blocks.0.hook_resid_post', v, { scale: 3 })];
      const text = await generateText(model, tokenizer, 'abc', {
        maxTokens: 8,
        temperature: 0,
        hooks: hookContext(hooks()),
      });
      const ids = tokenizer.encode(`abc${text}`);
      const logits = runWithHooks(model, new IntTensor(Int32Array.from(ids), [1, ids.length]), hooks());
      const V = logits.shape[2];
      for (let t = 3; t < ids.length; t++) {
        const row = logits.data.subarray((t - 1) * V, t * V);
        assert.equal(ids[t], row.indexOf(Math.max(...row)), `token ${t}`);
      }
    });
  }
});

describe('per-head results', () => {
  for (const [label, mixer, layer] of [
    ['attention', 'attention', 1],
    ['hybrid', ['mamba', 'attention', 'gated-deltanet'], 1],
  ] as const) {
    test(`${label}: the heads plus the output bias sum to the attention output`, () => {
      const model = build(mixer as never);
      const { cache } = runWithCache(model, ids(1));
      const heads = cache.stackHeadResults(layer);
      assert.deepEqual(heads.labels, [`L${layer}H0`, `L${layer}H1`]);
      const bias = (model.transformer.h[layer].attn as CausalSelfAttention).c_proj.bias!.data;
      const summed = sum(heads.stack, 0).data.map((v, i) => v + bias[i % WIDTH]);
      assertClose(summed, cache.get(`blocks.${layer}.hook_attn_out`).data, 1e-5, 'sum of heads');
    });
  }
  test('a block without attention has no heads to stack', () => {
    const { cache } = runWithCache(build('mamba'), ids(1));
    assert.throws(() => cache.stackHeadResults(0), /block 0 has no attention heads/);
  });
});
