// Hugging Face folders: ones written independently in PyTorch (scripts/fixtures/make_hf_fixtures.py) load
// and match PyTorch's logits; jielong -> HF -> jielong changes nothing; bad folders fail naming the file
// and the key or tensor.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { exportHF, hfStateDict, importHF } from '../../src/interop/hf/index.js';
import { parseSafetensors, safetensorsHeader, serializeSafetensors } from '../../src/io/index.js';
import { LanguageModel, type ModelConfigInput, makeConfig } from '../../src/model/index.js';
import { IntTensor, type Tensor } from '../../src/tensor/index.js';
import { CharTokenizer } from '../../src/tokenizer/index.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/hf/', import.meta.url));
const EXPECTED: Record<string, { ids: number[]; logits: number[][] }> = JSON.parse(
  readFileSync(join(FIXTURES, 'expected.json'), 'utf8'),
);
const tmp = mkdtempSync(join(tmpdir(), 'jielong-hf-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

const logits = (model: LanguageModel, ids: number[]) =>
  model.forward(new IntTensor(Int32Array.from(ids), [1, ids.length])).data;

for (const name of ['gpt2', 'llama', 'qwen2']) {
  test(`${name} written by PyTorch: jielong's logits match PyTorch's`, () => {
    const { model, tokenizer, tokenizerConfig } = importHF(join(FIXTURES, name));
    const { ids, logits: want } = EXPECTED[name];
    assert.deepEqual(tokenizer.encode('<s>the cat sat.'), ids);
    assert.equal(tokenizerConfig?.eos_token, '</s>');
    const diff = maxAbsDiff(logits(model, ids), want.flat());
    assert.ok(diff < 1e-4, `max abs diff ${diff}`);
  });
}

test('rope_scaling is read, not ignored: without it the fixtures give other logits', () => {
  for (const name of ['llama', 'qwen2']) {
    const scaled = importHF(join(FIXTURES, name)).model;
    assert.ok(scaled.config.ropeScaling);
    const dir = join(tmp, `${name}-unscaled`);
    cpSync(join(FIXTURES, name), dir, { recursive: true });
    editConfig((c) => {
      c.rope_scaling = null;
    })(dir);
    const { ids } = EXPECTED[name];
    const diff = maxAbsDiff(logits(importHF(dir).model, ids), logits(scaled, ids));
    assert.ok(diff > 1e-2, `${name}: rope_scaling changes the logits by only ${diff}`);
  }
});

test('MistralForCausalLM reads as Llama; its sliding window bounds the context, where it is exact', () => {
  const { ids, logits: want } = EXPECTED.llama;
  const mistral = (window: number | null) => {
    const dir = join(tmp, `mistral-${window}`);
    cpSync(join(FIXTURES, 'llama'), dir, { recursive: true });
    editConfig((c) => {
      c.architectures = ['MistralForCausalLM'];
      c.model_type = 'mistral';
      c.sliding_window = window;
    })(dir);
    return importHF(dir).model;
  };
  assert.ok(maxAbsDiff(logits(mistral(4096), ids), want.flat()) < 1e-4);
  assert.equal(mistral(4096).config.blockSize, 1024);
  assert.equal(mistral(null).config.blockSize, 1024);
  assert.equal(mistral(8).config.blockSize, 8);
});

test('the GQA fixture is expanded to full multi-head attention; Qwen2 gets zero biases where it has none', () => {
  const llama = importHF(join(FIXTURES, 'llama')).model;
  assert.equal(llama.config.nHead, 4);
  assert.deepEqual(llama.stateDict().get('transformer.h.0.attn.c_attn.weight')?.shape, [96, 32]);
  assert.equal(llama.config.ropeTheta, 500000);
  const qwen = importHF(join(FIXTURES, 'qwen2')).model;
  assert.equal(qwen.config.bias, true);
  assert.ok(
    qwen
      .stateDict()
      .get('transformer.h.0.attn.c_proj.bias')
      ?.data.every((x) => x === 0),
  );
  assert.ok(
    qwen
      .stateDict()
      .get('transformer.h.0.attn.c_attn.bias')
      ?.data.some((x) => x !== 0),
  );
});

const tokenizer = CharTokenizer.fromText('the cat sat on the mat.');
const ids = tokenizer.encode('the cat sat');

function roundTrip(input: Omit<ModelConfigInput, 'vocabSize'>, label: string): void {
  const config = makeConfig({
    vocabSize: tokenizer.vocabSize,
    blockSize: 16,
    nLayer: 2,
    nHead: 2,
    nEmbd: 16,
    ...input,
  });
  const model = new LanguageModel(config, { seed: 7 });
  const dir = join(tmp, label);
  exportHF({ model, tokenizer }, dir);
  const back = importHF(dir);
  assert.deepEqual(back.model.config, { ...config, mlpHidden: back.model.config.mlpHidden });
  for (const [name, p] of model.namedParameters())
    assert.deepEqual(back.model.stateDict().get(name)?.data, p.data, name);
  assert.equal(maxAbsDiff(logits(back.model, ids), logits(model, ids)), 0);
  assert.deepEqual(back.tokenizer.toJSON(), tokenizer.toJSON());
}

test('jielong -> HF -> jielong: identical parameters and logits (gpt2 preset, llama untied and tied with biases)', () => {
  roundTrip({ preset: 'gpt2' }, 'gpt2');
  roundTrip({ preset: 'gpt2', tieEmbeddings: false }, 'gpt2-untied');
  roundTrip({ preset: 'llama', ropeTheta: 50000 }, 'llama');
  roundTrip({ preset: 'llama', ropeScaling: { type: 'linear', factor: 4 } }, 'llama-linear');
  roundTrip(
    {
      preset: 'llama',
      ropeScaling: { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalContext: 8 },
    },
    'llama-llama3',
  );
  roundTrip({ preset: 'llama', tieEmbeddings: true, bias: true, mlpHidden: 40 }, 'llama-tied-bias');
});

test('export writes HF names, orientations and config keys', () => {
  const gpt2 = new LanguageModel(
    makeConfig({ preset: 'gpt2', vocabSize: 20, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 8 }),
  );
  const names = hfStateDict(gpt2);
  assert.deepEqual(names.get('transformer.h.0.attn.c_attn.weight')?.shape, [8, 24]); // Conv1D: [in, out]
  assert.deepEqual(names.get('transformer.h.0.mlp.c_proj.weight')?.shape, [32, 8]);
  assert.ok(!names.has('lm_head.weight')); // tied
  const llama = new LanguageModel(
    makeConfig({ preset: 'llama', vocabSize: 20, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 8 }),
  );
  const dir = join(tmp, 'keys');
  exportHF({ model: llama, tokenizer, tokenizerConfig: { eos_token: 'm' } }, dir);
  const header = safetensorsHeader(readFileSync(join(dir, 'model.safetensors'))).tensors;
  assert.deepEqual(header.get('model.layers.0.self_attn.k_proj.weight')?.shape, [8, 8]);
  assert.deepEqual([...header.keys()].sort(), [
    'lm_head.weight',
    'model.embed_tokens.weight',
    'model.layers.0.input_layernorm.weight',
    'model.layers.0.mlp.down_proj.weight',
    'model.layers.0.mlp.gate_proj.weight',
    'model.layers.0.mlp.up_proj.weight',
    'model.layers.0.post_attention_layernorm.weight',
    'model.layers.0.self_attn.k_proj.weight',
    'model.layers.0.self_attn.o_proj.weight',
    'model.layers.0.self_attn.q_proj.weight',
    'model.layers.0.self_attn.v_proj.weight',
    'model.norm.weight',
  ]);
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  assert.equal(config.model_type, 'llama');
  assert.equal(config.num_key_value_heads, 2);
  assert.equal(config.tie_word_embeddings, false);
  assert.equal(config.eos_token_id, tokenizer.tokenToId('m'));
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')), { eos_token: 'm' });
});

test('export refuses what HF GPT-2 and Llama cannot express, naming the field', () => {
  const refuse = (input: Omit<ModelConfigInput, 'vocabSize'>, message: RegExp) => {
    const model = new LanguageModel(
      makeConfig({ vocabSize: tokenizer.vocabSize, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 8, ...input }),
    );
    assert.throws(() => exportHF({ model, tokenizer }, join(tmp, 'refused')), message);
  };
  refuse({ preset: 'llama', mixer: ['attention', 'mamba'] }, /config\.mixer of layer 1 is "mamba"/);
  refuse(
    { preset: 'gpt2', norm: 'rmsnorm' },
    /config\.mlp is "gelu", but a rmsnorm model exports as LlamaForCausalLM/,
  );
  refuse(
    { preset: 'llama', norm: 'layernorm' },
    /config\.mlp is "swiglu", but a layernorm model exports as GPT2LMHeadModel/,
  );
  refuse({ preset: 'gpt2', positions: 'rope' }, /config\.positions is "rope"/);
  refuse({ preset: 'gpt2', bias: false }, /config\.bias is false/);
  const diverged = new LanguageModel(
    makeConfig({
      preset: 'gpt2',
      vocabSize: tokenizer.vocabSize,
      blockSize: 8,
      nLayer: 1,
      nHead: 2,
      nEmbd: 8,
    }),
  );
  diverged.transformer.ln_f.weight.data[3] = Number.NaN;
  assert.throws(
    () => exportHF({ model: diverged, tokenizer }, join(tmp, 'refused')),
    /transformer\.ln_f\.weight holds NaN or infinite values; nothing was written/,
  );
});

/** A copy of a fixture folder, changed by `edit`, then imported: the error it must give. */
function broken(fixture: string, edit: (dir: string) => void, message: RegExp): void {
  const dir = join(tmp, `broken-${fixture}`);
  rmSync(dir, { recursive: true, force: true });
  cpSync(join(FIXTURES, fixture), dir, { recursive: true });
  edit(dir);
  assert.throws(() => importHF(dir), message);
}

function editConfig(change: (c: Record<string, unknown>) => void) {
  return (dir: string) => {
    const c = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    change(c);
    writeFileSync(join(dir, 'config.json'), JSON.stringify(c));
  };
}

function editWeights(change: (t: Map<string, Tensor | IntTensor>) => void) {
  return (dir: string) => {
    const file = join(dir, 'model.safetensors');
    const tensors = parseSafetensors(readFileSync(file)).tensors;
    change(tensors);
    writeFileSync(file, serializeSafetensors(tensors));
  };
}

test('bad config.json values fail naming the file and the key', () => {
  const cases: [string, (c: Record<string, unknown>) => void, RegExp][] = [
    [
      'gpt2',
      (c) => {
        c.architectures = ['BertForMaskedLM'];
      },
      /config\.json: architectures must name one architecture jielong reads/,
    ],
    [
      'llama',
      (c) => {
        delete c.hidden_size;
      },
      /config\.json: hidden_size must be a positive integer up to 65536, got nothing/,
    ],
    [
      'llama',
      (c) => {
        c.hidden_size = 30;
      },
      /hidden_size must be divisible by num_attention_heads 4/,
    ],
    [
      'llama',
      (c) => {
        c.num_key_value_heads = 3;
      },
      /num_key_value_heads must divide num_attention_heads 4/,
    ],
    [
      'llama',
      (c) => {
        c.head_dim = 16;
      },
      /head_dim must be hidden_size \/ num_attention_heads = 8/,
    ],
    [
      'llama',
      (c) => {
        c.num_hidden_layers = 1e9;
      },
      /num_hidden_layers must be a positive integer up to 1024, got 1000000000/,
    ],
    [
      'gpt2',
      (c) => {
        c.vocab_size = 2 ** 40;
      },
      /vocab_size must be a positive integer up to 16777216/,
    ],
    [
      'llama',
      (c) => {
        c.rope_scaling = { rope_type: 'yarn', factor: 4 };
      },
      /config\.json: rope_scaling: rope_type must be one of "default", "linear", "llama3", got "yarn"/,
    ],
    [
      'llama',
      (c) => {
        c.hidden_act = 'gelu';
      },
      /hidden_act must be one of "silu", got "gelu"/,
    ],
    [
      'gpt2',
      (c) => {
        c.activation_function = 'relu';
      },
      /activation_function must be one of "gelu_new"/,
    ],
    [
      'gpt2',
      (c) => {
        c.scale_attn_by_inverse_layer_idx = true;
      },
      /scale_attn_by_inverse_layer_idx must be false/,
    ],
    [
      'gpt2',
      (c) => {
        c.n_positions = '16';
      },
      /n_positions must be a positive integer/,
    ],
  ];
  for (const [fixture, change, message] of cases) broken(fixture, editConfig(change), message);
});

test('bad weights fail naming the file and the tensor, expected against got', () => {
  broken(
    'gpt2',
    editWeights((t) => t.delete('h.1.mlp.c_fc.bias')),
    /model\.safetensors has no tensor transformer\.h\.1\.mlp\.c_fc\.bias, which config\.json implies \(shape \[128\]\)/,
  );
  broken(
    'gpt2',
    editWeights((t) => t.set('h.0.attn.c_proj.weight', t.get('wte.weight') as Tensor)),
    /model\.safetensors transformer\.h\.0\.attn\.c_proj\.weight has shape \[40, 32\] but config\.json implies \[32, 32\]/,
  );
  broken(
    'gpt2',
    editWeights((t) => t.set('h.0.extra.weight', t.get('ln_f.weight') as Tensor)),
    /model\.safetensors holds transformer\.h\.0\.extra\.weight, which a gpt2 config\.json has no parameter for/,
  );
  broken(
    'gpt2',
    editWeights((t) => t.set('ln_f.bias', new IntTensor(new Int32Array(32), [32]))),
    /transformer\.ln_f\.bias is I32, not a float tensor/,
  );
  broken(
    'gpt2',
    (dir) => {
      const file = join(dir, 'model.safetensors');
      const bytes = readFileSync(file);
      writeFileSync(file, bytes.subarray(0, bytes.length - 100));
    },
    /model\.safetensors: truncated/,
  );
  broken(
    'llama',
    (dir) => rmSync(join(dir, 'model-00002-of-00002.safetensors')),
    /model-00002-of-00002\.safetensors is missing/,
  );
  broken(
    'llama',
    (dir) => {
      const file = join(dir, 'model.safetensors.index.json');
      const index = JSON.parse(readFileSync(file, 'utf8'));
      index.weight_map['model.norm.weight'] = '../../elsewhere.safetensors';
      writeFileSync(file, JSON.stringify(index));
    },
    /model\.safetensors\.index\.json maps model\.norm\.weight to "\.\.\/\.\.\/elsewhere\.safetensors"/,
  );
  broken(
    'qwen2',
    (dir) => rmSync(join(dir, 'model.safetensors')),
    /model\.safetensors is missing, and so is model\.safetensors\.index\.json/,
  );
});

test('tokenizer files: missing, unreadable kinds and too large vocabularies name tokenizer.json', () => {
  broken('gpt2', (dir) => rmSync(join(dir, 'tokenizer.json')), /gpt2: tokenizer\.json is missing/);
  broken(
    'gpt2',
    (dir) => writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify({ model: { type: 'Unigram' } })),
    /tokenizer\.json unsupported model type "Unigram"/,
  );
  broken(
    'gpt2',
    (dir) => {
      const file = join(dir, 'tokenizer.json');
      const json = JSON.parse(readFileSync(file, 'utf8'));
      for (let id = 31; id < 45; id++) json.added_tokens.push({ id, content: `<extra${id}>`, special: true });
      writeFileSync(file, JSON.stringify(json));
    },
    /tokenizer\.json has 45 tokens but config\.json's vocab_size is 40/,
  );
  broken(
    'gpt2',
    (dir) => writeFileSync(join(dir, 'config.json'), '{"vocab'),
    /config\.json is not valid JSON/,
  );
});
