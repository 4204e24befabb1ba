// jielong -> GGUF -> jielong: the same logits (F32: bit for bit; F16 and Q8_0 within their rounding), the
// tokenizer and its chat template; a llama with grouped-query attention written by gguf-py against numpy's
// logits; and the models, tokenizers and files that have no GGUF form, each refused by name.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { exportGGUF, type GGUFDtype, ggufOf, importGGUF, isGGUF } from '../../src/interop/gguf/index.js';
import { gguf, readGGUFHeader, writeGGUF } from '../../src/io/index.js';
import { LanguageModel, makeConfig, type Preset } from '../../src/model/index.js';
import { IntTensor } from '../../src/tensor/index.js';
import { CharTokenizer } from '../../src/tokenizer/index.js';
import { assertClose } from '../helpers.js';
import { sharpModel, smallTokenizer } from './gguf-models.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/gguf/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'jielong-gguf-interop-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const tokenizer = smallTokenizer();
const PROMPT = 'Ada Lin was born in Paris. She';

const logits = (model: LanguageModel, ids: number[]) =>
  model.forward(new IntTensor(Int32Array.from(ids), [1, ids.length])).data;

/** Relative RMS error of the logits after a round trip in each type: rounding, not a wrong tensor. */
const TOLERANCE: Record<GGUFDtype, number> = { f32: 0, f16: 2e-3, q8_0: 4e-2 };

describe('round trips', () => {
  for (const preset of ['gpt2', 'llama'] as Preset[]) {
    for (const dtype of ['f32', 'f16', 'q8_0'] as GGUFDtype[]) {
      test(`${preset} preset, ${dtype}: logits ${dtype === 'f32' ? 'identical' : `within ${TOLERANCE[dtype]}`}`, () => {
        // 320 rows for a 300-token tokenizer: the extra rows travel as UNUSED tokens and are dropped again.
        const model = sharpModel(preset, { vocabSize: 320 });
        const path = join(dir, `${preset}-${dtype}.gguf`);
        exportGGUF({ model, tokenizer }, path, { dtype });
        assert.equal(isGGUF(path), true);
        const back = importGGUF(path);
        assert.equal(back.arch, preset);
        assert.deepEqual(back.model.config, model.config);
        const ids = tokenizer.encode(PROMPT);
        if (dtype === 'f32') assert.deepEqual(logits(back.model, ids), logits(model, ids));
        else assertClose(logits(back.model, ids), logits(model, ids), TOLERANCE[dtype], dtype);
        assert.equal(back.tokenizer.vocabSize, tokenizer.vocabSize);
        assert.deepEqual(
          back.tokenizer.encode(`${PROMPT}<|endoftext|>`),
          tokenizer.encode(`${PROMPT}<|endoftext|>`),
        );
        assert.deepEqual(back.tokenizerConfig, {
          bos_token: '<|endoftext|>',
          eos_token: '<|endoftext|>',
          add_bos_token: false,
        });
      });
    }
  }

  test('norms, biases and other 1-D tensors stay F32; rows that are not whole Q8_0 blocks fall back to F16', () => {
    const model = sharpModel('gpt2', { vocabSize: 300, nEmbd: 48, nHead: 4 });
    const { tensors } = ggufOf({ model, tokenizer }, { dtype: 'q8_0' });
    const type = (name: string) => tensors.find((t) => t.name === name)?.type.name;
    assert.equal(type('blk.0.attn_norm.weight'), 'F32');
    assert.equal(type('blk.0.attn_qkv.bias'), 'F32');
    assert.equal(type('blk.0.attn_qkv.weight'), 'F16'); // rows of 48
    assert.equal(type('blk.0.ffn_down.weight'), 'Q8_0'); // rows of 192
  });

  test('a tied llama has no output.weight and comes back tied', () => {
    const model = sharpModel('llama', { vocabSize: 300, tieEmbeddings: true });
    const path = join(dir, 'tied.gguf');
    exportGGUF({ model, tokenizer }, path);
    assert.equal(readGGUFHeader(path).tensors.has('output.weight'), false);
    const back = importGGUF(path);
    assert.equal(back.model.config.tieEmbeddings, true);
    assert.deepEqual(logits(back.model, [1, 2, 3]), logits(model, [1, 2, 3]));
  });

  test('chat templates travel as tokenizer.chat_template, named ones beside it', () => {
    const model = sharpModel('llama', { vocabSize: 300 });
    const path = join(dir, 'chat.gguf');
    const chat_template = [
      { name: 'default', template: '{{ messages[0].content }}' },
      { name: 'tool_use', template: '{{ tools }}' },
    ];
    exportGGUF({ model, tokenizer, tokenizerConfig: { chat_template, eos_token: '<|endoftext|>' } }, path);
    const meta = readGGUFHeader(path).metadata;
    assert.deepEqual(meta.get('tokenizer.chat_template'), gguf.string('{{ messages[0].content }}'));
    assert.deepEqual(meta.get('tokenizer.chat_template.tool_use'), gguf.string('{{ tools }}'));
    assert.deepEqual(importGGUF(path).tokenizerConfig?.chat_template, chat_template);
  });
});

describe('a llama with grouped-query attention, written by gguf-py', () => {
  const path = join(FIXTURES, 'llama-gqa.gguf');
  const expected = JSON.parse(readFileSync(join(FIXTURES, 'llama-gqa.json'), 'utf8'));

  test('key-value heads repeated, rotary rows un-interleaved: numpy’s logits', () => {
    const { model, tokenizer: t, tokenizerConfig } = importGGUF(path);
    assert.equal(model.config.nHead, 4);
    assertClose(logits(model, expected.ids), expected.logits, 1e-6, 'logits');
    assert.deepEqual(t.encode(' the the<|endoftext|>'), [258, 258, 259]);
    assert.deepEqual(tokenizerConfig, {
      chat_template: '{% for m in messages %}{{ m.content }}{% endfor %}',
      bos_token: '<|endoftext|>',
      eos_token: '<|endoftext|>',
    });
  });
});

describe('what has no GGUF form is refused by name', () => {
  test('a character tokenizer', () => {
    const model = sharpModel('llama', { vocabSize: 40 });
    const chars = CharTokenizer.fromText('abcdefghij');
    assert.throws(
      () => ggufOf({ model, tokenizer: chars }),
      /a char tokenizer has no GGUF form llama.cpp reads/,
    );
  });

  test('a model that is neither llama.cpp architecture', () => {
    const mixed = new LanguageModel(makeConfig({ preset: 'llama', vocabSize: 300, mlp: 'gelu' }));
    assert.throws(
      () => ggufOf({ model: mixed, tokenizer }),
      /"llama" architecture .* needs mlp "swiglu", the model has "gelu"/,
    );
    const mamba = new LanguageModel(makeConfig({ preset: 'gpt2', vocabSize: 300, mixer: 'mamba' }));
    assert.throws(
      () => ggufOf({ model: mamba, tokenizer }),
      /needs mixer "attention", the model has "mamba"/,
    );
  });

  /** A copy of a good export with metadata or tensors changed. */
  function variant(name: string, edit: (m: ReturnType<typeof ggufOf>) => void): string {
    const parts = ggufOf({ model: sharpModel('llama', { vocabSize: 300, nLayer: 1 }), tokenizer });
    edit(parts);
    const path = join(dir, `${name}.gguf`);
    writeGGUF(path, parts.metadata, parts.tensors);
    return path;
  }

  test('files jielong has no model for', () => {
    const cases: [string, (m: ReturnType<typeof ggufOf>) => void, RegExp][] = [
      [
        'arch',
        (m) => m.metadata.set('general.architecture', gguf.string('mamba')),
        /architecture "mamba" is not one jielong reads/,
      ],
      [
        'missing',
        (m) =>
          m.tensors.splice(
            m.tensors.findIndex((t) => t.name === 'blk.0.ffn_up.weight'),
            1,
          ),
        /has no tensor blk.0.ffn_up.weight, which its metadata implies/,
      ],
      [
        'extra',
        (m) => m.tensors.push({ ...m.tensors[1], name: 'rope_freqs.weight' }),
        /holds tensor rope_freqs.weight, which jielong's model has no place for/,
      ],
      [
        'shape',
        (m) => m.metadata.set('llama.feed_forward_length', gguf.u32(100)),
        /tensor blk.0.ffn_gate.weight has shape \[176, 64\] but the metadata implies \[100, 64\]/,
      ],
      [
        'kv heads',
        (m) => m.metadata.set('llama.attention.head_count_kv', gguf.u32(3)),
        /4 attention heads cannot share 3 key-value heads/,
      ],
      [
        'partial rope',
        (m) => m.metadata.set('llama.rope.dimension_count', gguf.u32(8)),
        /rotary embedding on 8 of each head's 16 dims/,
      ],
      [
        'bomb',
        (m) => m.metadata.set('llama.block_count', gguf.u32(2 ** 30)),
        /metadata llama.block_count must be in \[0, 1024\]/,
      ],
      [
        'type',
        (m) => m.metadata.set('llama.embedding_length', gguf.string('64')),
        /metadata llama.embedding_length must be an integer, got string "64"/,
      ],
      [
        'unknown tokenizer',
        (m) => m.metadata.set('tokenizer.ggml.model', gguf.string('bert')),
        /tokenizer.ggml.model "bert" is not one jielong reads .* pass \{ tokenizer \}/,
      ],
      [
        'spm without scores',
        (m) => m.metadata.set('tokenizer.ggml.model', gguf.string('llama')),
        /tokenizer.ggml.scores is missing/,
      ],
      [
        'pre',
        (m) => m.metadata.set('tokenizer.ggml.pre', gguf.string('llama-bpe')),
        /tokenizer.ggml.pre "llama-bpe" splits text differently/,
      ],
    ];
    for (const [name, edit, message] of cases) {
      const path = variant(name, edit);
      assert.throws(
        () => importGGUF(path),
        (e: Error) => e.message.startsWith(path) && message.test(e.message),
        name,
      );
    }
  });

  test('a tokenizer jielong cannot build from the file can be given instead', () => {
    const path = variant('bert-given', (m) => m.metadata.set('tokenizer.ggml.model', gguf.string('bert')));
    assert.equal(importGGUF(path, { tokenizer }).tokenizer, tokenizer);
  });
});

test('a "llama" (SentencePiece) vocabulary imports as SentencePiece BPE, encoding as SentencePiece does', () => {
  const fixtures = fileURLToPath(new URL('../../../test/fixtures/tokenizers/', import.meta.url));
  const spm = JSON.parse(readFileSync(join(fixtures, 'llama-legacy/gguf.json'), 'utf8'));
  const strings: string[] = JSON.parse(readFileSync(join(fixtures, 'cases.json'), 'utf8')).strings;
  const model = new LanguageModel(
    makeConfig({
      preset: 'llama',
      vocabSize: spm.tokens.length,
      blockSize: 16,
      nLayer: 1,
      nHead: 2,
      nEmbd: 16,
    }),
    { seed: 4 },
  );
  const { metadata, tensors } = ggufOf({ model, tokenizer: smallTokenizer() });
  for (const key of [...metadata.keys()]) if (key.startsWith('tokenizer.ggml.')) metadata.delete(key);
  metadata.set('tokenizer.ggml.model', gguf.string('llama'));
  metadata.set('tokenizer.ggml.tokens', gguf.array('string', spm.tokens));
  metadata.set('tokenizer.ggml.scores', gguf.array('f32', spm.scores));
  metadata.set('tokenizer.ggml.token_type', gguf.array('i32', spm.types));
  metadata.set('tokenizer.ggml.bos_token_id', gguf.u32(spm.bos));
  metadata.set('tokenizer.ggml.eos_token_id', gguf.u32(spm.eos));
  metadata.set('tokenizer.ggml.unknown_token_id', gguf.u32(spm.unk));
  const path = join(dir, 'spm.gguf');
  writeGGUF(path, metadata, tensors);
  const imported = importGGUF(path);
  assert.equal(imported.tokenizer.kind, 'spm');
  assert.equal(imported.tokenizer.bosId, spm.bos);
  // null: a string holding a special token, which SentencePiece itself does not parse.
  for (const [i, text] of strings.entries()) {
    if (spm.ids[i] !== null) assert.deepEqual(imported.tokenizer.encode(text), spm.ids[i], text);
  }
});
