// The lens toolbox against answers known in advance, on attention, Mamba, DeltaNet and a hybrid.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { generateText } from '../../src/generate/index.js';
import {
  ActivationCache,
  attributionPatching,
  fitTunedLens,
  hookContext,
  lensKL,
  meanAblate,
  meanActivation,
  meanDifference,
  patch,
  replace,
  runWithCache,
  runWithHooks,
  steer,
  TunedLens,
  zeroAblate,
} from '../../src/lens/index.js';
import { logitLens } from '../../src/lens/logit-lens.js';
import { LanguageModel, makeConfig } from '../../src/model/index.js';
import { Generator, type IntTensor, mean, mul, noGrad, randn, sum, Tensor } from '../../src/tensor/index.js';
import { CharTokenizer } from '../../src/tokenizer/index.js';
import { assertClose } from '../helpers.js';
import { build, forward, ids, MODELS } from './models.js';

for (const [label, mixer] of MODELS) {
  describe(`lens on ${label}`, () => {
    const model = build(mixer);
    const x = ids(1);

    test('a cache of the residual stream leaves the logits bit-identical', () => {
      const names = [...model.hookPoints().keys()].filter((n) => /resid|_out|hook_embed|normalized/.test(n));
      const { logits } = runWithCache(model, x, { names });
      assert.deepEqual(logits.data, forward(model, x).data);
    });

    test("the logit lens's last layer is the model's own distribution", () => {
      const lens = logitLens(model, x, { k: 3, target: 5 });
      const L = lens.labels.length;
      assert.equal(L, model.config.nLayer + 1);
      const logits = forward(model, x);
      const T = x.shape[1];
      const V = logits.shape[2];
      const lastProbs = lens.probs.data.subarray((L - 1) * T * V);
      const expect = Array.from({ length: T * V }, (_, i) => {
        const row = logits.data.subarray(Math.floor(i / V) * V, Math.floor(i / V) * V + V);
        const m = Math.max(...row);
        const z = row.reduce((a, v) => a + Math.exp(v - m), 0);
        return Math.exp(row[i % V] - m) / z;
      });
      assertClose(lastProbs, Float32Array.from(expect), 1e-5, 'final layer');
      const final = lens.entries.filter((e) => e.layer === 'final_post');
      assert.equal(final.length, T);
      for (const e of final) assert.ok(e.target && e.target.rank >= 0 && e.top.length === 3);
    });

    test('the decomposed residual stream sums to the final one, and the logit attributions to the logit difference', () => {
      const { logits, cache } = runWithCache(model, x);
      const parts = cache.decomposeResid();
      const n = model.config.nLayer;
      assertClose(sum(parts.stack, 0).data, cache.get(`blocks.${n - 1}.hook_resid_post`).data, 1e-5, 'sum');
      const attrs = cache.logitAttrs(parts, [3, 7]);
      const total = sum(attrs, 0).data.map((v) => v + cache.lnBiasAttr([3, 7]));
      const V = logits.shape[2];
      const diff = Float32Array.from(total, (_, i) => logits.data[i * V + 3] - logits.data[i * V + 7]);
      assertClose(total, diff, 1e-4, 'logit difference');
    });

    test('patching a clean run into itself changes nothing; patching another run in moves the output there', () => {
      // (Caching only the residual stream keeps attention on its fused kernel, as the plain forward.)
      const point = 'blocks.0.hook_resid_post';
      const clean = runWithCache(model, x, { names: [point] });
      const same = runWithHooks(model, x, [patch(point, clean.cache.get(point))]);
      assert.deepEqual(same.data, forward(model, x).data);
      const other = ids(9);
      const source = runWithCache(model, other);
      // Every position of the residual stream after the last block patched: the output is the other run's.
      const last = `blocks.${model.config.nLayer - 1}.hook_resid_post`;
      const moved = runWithHooks(model, x, [patch(last, source.cache.get(last))]);
      assertClose(moved.data, source.logits.data, 1e-6, 'patched output');
    });

    test('steering by v and then by -v is the baseline; projecting v out leaves no component along it', () => {
      const point = 'blocks.0.hook_resid_mid';
      const v = new Tensor(
        Float32Array.from({ length: 16 }, (_, i) => Math.sin(i + 1)),
        [16],
      );
      const both = runWithHooks(model, x, [steer(point, v, { scale: 3 }), steer(point, v, { scale: -3 })]);
      assertClose(both.data, forward(model, x).data, 1e-5, 'v then -v');
      const moved = runWithHooks(model, x, [steer(point, v, { scale: 3 })]);
      assert.ok(Math.max(...moved.data.map((m, i) => Math.abs(m - both.data[i]))) > 1e-3, 'steering moves');
      const cache = new Map<string, Tensor>();
      noGrad(() => model.forward(x, { hooks: hookContext([steer(point, v, { mode: 'project' })], cache) }));
      const after = cache.get(point) as Tensor;
      for (let row = 0; row < after.data.length; row += 16) {
        let dot = 0;
        for (let j = 0; j < 16; j++) dot += after.data[row + j] * v.data[j];
        assert.ok(Math.abs(dot) < 1e-4, `component ${dot} left at row ${row / 16}`);
      }
    });

    test("mean-ablating a neuron over the reference set keeps that set's mean MLP output", () => {
      const reference = [ids(4), ids(5)];
      const point = 'blocks.0.mlp.hook_post';
      const meanPost = meanActivation(model, point, reference);
      const mlpOut = (hooks: Parameters<typeof runWithHooks>[2]) => {
        const outs = reference.map((r) => {
          const cache = new Map<string, Tensor>();
          noGrad(() => model.forward(r, { hooks: hookContext(hooks, cache) }));
          return mean(cache.get('blocks.0.hook_mlp_out') as Tensor, [0, 1]).data;
        });
        return outs[0].map((v, i) => (v + outs[1][i]) / 2);
      };
      const ablated = mlpOut([meanAblate(point, meanPost, { neurons: [2, 7] })]);
      assertClose(ablated, mlpOut([]), 1e-5, 'mean output');
      const zeroed = mlpOut([zeroAblate(point, { neurons: [2, 7] })]);
      assert.ok(Math.max(...zeroed.map((v, i) => Math.abs(v - ablated[i]))) > 1e-6, 'zero ablation differs');
    });

    test('a difference of means points from one prompt set to the other', () => {
      const point = 'blocks.0.hook_resid_post';
      const a = [ids(11, 1), ids(12, 1)];
      const b = [ids(13, 1)];
      const d = meanDifference(model, point, a, b);
      const last = (r: IntTensor) => {
        const t = runWithCache(model, r, { names: [point] }).cache.get(point);
        return t.data.subarray(t.data.length - 16);
      };
      const expect = last(a[0]).map((v, j) => (v + last(a[1])[j]) / 2 - last(b[0])[j]);
      assertClose(d.data, expect, 1e-6, 'direction');
    });
  });
}

describe('hooks at sites', () => {
  const model = build('attention');
  const x = ids(2, 1, 5);

  test('positions, heads and neurons select exactly those elements, and bad ones are refused', () => {
    const cache = new Map<string, Tensor>();
    const hooks = [
      replace('blocks.0.attn.hook_v', 0, { positions: [1, 3], heads: [1] }),
      replace('blocks.1.mlp.hook_post', 0, { neurons: [4] }),
    ];
    noGrad(() => model.forward(x, { hooks: hookContext(hooks, cache) }));
    const v = cache.get('blocks.0.attn.hook_v') as Tensor; // [1, 5, 2, 8]
    for (let i = 0; i < v.data.length; i++) {
      const [p, h] = [Math.floor(i / 16) % 5, Math.floor(i / 8) % 2];
      assert.equal(v.data[i] === 0, (p === 1 || p === 3) && h === 1, `element ${i}`);
    }
    const post = cache.get('blocks.1.mlp.hook_post') as Tensor;
    for (let i = 0; i < post.data.length; i++) assert.equal(post.data[i] === 0, i % post.shape[2] === 4);
    assert.throws(
      () => runWithHooks(model, x, [replace('blocks.0.attn.hook_v', 0, { heads: [2] })]),
      /head 2 is out of range/,
    );
    assert.throws(
      () => runWithHooks(model, x, [replace('blocks.0.hook_resid_pre', 0, { heads: [0] })]),
      /heads need a per-head activation/,
    );
    assert.throws(
      () => runWithHooks(model, x, [replace('blocks.9.hook_resid_pre', 0)]),
      /does not exist in this model/,
    );
  });

  test('hooks run at every step of generation, and steering changes what is generated', async () => {
    const tokenizer = CharTokenizer.fromText('abcdefghijklmnopqrstuvw');
    const m = new LanguageModel(
      makeConfig({
        vocabSize: tokenizer.vocabSize,
        blockSize: 32,
        nLayer: 2,
        nHead: 2,
        nEmbd: 16,
        mixer: 'mamba',
      }),
      { seed: 5 },
    );
    let calls = 0;
    const counting = hookContext([{ name: 'blocks.1.hook_resid_post', fn: () => void calls++ }]);
    const plain = await generateText(m, tokenizer, 'abc', { maxTokens: 6, temperature: 0 });
    const read = await generateText(m, tokenizer, 'abc', { maxTokens: 6, temperature: 0, hooks: counting });
    assert.equal(read, plain, 'a read-only hook changes nothing');
    assert.equal(calls, 6, 'the prompt once, then each of the 5 fed-back tokens');
    const v = new Tensor(
      Float32Array.from({ length: 16 }, (_, i) => (i % 2 ? 40 : -40)),
      [16],
    );
    const steered = await generateText(m, tokenizer, 'abc', {
      maxTokens: 6,
      temperature: 0,
      hooks: hookContext([steer('blocks.1.hook_resid_post', v)]),
    });
    assert.notEqual(steered, plain);
  });
});

describe('attribution patching', () => {
  test('agrees with real patching, site by site, when the corrupted run is near the clean one', () => {
    for (const mixer of ['attention', 'mamba'] as const) {
      const model = build(mixer);
      const x = ids(21, 1, 6);
      const metric = (logits: Tensor) => {
        const V = logits.shape[2];
        const last = logits.data.length - V;
        return { value: logits.data[last + 3] - logits.data[last + 8], at: [last + 3, last + 8] };
      };
      const clean = runWithCache(model, x, { grads: true });
      const { at } = metric(clean.logits);
      const pick = new Float32Array(clean.logits.data.length);
      pick[at[0]] = 1;
      pick[at[1]] = -1;
      sum(mul(clean.logits, new Tensor(pick, [...clean.logits.shape]))).backward();
      // The corrupted run: small noise on the embeddings (ROME's corruption, scaled down).
      const g = new Generator(7);
      const noise = randn([1, 6, 16], { generator: g }).data.map((v) => v * 3e-4);
      const acts = new Map<string, Tensor>();
      const noisy = hookContext(
        [
          {
            name: 'hook_embed',
            fn: (t) =>
              new Tensor(
                t.data.map((v, i) => v + noise[i]),
                [...t.shape],
              ),
          },
        ],
        acts,
      );
      noGrad(() => model.forward(x, { hooks: noisy }));
      const corrupt = new ActivationCache(model, acts);
      const names = ['blocks.0.hook_resid_post', 'blocks.1.hook_resid_pre', 'blocks.1.hook_mlp_out'];
      const est = attributionPatching(clean.cache, corrupt, names);
      const base = metric(forward(model, x)).value;
      for (const name of names) {
        for (let p = 0; p < 6; p++) {
          const patched = metric(
            runWithHooks(model, x, [patch(name, corrupt.get(name), { positions: [p] })]),
          ).value;
          const real = patched - base;
          const approx = (est.get(name) as Tensor).data[p];
          assert.ok(
            Math.abs(real - approx) <= 0.1 * Math.abs(real) + 2e-7,
            `${mixer} ${name} @${p}: real ${real}, estimate ${approx}`,
          );
        }
      }
    }
  });
});

describe('tuned lens', () => {
  test("starts as the logit lens, fitting lowers every layer's KL to the final distribution, and it round-trips", () => {
    for (const mixer of ['attention', 'mamba'] as const) {
      // Weights x10: an untrained model with sharp distributions, so that the layers disagree by nats.
      const model = build(mixer);
      for (const p of model.parameters()) p.data.set(p.data.map((v) => v * 10));
      const batches = [ids(31, 4, 12), ids(32, 4, 12)];
      const fresh = new TunedLens(16, model.config.nLayer);
      const before = lensKL(model, batches[0], fresh);
      assert.deepEqual(before.tuned, before.logit, 'identity translators are the logit lens');
      assert.equal(before.logit.at(-1), 0);
      const lens = fitTunedLens(model, batches, { steps: 40, lr: 1e-2 });
      const after = lensKL(model, batches[0], lens);
      for (let l = 0; l < model.config.nLayer; l++) {
        assert.ok(
          (after.tuned as number[])[l] < 0.5 * after.logit[l] && after.logit[l] > 1,
          `${mixer} layer ${l}: tuned ${(after.tuned as number[])[l]} vs logit ${after.logit[l]}`,
        );
      }
      const path = join(mkdtempSync(join(tmpdir(), 'jielong-tuned-')), 'tuned-lens.safetensors');
      lens.save(path);
      assert.deepEqual(lensKL(model, batches[0], TunedLens.load(path, model)).tuned, after.tuned);
    }
  });
});
