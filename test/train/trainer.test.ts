// The training loop: it learns, it resumes exactly, and its checkpoints refuse to load when damaged.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LanguageModel, makeConfig } from '../../src/model/index.js';
import { CharTokenizer } from '../../src/tokenizer/index.js';
import {
  cosineLr,
  DEFAULT_TRAIN_OPTIONS,
  type LogEntry,
  loadCheckpoint,
  makeOptimizer,
  readLog,
  saveCheckpoint,
  type TrainOptions,
  train,
} from '../../src/train/index.js';

const text = 'the cat sat on the mat. the dog sat on the log. '.repeat(40);
const tokenizer = CharTokenizer.fromText(text);
const ids = Uint16Array.from(tokenizer.encode(text));
const [trainTokens, val] = [ids.subarray(0, 1600), ids.subarray(1600)];
const newModel = (dropout = 0) =>
  new LanguageModel(
    makeConfig({ vocabSize: tokenizer.vocabSize, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 16, dropout }),
    { seed: 3 },
  );
const options = (outDir: string | null, extra: Partial<TrainOptions> = {}): TrainOptions => ({
  ...DEFAULT_TRAIN_OPTIONS,
  maxIters: 12,
  batchSize: 4,
  blockSize: 16,
  warmupIters: 2,
  evalInterval: 4,
  evalIters: 2,
  outDir,
  ...extra,
});
const tmp = () => mkdtempSync(join(tmpdir(), 'jielong-train-'));

test('a small model learns a repetitive text', async () => {
  const model = newModel();
  const evals: number[] = [];
  await train({
    model,
    tokenizer,
    train: trainTokens,
    val,
    options: options(null, { maxIters: 150, lr: 3e-3, evalInterval: 150 }),
    onLog: (e) => {
      if (e.type === 'eval') evals.push(e.valLoss);
    },
  });
  assert.ok(
    evals[0] < 1.0,
    `val loss ${evals[0]} after 150 iterations (ln vocab = ${Math.log(tokenizer.vocabSize).toFixed(2)})`,
  );
});

test('resume continues exactly: same weights and losses as an uninterrupted run (dropout, accumulation)', async () => {
  const extra = { gradAccum: 2 };
  const [a, b] = [tmp(), tmp()];
  try {
    const whole = newModel(0.1);
    await train({ model: whole, tokenizer, train: trainTokens, val, options: options(a, extra) });

    const first = newModel(0.1);
    const signal = { stop: false };
    const stopped = await train({
      model: first,
      tokenizer,
      train: trainTokens,
      val,
      options: options(b, extra),
      signal,
      onLog: (e) => {
        if (e.iter >= 5) signal.stop = true;
      },
    });
    assert.equal(stopped.stopped, true);
    assert.ok(stopped.iters < 12);
    const ckpt = loadCheckpoint(b);
    await train({
      model: ckpt.model,
      tokenizer: ckpt.tokenizer,
      train: trainTokens,
      val,
      options: options(b, extra),
      resume: ckpt,
    });

    for (const [name, p] of whole.stateDict())
      assert.deepEqual(ckpt.model.stateDict().get(name)!.data, p.data, name);
    const evalsOf = (dir: string) =>
      readLog(join(dir, 'metrics.jsonl')).filter(
        (e): e is Extract<LogEntry, { type: 'eval' }> => e.type === 'eval',
      );
    assert.deepEqual(
      evalsOf(b).map((e) => [e.iter, e.valLoss]),
      evalsOf(a).map((e) => [e.iter, e.valLoss]),
    );
  } finally {
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  }
});

test('a damaged checkpoint is detected before anything is loaded', () => {
  const dir = tmp();
  try {
    const model = newModel();
    saveCheckpoint(dir, { model, tokenizer });
    const again = loadCheckpoint(dir);
    assert.deepEqual(
      again.model.stateDict().get('transformer.wte.weight')!.data,
      model.transformer.wte.weight.data,
    );

    const weights = join(dir, 'model.safetensors');
    const good = readFileSync(weights);
    const flipped = Buffer.from(good);
    flipped[flipped.length - 3] ^= 0xff;
    writeFileSync(weights, flipped);
    assert.throws(() => loadCheckpoint(dir), /model\.safetensors: does not match its checksum \(corrupt\)/);
    writeFileSync(weights, good);
    truncateSync(weights, good.length - 100);
    assert.throws(
      () => loadCheckpoint(dir),
      /model\.safetensors: has \d+ bytes, the manifest says \d+ \(truncated or corrupt\)/,
    );
    rmSync(join(dir, 'checkpoint.json'));
    assert.throws(() => loadCheckpoint(dir), /checkpoint\.json: is missing, .* --no-verify/);
    // Unverified, the format check still catches it.
    assert.throws(() => loadCheckpoint(dir, { verify: false }), /model\.safetensors/);
    writeFileSync(weights, good);
    writeFileSync(join(dir, 'config.json'), '{"vocabSize": 5');
    assert.throws(() => loadCheckpoint(dir, { verify: false }), /config\.json: is not valid JSON/);
    assert.throws(() => loadCheckpoint(join(dir, 'nope')), /does not exist/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('learning rate: linear warmup, cosine decay to the floor', () => {
  const s = { lr: 1, minLr: 0.1, warmupIters: 10, decayIters: 110 };
  assert.ok(Math.abs(cosineLr(0, s) - 1 / 11) < 1e-12);
  assert.ok(Math.abs(cosineLr(10, s) - 1) < 1e-12);
  assert.ok(Math.abs(cosineLr(60, s) - 0.55) < 1e-12); // halfway: the mean of lr and minLr
  assert.equal(cosineLr(500, s), 0.1);
});

test('weight decay skips norms, biases and marked matrices such as Mamba A_log', () => {
  const model = new LanguageModel(
    makeConfig({ vocabSize: 10, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 16, mixer: 'mamba' }),
  );
  const opt = makeOptimizer(model, DEFAULT_TRAIN_OPTIONS);
  const decayed = new Set(opt.paramGroups[0].params);
  const named = new Map(model.namedParameters());
  assert.ok(decayed.has(named.get('transformer.h.0.mixer.in_proj.weight')!));
  assert.ok(!decayed.has(named.get('transformer.h.0.mixer.A_log')!));
  assert.ok(!decayed.has(named.get('transformer.h.0.ln_1.weight')!));
  assert.equal(opt.paramGroups[1].weightDecay, 0);
});
