// Model editing: ROME's update is rank one, writes δ at the edited key and leaves every key orthogonal to
// it under C⁻¹ unchanged; the key covariance is E[k kᵀ] by brute force; the value optimisation reaches the
// new answer on every mixer; on models/tiny ROME and MEMIT rewrite facts, with the CounterFact measures.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { corpusWindows, generateWorld } from '../../src/data/index.js';
import { edit, matrix, runWithCache } from '../../src/lens/index.js';
import { Generator, IntTensor } from '../../src/tensor/index.js';
import { CharTokenizer } from '../../src/tokenizer/index.js';
import { loadCheckpoint } from '../../src/train/index.js';
import { build, ids, MODELS } from './models.js';

/** A random symmetric positive-definite h x h matrix. */
function spd(h: number, g: Generator) {
  const a = Array.from({ length: h * h }, () => g.normal());
  const c = matrix(h, h);
  for (let i = 0; i < h; i++)
    for (let j = 0; j < h; j++) {
      let s = i === j ? 0.5 : 0;
      for (let k = 0; k < h; k++) s += a[i * h + k] * a[j * h + k];
      c.data[i * h + j] = s / h;
    }
  return c;
}

test("ROME's update is rank one, writes δ at k*, and leaves keys orthogonal to k* under C⁻¹ unchanged", () => {
  const g = new Generator(3);
  const [h, d] = [12, 5];
  const C = spd(h, g);
  const key = Array.from({ length: h }, () => g.normal());
  const delta = Array.from({ length: d }, () => g.normal());
  const dW = edit.rankOneUpdate(C, key, delta);
  const times = (v: number[]) =>
    Array.from({ length: d }, (_, i) => v.reduce((s, x, j) => s + dW[i * h + j] * x, 0));
  // ΔW k* = δ.
  for (const [i, x] of times(key).entries()) assert.ok(Math.abs(x - delta[i]) < 1e-4, `row ${i}`);
  // Rank one: every row is a multiple of the first nonzero one.
  const r0 = Array.from(dW.subarray(0, h));
  for (let i = 1; i < d; i++) {
    const c = dW[i * h] / r0[0];
    for (let j = 0; j < h; j++) assert.ok(Math.abs(dW[i * h + j] - c * r0[j]) < 1e-5);
  }
  // A key k with kᵀ C⁻¹ k* = 0 is unchanged: k = r − (rᵀ u / k*ᵀ u) k*, u = C⁻¹ k*.
  const u = edit.rankOneUpdate(C, key, [1]); // a 1 x h row: u / (k*ᵀ u)
  for (let trial = 0; trial < 3; trial++) {
    const r = Array.from({ length: h }, () => g.normal());
    const ru = r.reduce((s, x, j) => s + x * u[j], 0);
    const k = r.map((x, j) => x - ru * key[j]);
    for (const x of times(k)) assert.ok(Math.abs(x) < 1e-4, `ΔW k = ${x}`);
  }
});

test('the key covariance is E[k kᵀ] over every position, by brute force', () => {
  const model = build('attention');
  const x = ids(2, 2, 6);
  const C = edit.keyCovariance(model, x, 1);
  const acts = runWithCache(model, x, { names: [edit.keyPoint(1)] }).cache.get(edit.keyPoint(1));
  const h = acts.shape[2];
  for (const [i, j] of [
    [0, 0],
    [3, 7],
    [h - 1, 2],
  ]) {
    let s = 0;
    for (let p = 0; p < 12; p++) s += acts.data[p * h + i] * acts.data[p * h + j];
    assert.ok(Math.abs(C.data[i * h + j] - s / 12) < 1e-5);
    assert.equal(C.data[i * h + j], C.data[j * h + i]);
  }
});

const tokenizer = CharTokenizer.fromText('abcdefghijklmnopqrstuvw ');
for (const [name, mixer] of MODELS) {
  test(`${name}: the optimised value makes the model write the new answer, and ROME's edit keeps most of it`, () => {
    const model = build(mixer);
    // A random model's logits are too small to move (its unembedding is N(0, 0.02)): scaled up, they can.
    for (const w of [model.unembedWeight.data]) for (let i = 0; i < w.length; i++) w[i] *= 50;
    const request = { prompt: 'abc def', subject: 'def', target: 'q' }; // read where the answer is written
    const before = edit.answerLogProb(model, tokenizer, request.prompt, request.target);
    // Its MLP outputs are near zero too: the clamp and decay relative to them are lifted.
    const value = { contexts: ['', 'vw '], steps: 30, clampFactor: 1e4, weightDecay: 0 };
    const { targetProb } = edit.optimiseValue(model, tokenizer, request, 'blocks.0.hook_mlp_out', value);
    assert.ok(targetProb > Math.exp(before) * 2, `${targetProb} vs ${Math.exp(before)}`);
    const covariance = edit.regularised(edit.keyCovariance(model, ids(4, 4, 12), 0), 1e-2);
    edit.rome(model, tokenizer, request, { layer: 0, covariance, ...value });
    assert.ok(edit.answerLogProb(model, tokenizer, request.prompt, request.target) > before);
  });
}

test('models/tiny: ROME one after another and MEMIT in one batch rewrite facts of the world', async () => {
  const path = fileURLToPath(new URL('../../../models/tiny', import.meta.url));
  const world = generateWorld(1);
  const cases = edit.counterfactCases(world, { count: 6, seed: 1 });
  assert.equal(new Set(cases.map((c) => `${c.request.subject}|${c.request.prompt}`)).size, 6);
  for (const c of cases) {
    assert.notEqual(c.request.target, c.old);
    assert.ok(c.request.prompt.includes(c.request.subject));
    for (const n of c.neighbours) assert.ok(!n.prompt.includes(c.request.subject));
  }
  const contexts = ['', 'Later, '];
  const fresh = () => {
    const { model, tokenizer: tok } = loadCheckpoint(path);
    return { model: model.eval(), tok };
  };
  const { model, tok } = fresh();
  const windows = corpusWindows(world, tok, 16, 64, 1);
  const baseline = await edit.subjectEntropy(model, tok, cases);
  const before = await edit.evaluateEdits(model, tok, cases, baseline);
  assert.ok(before.efficacy <= 0.2, `the model already prefers the new answers: ${before.efficacy}`);
  const covariance = edit.regularised(edit.keyCovariance(model, windows, 0), 1e-2);
  for (const c of cases) edit.rome(model, tok, c.request, { layer: 0, covariance, contexts });
  const rome = await edit.evaluateEdits(model, tok, cases, baseline);
  assert.ok(rome.efficacy >= 0.5 && rome.neighbourhood >= 0.6, JSON.stringify(rome));

  const m2 = fresh().model;
  const layers = [0, 1, 2];
  const covariances = new Map(layers.map((l) => [l, edit.keyCovariance(m2, windows, l)]));
  edit.memit(
    m2,
    tok,
    cases.map((c) => c.request),
    { layers, covariances, contexts, lambda: 10 },
  );
  const memit = await edit.evaluateEdits(m2, tok, cases, baseline);
  assert.ok(memit.efficacy >= 0.5 && memit.neighbourhood >= 0.6, JSON.stringify(memit));
  assert.ok(memit.score > before.score);
});

test('the n-gram entropy of a sequence, by hand', () => {
  // 0 1 0 1: bigrams 01 10 01 (H = 0.918), trigrams 010 101 (H = 1).
  assert.ok(Math.abs(edit.ngramEntropy([0, 1, 0, 1]) - (0.9183 + 1) / 2) < 1e-3);
  assert.equal(edit.ngramEntropy([5, 5, 5, 5, 5]), 0);
  assert.ok(new IntTensor(Int32Array.from([1]), [1]));
});

test('jielong edit: one request by ROME and CounterFact rewrites by MEMIT, written as checkpoints that load', () => {
  const BIN = fileURLToPath(new URL('../../../bin/jielong.js', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'jielong-edit-'));
  try {
    const run = (...args: string[]) => {
      const r = spawnSync(process.execPath, [BIN, 'edit', ...args, '--json'], {
        encoding: 'utf8',
        env: { ...process.env, JIELONG_THREADS: '1' },
      });
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout);
    };
    const one = run(
      '--prompt',
      'Bram Gallo was born in',
      '--subject',
      'Bram Gallo',
      '--target',
      ' Millbrook',
      '--layer',
      '0',
      '--out',
      join(dir, 'rome'),
    );
    assert.deepEqual(one.layers, [0]);
    assert.ok(one.requests[0].after > 10 * one.requests[0].before, JSON.stringify(one.requests[0]));
    const { model, tokenizer } = loadCheckpoint(join(dir, 'rome'));
    const saved = edit.answerLogProb(model.eval(), tokenizer, 'Bram Gallo was born in', ' Millbrook');
    assert.ok(Math.abs(Math.exp(saved) - one.requests[0].after) < 1e-4);
    // A Hugging Face folder is edited as it is, written back as one, with the same result.
    const hfDir = join(dir, 'hf');
    spawnSync(process.execPath, [
      BIN,
      'export',
      '--format',
      'hf',
      fileURLToPath(new URL('../../../models/tiny', import.meta.url)),
      hfDir,
    ]);
    const viaHF = run(
      '--model',
      hfDir,
      '--prompt',
      'Bram Gallo was born in',
      '--subject',
      'Bram Gallo',
      '--target',
      ' Millbrook',
      '--layer',
      '0',
      '--out',
      join(dir, 'hf-edited'),
    );
    assert.ok(Math.abs(viaHF.requests[0].after - one.requests[0].after) < 1e-4);
    assert.ok(
      existsSync(join(dir, 'hf-edited', 'model.safetensors')) &&
        !existsSync(join(dir, 'hf-edited', 'checkpoint.json')),
    );
    const batch = run(
      '--counterfact',
      '4',
      '--method',
      'memit',
      '--steps',
      '10',
      '--out',
      join(dir, 'memit'),
    );
    assert.deepEqual(batch.layers, [0, 1]);
    assert.ok(batch.after.efficacy > batch.before.efficacy, JSON.stringify(batch.after));
    const bad = spawnSync(
      process.execPath,
      [BIN, 'edit', '--prompt', 'x', '--subject', 'y', '--target', 'z', '--out', join(dir, 'x')],
      { encoding: 'utf8' },
    );
    assert.match(bad.stderr, /--subject "y" is not in --prompt "x"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
