// Feed-forward layers as key-value memories, on every mixer: the keys are the positions of the largest
// coefficients (checked by brute force over the cache), the values' logits are the unembedding of c_proj's
// columns, the agreement counts what follows; a value edit is a reflection (the two tokens' preference
// flips, nothing orthogonal moves) and undoes exactly; on models/tiny the figures come out and the CLI
// writes its report.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { generateWorld } from '../../src/data/index.js';
import {
  editValue,
  keyValueMemories,
  runWithCache,
  valueEditRates,
  valueLogits,
} from '../../src/lens/index.js';
import type { MLP } from '../../src/nn/index.js';
import { CharTokenizer } from '../../src/tokenizer/index.js';
import { loadCheckpoint } from '../../src/train/index.js';
import { build, forward, ids, MODELS, VOCAB } from './models.js';

const tokenizer = CharTokenizer.fromText('abcdefghijklmnopqrstuvwx');
assert.equal(tokenizer.vocabSize, VOCAB);
const dir = mkdtempSync(join(tmpdir(), 'jielong-kv-'));
after(() => rmSync(dir, { recursive: true, force: true }));

for (const [name, mixer] of MODELS) {
  test(`${name}: keys are the largest coefficients, values read through the unembedding, agreement by count`, () => {
    const model = build(mixer);
    const x = ids(5, 3, 9);
    const { neurons, layers } = keyValueMemories(model, tokenizer, x, { keys: 4, promotes: 3 });
    assert.equal(layers.length, model.config.nLayer);
    const { cache } = runWithCache(model, x, { names: ['blocks.1.mlp.hook_post'] });
    const acts = cache.get('blocks.1.mlp.hook_post');
    const hidden = acts.shape[2];
    const logits = valueLogits(model, 1);
    const mlp = model.transformer.h[1].mlp as MLP;
    for (const neuron of [0, 7, hidden - 1]) {
      const n = neurons.find((m) => m.layer === 1 && m.neuron === neuron)!;
      // Brute force: positions with a next token, by coefficient.
      const coefficients: number[] = [];
      for (let b = 0; b < 3; b++)
        for (let t = 0; t < 8; t++) coefficients.push(acts.data[(b * 9 + t) * hidden + neuron]);
      const want = [...coefficients].sort((a, b) => b - a).slice(0, 4);
      assert.deepEqual(
        n.keys.map((k) => k.coefficient),
        want,
      );
      // The value's logits: W_U · c_proj[:, neuron], by hand.
      const W = model.unembedWeight;
      const d = W.shape[1];
      const proj =
        'c_proj' in mlp
          ? mlp.c_proj.weight
          : (model.transformer.h[1].mlp as unknown as { down_proj: MLP['c_proj'] }).down_proj.weight;
      for (const token of [0, 5]) {
        let dot = 0;
        for (let j = 0; j < d; j++) dot += W.data[token * d + j] * proj.data[j * hidden + neuron];
        assert.ok(Math.abs(logits.data[neuron * VOCAB + token] - dot) < 1e-4);
      }
      const top = n.promotes[0].token;
      const agree = n.keys.filter((k) => k.next === top).length / n.keys.length;
      assert.equal(n.agreement, agree);
    }
  });

  test(`${name}: a value edit flips the neuron's preference, moves nothing orthogonal, and undoes exactly`, () => {
    const model = build(mixer);
    const prompt = [3, 1, 4, 1, 5];
    const before = forward(model, ids(1)).data.slice();
    const [oldT, newT] = [2, 9];
    const edit = editValue(model, prompt, oldT, newT);
    const mlp = model.transformer.h[edit.layer].mlp as MLP;
    const V =
      'c_proj' in mlp ? mlp.c_proj.weight : (mlp as unknown as { down_proj: MLP['c_proj'] }).down_proj.weight;
    const hidden = V.shape[1];
    const W = model.unembedWeight;
    const d = W.shape[1];
    const diff = Array.from({ length: d }, (_, j) => W.data[oldT * d + j] - W.data[newT * d + j]);
    const v = Array.from({ length: d }, (_, j) => V.data[j * hidden + edit.neuron]);
    const pref = v.reduce((s, x, j) => s + x * diff[j], 0);
    assert.ok(edit.coefficient * edit.preference > 0); // its contribution favoured the old token
    assert.ok(
      Math.abs(pref + edit.preference) < 1e-4 * Math.max(1, Math.abs(edit.preference)),
      `${pref} vs ${-edit.preference}`,
    );
    edit.undo();
    const v0 = Array.from({ length: d }, (_, j) => V.data[j * hidden + edit.neuron]);
    // The change was along diff only: v − v0 is a multiple of diff.
    const k = (v[0] - v0[0]) / diff[0];
    for (let j = 0; j < d; j++) assert.ok(Math.abs(v[j] - v0[j] - k * diff[j]) < 1e-5);
    assert.deepEqual(forward(model, ids(1)).data, before);
  });
}

test('models/tiny: agreement per layer, the value-edit figures, and jielong lens neurons', () => {
  const path = fileURLToPath(new URL('../../../models/tiny', import.meta.url));
  const { model, tokenizer: tok } = loadCheckpoint(path);
  model.eval();
  const world = generateWorld(1);
  const rates = valueEditRates(model, tok, world.facts, { limit: 30 });
  assert.ok(rates.edits >= 20, `${rates.edits} edits`);
  assert.ok(rates.intended <= rates.changed && rates.changed > 0, JSON.stringify(rates).slice(0, 200));
  for (const r of rates.rows) assert.notEqual(r.old, r.new);

  const BIN = fileURLToPath(new URL('../../../bin/jielong.js', import.meta.url));
  const html = join(dir, 'neurons.html');
  const r = spawnSync(
    process.execPath,
    [
      BIN,
      'lens',
      'neurons',
      '--model',
      path,
      '--windows',
      '4',
      '--edits',
      '5',
      '--html',
      html,
      '--out',
      join(dir, 'n.svg'),
      '--json',
    ],
    { encoding: 'utf8', env: { ...process.env, JIELONG_THREADS: '1' } },
  );
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.layers.length, model.config.nLayer);
  assert.equal(out.edits.edits, 5);
  assert.ok(existsSync(html) && existsSync(join(dir, 'n.svg')));
});
