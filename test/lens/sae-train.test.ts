// Training SAEs, checked against answers known in advance: activations made of a known sparse
// dictionary, whose features a trained SAE must find; the metrics' formulas on an SAE that reconstructs
// exactly (all scores 1) and on one that outputs nothing (0); and a real model's hook point, where an
// SAE trained briefly must already keep most of what the model needs.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { generateCorpus, generateWorld, RELATIONS } from '../../src/data/index.js';
import {
  ActivationBuffer,
  type ActivationSource,
  bestFeature,
  evaluateSae,
  featurePagesHtml,
  featureReports,
  groundTruth,
  relationWords,
  runWithCache,
  SaeTrainer,
  SparseAutoencoder,
  trainSae,
} from '../../src/lens/index.js';
import { jumpRelu, stepCount } from '../../src/lens/sae/jumprelu.js';
import { Generator, IntTensor, noGrad, sum, Tensor } from '../../src/tensor/index.js';
import { loadCheckpoint } from '../../src/train/index.js';
import { assertClose } from '../helpers.js';

/** x = a sum of two of 12 random unit features in 8 dimensions, with positive weights. */
function sparseDictionary(g: Generator): { source: ActivationSource; features: Float32Array[] } {
  const dIn = 8;
  const features = Array.from({ length: 12 }, () => {
    const v = Float32Array.from({ length: dIn }, () => g.normal());
    const n = Math.hypot(...v);
    return v.map((x) => x / n);
  });
  const source: ActivationSource = {
    hook: 'synthetic',
    dIn,
    take: (batch) => {
      const out = new Float32Array(batch * dIn);
      for (let r = 0; r < batch; r++)
        for (let j = 0; j < 2; j++) {
          const f = features[g.randint(features.length)];
          const w = 0.5 + g.random();
          for (let d = 0; d < dIn; d++) out[r * dIn + d] += w * f[d];
        }
      return new Tensor(out, [batch, dIn]);
    },
  };
  return { source, features };
}

const cosine = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let [ab, aa, bb] = [0, 0, 0];
  for (let i = 0; i < a.length; i++) [ab, aa, bb] = [ab + a[i] * b[i], aa + a[i] ** 2, bb + b[i] ** 2];
  return ab / Math.sqrt(aa * bb);
};

describe('training finds a known dictionary', () => {
  for (const [architecture, extra] of [
    ['topk', { k: 2 }],
    ['standard', { l1Coefficient: 1 }],
  ] as const)
    test(`${architecture}: every true feature has a decoder row within 0.9 cosine`, () => {
      const g = new Generator(1);
      const { source, features } = sparseDictionary(g);
      const sae = trainSae(source, {
        architecture,
        dSae: 24,
        steps: 1500,
        lr: 1e-2,
        batchSize: 128,
        generator: g,
        ...extra,
      });
      const rows = Array.from({ length: 24 }, (_, i) => sae.W_dec.data.subarray(i * 8, i * 8 + 8));
      const best = features.map((f) => Math.max(...rows.map((r) => cosine(f, r))));
      assert.ok(
        Math.min(...best) > 0.9,
        `worst match ${Math.min(...best).toFixed(3)}: ${best.map((b) => b.toFixed(2))}`,
      );
    });
});

test('an SAE set to a permutation basis of exactly 2-sparse activations explains them all and stays there', () => {
  // x = w_a e_π(a) + w_b e_π(b) with w > 0: the SAE whose decoder rows are the permuted basis (encoder
  // its transpose, no biases) reconstructs every x exactly; training from there changes nothing.
  const d = 8;
  const perm = [3, 0, 6, 1, 7, 2, 5, 4];
  const g = new Generator(2);
  const batch = () => {
    const out = new Float32Array(64 * d);
    for (let r = 0; r < 64; r++) {
      const a = g.randint(d);
      const b = (a + 1 + g.randint(d - 1)) % d;
      out[r * d + perm[a]] = 0.5 + g.random();
      out[r * d + perm[b]] = 0.5 + g.random();
    }
    return new Tensor(out, [64, d]);
  };
  const explained = (sae: SparseAutoencoder, x: Tensor) => {
    const xhat = noGrad(() => sae.forward(x)).data;
    let [err, total] = [0, 0];
    for (let c = 0; c < d; c++) {
      let mean = 0;
      for (let r = 0; r < 64; r++) mean += x.data[r * d + c] / 64;
      for (let r = 0; r < 64; r++) {
        err += (x.data[r * d + c] - xhat[r * d + c]) ** 2;
        total += (x.data[r * d + c] - mean) ** 2;
      }
    }
    return 1 - err / total;
  };
  for (const architecture of ['topk', 'standard', 'jumprelu'] as const) {
    const trainer = new SaeTrainer(d, 'toy', {
      architecture,
      dSae: d,
      k: 2,
      l1Coefficient: 0,
      l0Coefficient: 0,
      lr: 1e-2,
      initialThreshold: 0.01,
      generator: g,
    });
    const { sae } = trainer;
    sae.W_dec.data.fill(0);
    sae.W_enc.data.fill(0);
    perm.forEach((p, i) => {
      sae.W_dec.data[i * d + p] = 1;
      sae.W_enc.data[p * d + i] = 1;
    });
    assert.ok(explained(sae, batch()) > 1 - 1e-6, `${architecture} at the start`);
    for (let step = 0; step < 50; step++) trainer.step(batch());
    assert.ok(
      explained(sae, batch()) > 1 - 1e-5,
      `${architecture} after training: ${explained(sae, batch())}`,
    );
    for (const [i, p] of perm.entries())
      assert.ok(sae.W_dec.data[i * d + p] > 0.999, `${architecture} feature ${i}`);
  }
});

test('jumprelu: the straight-through gradients, worked by hand', () => {
  // z = [0.5, 1.02, 1.5] against θ = 1 (log θ = 0), window ε = 0.1: only 1.02 is within ε/2 of θ.
  const pre = new Tensor(Float32Array.from([0.5, 1.02, 1.5]), [3, 1]).requiresGrad_();
  const logTheta = new Tensor(Float32Array.of(0), [1]).requiresGrad_();
  const out = jumpRelu(pre, logTheta, 0.1);
  assert.deepEqual([...out.data], [0, Math.fround(1.02), 1.5]);
  sum(out).backward();
  assert.deepEqual([...pre.grad!.data], [0, 1, 1]);
  // ∂/∂θ = -(θ/ε) per sample in the window, times θ for log θ: -10.
  assertClose(logTheta.grad!.data, [-10], 1e-6);
  logTheta.grad = null;
  const count = stepCount(pre, logTheta, 0.1);
  assert.equal(count.data[0], 2);
  count.backward();
  assertClose(logTheta.grad!.data, [-10], 1e-6); // -(1/ε) θ
});

test('jumprelu: training finds most of a known dictionary at about its true L0', () => {
  const g = new Generator(1);
  const { source, features } = sparseDictionary(g);
  let l0 = 0;
  const sae = trainSae(source, {
    architecture: 'jumprelu',
    dSae: 24,
    steps: 1500,
    lr: 1e-2,
    batchSize: 128,
    l0Coefficient: 0.05,
    generator: g,
    every: 1500,
    onProgress: (p) => {
      l0 = p.l0;
    },
  });
  const rows = Array.from({ length: 24 }, (_, i) => sae.W_dec.data.subarray(i * 8, i * 8 + 8));
  const best = features.map((f) => Math.max(...rows.map((r) => cosine(f, r))));
  const mean = best.reduce((a, b) => a + b, 0) / best.length;
  // Two pairs of its features are 0.7 and 0.8 alike, which an L0 penalty (unlike L1) lets one latent share.
  assert.ok(
    mean > 0.9 && Math.min(...best) > 0.65,
    `mean ${mean.toFixed(3)}, worst ${Math.min(...best).toFixed(3)}`,
  );
  assert.ok(l0 > 1 && l0 < 4, `l0 ${l0} (the data's is 2)`);
  assert.ok(sae.threshold!.data.every((t) => t > 0));
});

test('bestFeature: F1 of each feature firing against the labels, the best one', () => {
  // 4 tokens, 3 features. Labels 1,1,0,0. Feature 0 fires on tokens 0,1,2 (p 2/3, r 1, F1 0.8);
  // feature 1 on token 0 (p 1, r 1/2, F1 2/3); feature 2 on tokens 2,3 (F1 0).
  const codes = Float32Array.from([1, 2, 0, 1, 0, 0, 3, 0, 5, 0, 0, 1]);
  const best = bestFeature(codes, 3, Uint8Array.from([1, 1, 0, 0]));
  assert.equal(best.feature, 0);
  assert.ok(Math.abs(best.f1 - 0.8) < 1e-12 && Math.abs(best.precision - 2 / 3) < 1e-12 && best.recall === 1);
  assert.deepEqual(bestFeature(codes, 3, Uint8Array.from([0, 0, 0, 0])), {
    feature: -1,
    f1: 0,
    precision: 0,
    recall: 0,
  });
});

describe('on a real model (models/tiny)', () => {
  const { model, tokenizer } = loadCheckpoint(
    fileURLToPath(new URL('../../../models/tiny', import.meta.url)),
  );
  const ids = tokenizer.encode(generateCorpus(generateWorld(1)).text.slice(0, 60_000));
  const hook = 'blocks.2.hook_resid_post';
  const windows = Array.from(
    { length: 4 },
    (_, i) => new IntTensor(Int32Array.from(ids.slice(50_000 + 64 * i, 50_000 + 64 * (i + 1))), [1, 64]),
  );
  const d = model.config.nEmbd;

  test('the metrics: an exact SAE scores 1 everywhere, an empty one 0', () => {
    // f = relu([x, -x]), x̂ = relu(x) - relu(-x) = x.
    const exact = new SparseAutoencoder({
      architecture: 'standard',
      d_in: d,
      d_sae: 2 * d,
      hook_name: hook,
      apply_b_dec_to_input: true,
    });
    exact.W_enc.data.fill(0);
    exact.W_dec.data.fill(0);
    for (let i = 0; i < d; i++) {
      exact.W_enc.data[i * 2 * d + i] = 1;
      exact.W_enc.data[i * 2 * d + d + i] = -1;
      exact.W_dec.data[i * d + i] = 1;
      exact.W_dec.data[(d + i) * d + i] = -1;
    }
    const m = evaluateSae(model, exact, windows);
    for (const [k, v] of Object.entries({
      explained_variance: 1,
      l2_ratio: 1,
      ce_loss_score: 1,
      kl_div_score: 1,
    }))
      assert.ok(Math.abs(m[k as keyof typeof m] - v) < 1e-4, `${k} ${m[k as keyof typeof m]}`);
    assert.ok(Math.abs(m.ce_loss_with_sae - m.ce_loss_clean) < 1e-4);
    const empty = new SparseAutoencoder({
      architecture: 'standard',
      d_in: d,
      d_sae: 4,
      hook_name: hook,
      apply_b_dec_to_input: true,
    });
    empty.W_dec.data.fill(0);
    const z = evaluateSae(model, empty, windows);
    assert.ok(Math.abs(z.ce_loss_score) < 1e-4 && Math.abs(z.kl_div_score) < 1e-4);
    assert.equal(z.l2_ratio, 0);
    assert.ok(z.ce_loss_zero > z.ce_loss_clean + 1, 'zeroing the residual stream breaks the model');
  });

  test('a topk SAE trained briefly keeps most of the loss: ce_loss_score > 0.8', () => {
    const g = new Generator(0);
    const buffer = new ActivationBuffer(model, hook, ids.slice(0, 50_000), {
      contextSize: 32,
      capacity: 2048,
      generator: g,
    });
    const sae = trainSae(buffer, { architecture: 'topk', k: 8, steps: 150, lr: 3e-3, generator: g });
    const m = evaluateSae(model, sae, windows);
    assert.equal(m.l0, 8);
    assert.ok(m.ce_loss_score > 0.8, `ce_loss_score ${m.ce_loss_score}`);
    assert.ok(m.explained_variance > 0.5, `explained_variance ${m.explained_variance}`);
  });

  test('feature reports: the strongest contexts first, the histogram counts every firing, logits read off W_U', () => {
    const g = new Generator(2);
    const buffer = new ActivationBuffer(model, hook, ids.slice(0, 50_000), {
      contextSize: 32,
      capacity: 2048,
      generator: g,
    });
    const sae = trainSae(buffer, { architecture: 'topk', k: 4, dSae: 64, steps: 40, generator: g });
    const batch = new IntTensor(Int32Array.from(ids.slice(40_000, 40_000 + 8 * 32)), [8, 32]);
    const reports = featureReports(model, tokenizer, sae, batch, { contexts: 5, around: 4 });
    assert.ok(reports.length > 0);
    for (let i = 1; i < reports.length; i++) assert.ok(reports[i - 1].frequency >= reports[i].frequency);
    const codes = noGrad(() => sae.encode(runWithCache(model, batch, { names: [hook] }).cache.get(hook)));
    for (const r of reports.slice(0, 5)) {
      const acts = Array.from({ length: 256 }, (_, p) => codes.data[p * 64 + r.feature]);
      const fired = acts.filter((a) => a > 0);
      assert.equal(r.frequency, fired.length / 256);
      assert.equal(r.max, Math.max(...fired));
      assert.equal(
        r.histogram.reduce((a, b) => a + b, 0),
        fired.length,
      );
      const peaks = r.contexts.map((c) => c.activations[c.peak]);
      assert.equal(peaks[0], r.max);
      for (let i = 1; i < peaks.length; i++) assert.ok(peaks[i - 1] >= peaks[i]);
      for (const c of r.contexts) assert.ok(c.tokens.length <= 9 && c.tokens.length === c.activations.length);
      const logits = noGrad(() =>
        model.unembed(new Tensor(sae.W_dec.data.slice(r.feature * d, (r.feature + 1) * d), [1, d])),
      ).data;
      assert.equal(r.promoted[0].logit, Math.max(...logits));
      assert.equal(r.suppressed[0].logit, Math.min(...logits));
    }
    const page = featurePagesHtml(reports, 'test <SAE>');
    assert.match(page, /^<!doctype html>/);
    assert.match(page, /<title>test &lt;SAE&gt;<\/title>/);
    assert.equal(page.split('<section').length - 1, reports.length);
    assert.throws(
      () => featureReports(model, tokenizer, sae, batch, { features: [64] }),
      /no feature 64 \(0\.\.63\)/,
    );
  });

  test("the world's ground truth: every entity kind and relation, each with its best feature's F1", () => {
    const g = new Generator(3);
    const buffer = new ActivationBuffer(model, hook, ids.slice(0, 50_000), {
      contextSize: 32,
      capacity: 2048,
      generator: g,
    });
    const sae = trainSae(buffer, { architecture: 'topk', k: 8, dSae: 128, steps: 40, generator: g });
    const world = generateWorld(1);
    const text = generateCorpus(world).text.slice(300_000, 300_000 + 94 * 64); // whole windows of 64
    const rows = groundTruth(model, tokenizer, sae, world, text);
    assert.deepEqual(
      rows.map((r) => r.concept),
      ['person', 'city', 'country', 'language', 'profession', 'hobby', 'species', ...Object.keys(RELATIONS)],
    );
    const person = rows[0];
    assert.ok(person.positives > 100, 'the corpus names people');
    // A name's characters: for a character model, person tokens are the letters of the names.
    const names = world.people.map((p) => p.name);
    const marked = [...text.matchAll(new RegExp(`\\b(?:${names.join('|')})\\b`, 'g'))].reduce(
      (a, m) => a + m[0].length,
      0,
    );
    assert.equal(person.positives, marked);
    for (const r of rows) {
      assert.ok(r.f1 >= 0 && r.f1 <= 1);
      if (r.f1 > 0)
        assert.ok(Math.abs(r.f1 - (2 * r.precision * r.recall) / (r.precision + r.recall)) < 1e-12);
    }
    assert.equal(relationWords('born_in'), 'was born in');
    assert.equal(relationWords('profession'), 'works as');
  });

  test('the buffer names a hook point the model lacks, and a text too short for a window', () => {
    const g = new Generator(0);
    assert.throws(
      () => new ActivationBuffer(model, 'blocks.9.nope', ids, { contextSize: 8, capacity: 64, generator: g }),
      /nope/,
    );
    assert.throws(
      () =>
        new ActivationBuffer(model, hook, ids.slice(0, 4), { contextSize: 8, capacity: 64, generator: g }),
      /has 4 tokens, fewer than one window of 8/,
    );
  });
});
