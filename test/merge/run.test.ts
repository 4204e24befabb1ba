// Recipes run on real folders: jielong checkpoints and Hugging Face folders merged tensor by tensor, the
// results loaded back and compared with the methods applied to the state dicts in memory.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { hf } from '../../src/interop/index.js';
import { safetensorsHeader } from '../../src/io/index.js';
import { MERGE_METHODS, mergeModels, parseRecipe, ties } from '../../src/merge/index.js';
import { LanguageModel, makeConfig } from '../../src/model/index.js';
import { Generator, type Tensor } from '../../src/tensor/index.js';
import { CharTokenizer } from '../../src/tokenizer/index.js';
import { loadCheckpoint, saveCheckpoint } from '../../src/train/index.js';

const root = mkdtempSync(join(tmpdir(), 'jielong-merge-'));
after(() => rmSync(root, { recursive: true, force: true }));
const tokenizer = CharTokenizer.fromText('abcdefgh .');
const config = makeConfig({ vocabSize: tokenizer.vocabSize, blockSize: 8, nLayer: 3, nHead: 2, nEmbd: 8 });

/** The base, and two "fine-tunes": the base with each parameter nudged by a seeded random task vector. */
function family(): { base: LanguageModel; a: LanguageModel; b: LanguageModel } {
  const base = new LanguageModel(config, { seed: 1 });
  const nudged = (seed: number) => {
    const m = new LanguageModel(config, { seed: 1 });
    const g = new Generator(seed);
    for (const [, p] of m.namedParameters())
      for (let i = 0; i < p.data.length; i++) p.data[i] += 0.1 * g.normal();
    return m;
  };
  return { base, a: nudged(2), b: nudged(3) };
}
const { base, a, b } = family();
const dirs = { base: join(root, 'base'), a: join(root, 'a'), b: join(root, 'b') };
for (const [k, m] of Object.entries({ base, a, b }))
  saveCheckpoint(dirs[k as keyof typeof dirs], { model: m, tokenizer });

const recipe = (yaml: string) => parseRecipe(yaml, 'test.yml');
const params = (m: LanguageModel) => new Map<string, Tensor>(m.namedParameters());

test('task arithmetic of two checkpoints is base + Σ w τ, written as a checkpoint that loads verified', () => {
  const out = join(root, 'ta');
  const report = mergeModels(
    recipe(`merge_method: task_arithmetic
base_model: ${dirs.base}
models:
  - model: ${dirs.a}
    parameters: { weight: 0.7 }
  - model: ${dirs.b}
    parameters: { weight: [0.2, 0.6] }
`),
    { out },
  );
  assert.equal(report.format, 'jielong');
  const merged = params(loadCheckpoint(out).model);
  const [pb, pa, pB] = [params(base), params(a), params(b)];
  for (const [name, t] of merged) {
    const layer = /\.h\.(\d+)\./.exec(name);
    const wb = layer ? 0.2 + (0.4 * Number(layer[1])) / 2 : 0.2; // the gradient over 3 layers
    const want = pb
      .get(name)!
      .data.map((x, i) => x + 0.7 * (pa.get(name)!.data[i] - x) + wb * (pB.get(name)!.data[i] - x));
    for (let i = 0; i < want.length; i++) assert.ok(Math.abs(t.data[i] - want[i]) < 1e-5, `${name}[${i}]`);
  }
});

test('a model merged with itself is itself, by every method over the files', () => {
  const copies = [join(root, 'copy1'), join(root, 'copy2')];
  for (const c of copies) saveCheckpoint(c, { model: base, tokenizer });
  const want = params(base);
  for (const method of MERGE_METHODS) {
    const models = method === 'slerp' || method === 'passthrough' ? copies.slice(0, 1) : copies;
    const out = join(root, `self-${method}`);
    mergeModels(
      recipe(`merge_method: ${method}
base_model: ${dirs.base}
models: [${models.map((m) => `{ model: ${m}, parameters: { weight: 0.5, density: 0.5 } }`).join(', ')}]
parameters: { t: 0.3, epsilon: 0.1 }
`),
      { out },
    );
    for (const [name, t] of params(loadCheckpoint(out).model))
      assert.deepEqual(t.data, want.get(name)!.data, `${method}: ${name}`);
  }
});

test('TIES over files equals TIES in memory, per-model density and all', () => {
  const out = join(root, 'ties');
  mergeModels(
    recipe(`merge_method: ties
base_model: ${dirs.base}
models:
  - model: ${dirs.a}
    parameters: { weight: 1, density: 0.5 }
  - model: ${dirs.b}
    parameters: { weight: 0.5, density: 0.3 }
`),
    { out },
  );
  const merged = params(loadCheckpoint(out).model);
  const [pb, pa, pB] = [params(base), params(a), params(b)];
  for (const [name, t] of merged) {
    const want = ties(
      {
        base: pb.get(name)!.data,
        models: [
          { tensor: pa.get(name)!.data, weight: 1, density: 0.5 },
          { tensor: pB.get(name)!.data, weight: 0.5, density: 0.3 },
        ],
      },
      {},
    );
    assert.deepEqual(t.data, want, name);
  }
});

test('slices stack layer ranges of several models (passthrough): the config follows, the checkpoint loads', () => {
  const out = join(root, 'franken');
  const report = mergeModels(
    recipe(`merge_method: passthrough
slices:
  - sources: [{ model: ${dirs.a}, layer_range: [0, 2] }]
  - sources: [{ model: ${dirs.b}, layer_range: [1, 3] }]
`),
    { out },
  );
  assert.equal(report.layers, 4);
  const merged = loadCheckpoint(out);
  assert.equal(merged.config.nLayer, 4);
  const [m, pa, pB] = [params(merged.model), params(a), params(b)];
  assert.deepEqual(
    m.get('transformer.h.1.mlp.c_fc.weight')!.data,
    pa.get('transformer.h.1.mlp.c_fc.weight')!.data,
  );
  assert.deepEqual(
    m.get('transformer.h.2.mlp.c_fc.weight')!.data,
    pB.get('transformer.h.1.mlp.c_fc.weight')!.data,
  );
  assert.deepEqual(
    m.get('transformer.h.3.attn.c_attn.weight')!.data,
    pB.get('transformer.h.2.attn.c_attn.weight')!.data,
  );
  assert.deepEqual(m.get('transformer.wte.weight')!.data, pa.get('transformer.wte.weight')!.data);
});

test('Hugging Face folders merge to the same model as the checkpoints they were exported from', () => {
  const hfDirs = Object.fromEntries(
    Object.entries({ base, a, b }).map(([k, model]) => {
      const d = join(root, `hf-${k}`);
      hf.exportHF({ model, tokenizer, tokenizerConfig: null }, d);
      return [k, d];
    }),
  );
  const yaml = (d: Record<string, string>) => `merge_method: ties
base_model: ${d.base}
models:
  - model: ${d.a}
    parameters: { weight: 0.6, density: 0.7 }
  - model: ${d.b}
    parameters: { weight: 0.4, density: 0.7 }
`;
  const fromHF = join(root, 'merged-hf');
  const report = mergeModels(recipe(yaml(hfDirs)), { out: fromHF });
  assert.equal(report.format, 'hf');
  assert.ok(JSON.parse(readFileSync(join(fromHF, 'config.json'), 'utf8')).architectures);
  const fromCheckpoints = join(root, 'merged-ckpt');
  mergeModels(recipe(yaml(dirs)), { out: fromCheckpoints });
  // TIES is elementwise once the magnitudes are ranked: GPT-2's transposed storage changes nothing.
  const viaHF = params(hf.importHF(fromHF).model);
  for (const [name, t] of params(loadCheckpoint(fromCheckpoints).model))
    assert.ok(
      t.data.every((x, i) => Math.abs(x - viaHF.get(name)!.data[i]) < 1e-6),
      name,
    );
});

test('bfloat16 output: the header says BF16 and the merge loads within bfloat16 rounding', () => {
  const out = join(root, 'bf16');
  mergeModels(
    recipe(`merge_method: linear
models: [{ model: ${dirs.a} }, { model: ${dirs.b} }]
dtype: bfloat16
`),
    { out },
  );
  const header = safetensorsHeader(readFileSync(join(out, 'model.safetensors'))).tensors;
  assert.equal(header.get('transformer.wte.weight')?.dtype, 'BF16');
  const merged = params(loadCheckpoint(out).model);
  const [pa, pB] = [params(a), params(b)];
  for (const [name, t] of merged)
    for (let i = 0; i < t.data.length; i++) {
      const want = (pa.get(name)!.data[i] + pB.get(name)!.data[i]) / 2;
      assert.ok(Math.abs(t.data[i] - want) <= Math.abs(want) * 2 ** -8 + 1e-30, `${name}[${i}]`);
    }
});

test('a wrong merge stops before writing, naming the recipe, the model and the tensor', () => {
  const other = join(root, 'wide');
  saveCheckpoint(other, {
    model: new LanguageModel(makeConfig({ ...config, nEmbd: 16 }), { seed: 1 }),
    tokenizer,
  });
  const run = (yaml: string) => () =>
    mergeModels(recipe(yaml), { out: join(root, 'never'), recipeFile: 'bad.yml' });
  assert.throws(
    run(
      `merge_method: ties\nbase_model: ${dirs.base}\nmodels: [{ model: ${other}, parameters: { density: 0.5 } }]\n`,
    ),
    /bad\.yml: models\.0: transformer\.\S+ is \[.*\] in .*wide but \[.*\] in .*base/,
  );
  assert.throws(
    run(
      `merge_method: slerp\nbase_model: ${dirs.base}\nmodels: [{ model: ${dirs.a} }, { model: ${dirs.b} }]\nparameters: { t: 0.5 }\n`,
    ),
    /bad\.yml: models: slerp takes exactly 1 model beside the base, got 2/,
  );
  assert.throws(
    run(
      `merge_method: della\nbase_model: ${dirs.base}\nmodels: [{ model: ${dirs.a}, parameters: { density: 0.5 } }]\n`,
    ),
    /bad\.yml: della needs the parameter epsilon/,
  );
  assert.throws(
    run(`merge_method: passthrough\nslices: [{ sources: [{ model: ${dirs.a}, layer_range: [2, 5] }] }]\n`),
    /bad\.yml: slices\.0\.sources\.0\.layer_range: \[2, 5\] is not a range within .*'s 3 layers/,
  );
  // A corrupt checkpoint is caught by its checksum before any tensor is read.
  const corrupt = join(root, 'corrupt');
  saveCheckpoint(corrupt, { model: a, tokenizer });
  const weights = readFileSync(join(corrupt, 'model.safetensors'));
  weights[weights.length - 3] ^= 0xff;
  writeFileSync(join(corrupt, 'model.safetensors'), weights);
  assert.throws(
    run(`merge_method: linear\nmodels: [{ model: ${corrupt} }, { model: ${dirs.b} }]\n`),
    /corrupt: model\.safetensors: does not match its checksum/,
  );
  assert.throws(() => loadCheckpoint(join(root, 'never')), /does not exist/);
});
