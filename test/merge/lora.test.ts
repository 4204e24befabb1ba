// LoRA: a fresh adapter changes nothing, training moves only A and B, merging gives the adapted model's
// outputs and W + (α/r) B A by hand, and PEFT's files round-trip with every bad one refused by name.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { safetensorsHeader } from '../../src/io/index.js';
import { applyLoRA, loadLoRA, mergeLoRA, saveLoRA } from '../../src/merge/index.js';
import { LanguageModel, type ModelConfigInput, makeConfig } from '../../src/model/index.js';
import { Generator, IntTensor, noGrad, type Tensor } from '../../src/tensor/index.js';
import { CharTokenizer } from '../../src/tokenizer/index.js';
import { DEFAULT_TRAIN_OPTIONS, loadCheckpoint, train } from '../../src/train/index.js';

const root = mkdtempSync(join(tmpdir(), 'jielong-lora-'));
after(() => rmSync(root, { recursive: true, force: true }));
const text = 'the cat sat on the mat. the dog sat on the log. '.repeat(30);
const tokenizer = CharTokenizer.fromText(text);
const ids = Uint16Array.from(tokenizer.encode(text));
const make = (extra: Partial<ModelConfigInput> = {}) =>
  new LanguageModel(
    makeConfig({ vocabSize: tokenizer.vocabSize, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 16, ...extra }),
    {
      seed: 4,
    },
  );
const x = new IntTensor(Int32Array.from(ids.subarray(0, 24)), [2, 12]);
const logits = (m: LanguageModel) => noGrad(() => m.eval().forward(x)).data;
const snapshot = (m: LanguageModel) => new Map([...m.stateDict()].map(([n, t]) => [n, t.data.slice()]));

async function fit(model: LanguageModel, iters = 15) {
  return train({
    model,
    tokenizer,
    train: ids.subarray(0, 1200),
    val: ids.subarray(1200),
    options: {
      ...DEFAULT_TRAIN_OPTIONS,
      maxIters: iters,
      batchSize: 4,
      blockSize: 16,
      lr: 1e-2,
      warmupIters: 0,
      evalInterval: iters,
      evalIters: 2,
    },
  });
}

for (const [kind, extra] of [
  ['attention', {}],
  ['mamba', { mixer: 'mamba' }],
] as const) {
  test(`${kind}: with B = 0 the adapted model is the base; training moves A and B only; merging keeps the outputs`, async () => {
    const model = make(extra);
    const before = logits(model);
    const base = snapshot(model);
    const names = applyLoRA(model, { r: 4, alpha: 8, dropout: 0, targetModules: 'all-linear' });
    assert.ok(names.length >= 4, names.join());
    assert.deepEqual(logits(model), before);
    // Only the adapters are parameters now: the optimizer sees nothing else.
    assert.ok(model.namedParameters().every(([n]) => /lora_[AB]\.weight$/.test(n)));
    await fit(model.train());
    for (const [name, data] of base) assert.deepEqual(findTensor(model, name).data, data, `${name} moved`);
    const adapted = logits(model);
    assert.notDeepEqual(adapted, before);
    mergeLoRA(model);
    const merged = logits(model);
    for (let i = 0; i < merged.length; i++) assert.ok(Math.abs(merged[i] - adapted[i]) < 1e-4, `logit ${i}`);
    assert.equal(model.parameters().length, base.size); // every weight trains again, no adapter is left
  });
}

/** A parameter by name whether or not it trains (frozen ones drop out of namedParameters). */
function findTensor(model: LanguageModel, name: string): Tensor {
  const [path, field] = [name.slice(0, name.lastIndexOf('.')), name.slice(name.lastIndexOf('.') + 1)];
  const module = model.namedModules().find(([n]) => n === path)?.[1] as unknown as Record<string, Tensor>;
  return module[field];
}

test('merging is W + (α/r) B A, worked by hand', () => {
  const model = make();
  applyLoRA(model, { r: 2, alpha: 6, dropout: 0, targetModules: ['c_fc'] });
  const layer = model.namedModules().find(([n]) => n.endsWith('h.1.mlp.c_fc'))![1] as unknown as {
    weight: Tensor;
    lora_A: { weight: Tensor };
    lora_B: { weight: Tensor };
  };
  const g = new Generator(9);
  for (let i = 0; i < layer.lora_B.weight.data.length; i++) layer.lora_B.weight.data[i] = g.normal();
  const [W, A, B] = [layer.weight.data.slice(), layer.lora_A.weight.data, layer.lora_B.weight.data.slice()];
  const [out, inn] = layer.weight.shape;
  mergeLoRA(model);
  for (let o = 0; o < out; o++)
    for (let i = 0; i < inn; i++) {
      let d = 0;
      for (let k = 0; k < 2; k++) d += B[o * 2 + k] * A[k * inn + i];
      assert.ok(Math.abs(layer.weight.data[o * inn + i] - (W[o * inn + i] + 3 * d)) < 1e-5);
    }
});

test("saved in PEFT's layout and loaded back onto a fresh base: the same outputs", async () => {
  const model = make();
  applyLoRA(model, { r: 4, alpha: 16, dropout: 0.1, targetModules: ['c_attn', 'mlp.c_proj'] });
  await fit(model.train(), 5);
  const want = logits(model);
  const dir = join(root, 'adapter');
  saveLoRA(
    dir,
    model,
    { r: 4, alpha: 16, dropout: 0.1, targetModules: ['c_attn', 'mlp.c_proj'] },
    'out/base',
  );
  const config = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'));
  assert.equal(config.peft_type, 'LORA');
  assert.equal(config.r, 4);
  assert.equal(config.lora_alpha, 16);
  assert.deepEqual(config.target_modules, ['c_attn', 'mlp.c_proj']);
  assert.equal(config.fan_in_fan_out, true); // GPT-2's Conv1D in the Hugging Face export
  const header = safetensorsHeader(readFileSync(join(dir, 'adapter_model.safetensors'))).tensors;
  assert.deepEqual(header.get('base_model.model.transformer.h.0.attn.c_attn.lora_A.weight')?.shape, [4, 16]);
  assert.deepEqual(header.get('base_model.model.transformer.h.1.mlp.c_proj.lora_B.weight')?.shape, [16, 4]);
  assert.equal(header.size, 2 * 2 * 2);

  const fresh = make();
  const loaded = loadLoRA(fresh, dir);
  assert.equal(loaded.alpha, 16);
  assert.deepEqual(logits(fresh), want);
});

test('a bad adapter is refused, naming the file and what is wrong', () => {
  const model = make();
  applyLoRA(model, { r: 2, alpha: 4, dropout: 0, targetModules: ['c_attn'] });
  const dir = join(root, 'bad');
  saveLoRA(dir, model, { r: 2, alpha: 4, dropout: 0, targetModules: ['c_attn'] }, null);
  const config = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'));
  const attempt = (edit: Record<string, unknown>) => {
    writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify({ ...config, ...edit }));
    return () => loadLoRA(make(), dir);
  };
  assert.throws(attempt({ peft_type: 'IA3' }), /adapter_config\.json: peft_type: must be "LORA"/);
  assert.throws(
    attempt({ r: 3 }),
    /c_attn\.lora_A\.weight is \[2, 16\], the layer needs \[3, 16\] \(r = 3\)/,
  );
  assert.throws(attempt({ modules_to_save: ['lm_head'] }), /modules_to_save/);
  assert.throws(
    () => applyLoRA(make(), { r: 2, alpha: 4, dropout: 0, targetModules: ['q_proj'] }),
    /target_modules \["q_proj"\] match no linear layer \(the model's: .*c_attn/,
  );
  assert.throws(
    () => applyLoRA(make(), { r: 0, alpha: 4, dropout: 0, targetModules: 'all-linear' }),
    /r must be a positive integer/,
  );
});

test('jielong train --lora writes the adapter and, on request, the merged checkpoint: both give the same model', () => {
  const BIN = fileURLToPath(new URL('../../../bin/jielong.js', import.meta.url));
  const data = join(root, 'data.txt');
  writeFileSync(data, text);
  const run = (...args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, 'train', ...args], {
      encoding: 'utf8',
      env: { ...process.env, JIELONG_THREADS: '1' },
    });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };
  const [base, adapter, merged] = ['base', 'adapter', 'merged'].map((n) => join(root, `cli-${n}`));
  const small = ['--iters', '6', '--batch-size', '2', '--eval-interval', '6', '--eval-iters', '1'];
  run(
    '--data',
    data,
    '--n-layer',
    '1',
    '--n-embd',
    '16',
    '--n-head',
    '2',
    '--block-size',
    '16',
    ...small,
    '--out',
    base,
  );
  const out = run(
    '--init-from',
    base,
    '--data',
    data,
    '--lora',
    '--lora-r',
    '2',
    '--lora-targets',
    'c_attn,c_fc',
    ...small,
    '--out',
    adapter,
    '--lora-merged',
    merged,
  );
  assert.match(out, /LoRA: r 2, alpha 16, dropout 0\.05 on 2 layers/);
  const viaAdapter = loadCheckpoint(base).model;
  loadLoRA(viaAdapter, adapter);
  const want = logits(viaAdapter);
  const got = logits(loadCheckpoint(merged).model);
  for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i] - want[i]) < 1e-4, `logit ${i}`);
  const refused = spawnSync(
    process.execPath,
    [BIN, 'train', '--data', data, '--lora', '--out', join(root, 'x')],
    { encoding: 'utf8' },
  );
  assert.match(refused.stderr, /--lora needs --init-from BASE/);
});
