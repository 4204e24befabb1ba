// Hugging Face tokenizer.json in and out: save/load round trips, hand-written files, clear errors.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  BYTE_TO_UNICODE,
  ByteLevelBPE,
  CharTokenizer,
  loadTokenizer,
  saveTokenizer,
  tokenizerFromJSON,
} from '../../src/tokenizer/index.js';
import { SAMPLES, TRAINING_TEXT } from './samples.js';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jielong-tokenizer-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('save then load gives a tokenizer that encodes identically', async () => {
  const tokenizers = [
    ByteLevelBPE.train(TRAINING_TEXT, { vocabSize: 320, specialTokens: ['<|endoftext|>'] }),
    CharTokenizer.fromText(SAMPLES.join(''), { specialTokens: ['<|endoftext|>'], unkToken: '<unk>' }),
  ];
  for (const tok of tokenizers) {
    const path = join(dir, `${tok.kind}.json`);
    await saveTokenizer(tok, path);
    await saveTokenizer(tok, path); // overwriting is fine too
    const loaded = await loadTokenizer(path);
    assert.equal(loaded.kind, tok.kind);
    assert.equal(loaded.vocabSize, tok.vocabSize);
    assert.deepEqual([...loaded.specialTokens], [...tok.specialTokens]);
    for (const text of [...SAMPLES, 'x<|endoftext|>y']) {
      assert.deepEqual(loaded.encode(text), tok.encode(text), JSON.stringify(text));
    }
    assert.deepEqual(loaded.toJSON(), tok.toJSON());
  }
  assert.deepEqual((await readdir(dir)).sort(), ['bpe.json', 'char.json']); // no temp files left behind
});

test('written files have the layout Hugging Face reads', async () => {
  const bpe = ByteLevelBPE.train(TRAINING_TEXT, { vocabSize: 260, specialTokens: ['<|endoftext|>'] });
  const json = bpe.toJSON();
  assert.equal(json.model.type, 'BPE');
  assert.equal(json.pre_tokenizer?.type, 'ByteLevel');
  assert.equal(json.decoder.type, 'ByteLevel');
  assert.equal(json.model.merges.length, 3);
  assert.equal(json.model.merges[0], `${bpe.merges[0][0]} ${bpe.merges[0][1]}`);
  assert.equal(json.model.vocab.Ġ, 32);
  assert.deepEqual(json.added_tokens, [
    {
      id: 259,
      content: '<|endoftext|>',
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    },
  ]);
  const char = CharTokenizer.fromText('ba').toJSON();
  assert.equal(char.pre_tokenizer, null);
  assert.deepEqual(char.decoder, { type: 'Fuse' });
  assert.deepEqual(char.model.vocab, { a: 0, b: 1 });
  assert.deepEqual(char.model.merges, []);
  // Through JSON text and back, as a file would go.
  const path = join(dir, 'layout.json');
  await saveTokenizer(bpe, path);
  assert.deepEqual(JSON.parse(await readFile(path, 'utf8')), json);
});

/** A GPT-2 style file written by hand: the 256 byte tokens (id = byte), three merges, one added token. */
function handWrittenGPT2(merges: unknown[]): object {
  const vocab: Record<string, number> = {};
  BYTE_TO_UNICODE.forEach((ch, b) => {
    vocab[ch] = b;
  });
  Object.assign(vocab, { lo: 256, he: 257, ll: 258 });
  return {
    version: '1.0',
    added_tokens: [{ id: 259, content: '<|endoftext|>', special: true, lstrip: false, rstrip: false }],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true },
    model: {
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      vocab,
      merges,
    },
  };
}

test('a hand-written GPT-2 style tokenizer.json loads, with merges as strings or pairs', () => {
  for (const merges of [
    ['l o', 'h e', 'l l'],
    [
      ['l', 'o'],
      ['h', 'e'],
      ['l', 'l'],
    ],
  ]) {
    const tok = tokenizerFromJSON(handWrittenGPT2(merges));
    assert.equal(tok.kind, 'bpe');
    assert.equal(tok.vocabSize, 260);
    // By rank: 'l o' first gives h e l lo; then 'h e' gives he l lo; 'l l' no longer applies.
    // (Left to right it would have been he ll o.)
    assert.deepEqual(tok.encode('hello'), [257, 108, 256]);
    assert.deepEqual(tok.encode(' hello<|endoftext|>'), [32, 257, 108, 256, 259]);
    assert.deepEqual(tok.encode('all'), [97, 258]);
    assert.equal(tok.decode([32, 257, 108, 256, 259]), ' hello<|endoftext|>');
    assert.equal(tok.idToToken(32), 'Ġ');
  }
});

test('ignore_merges (Llama 3): a word that is a token is taken whole', () => {
  const json = handWrittenGPT2(['l o', 'h e', 'l l']) as { model: { vocab: Record<string, number> } };
  json.model.vocab.hello = 260;
  assert.deepEqual(tokenizerFromJSON(json).encode('hello'), [257, 108, 256]);
  const ignoring = tokenizerFromJSON({ ...json, model: { ...json.model, ignore_merges: true } });
  assert.deepEqual(ignoring.encode('hello hello'), [260, 32, 257, 108, 256]); // 'Ġhello' is no token
  assert.equal(ignoring.toJSON().model.ignore_merges, true);
});

test('a hand-written character tokenizer.json loads', () => {
  const tok = tokenizerFromJSON({
    added_tokens: [{ id: 3, content: '<unk>', special: true }],
    pre_tokenizer: null,
    decoder: { type: 'Fuse' },
    model: { type: 'BPE', vocab: { a: 0, b: 1, 接: 2, '<unk>': 3 }, merges: [], unk_token: '<unk>' },
  });
  assert.ok(tok instanceof CharTokenizer);
  assert.deepEqual(tok.encode('ab接x'), [0, 1, 2, 3]);
  assert.equal(tok.decode([2, 0]), '接a');
});

test('loading explains what is wrong', async () => {
  const write = async (name: string, content: string) => {
    const path = join(dir, name);
    await writeFile(path, content);
    return path;
  };
  const missing = join(dir, 'missing.json');
  await assert.rejects(loadTokenizer(missing), { message: `loadTokenizer: ${missing}: no such file` });
  const bad = await write('bad.json', '{"model": ');
  await assert.rejects(loadTokenizer(bad), new RegExp(`loadTokenizer: ${bad} is not valid JSON`));

  const gpt2 = handWrittenGPT2(['l o']) as { model: Record<string, unknown> };
  const cases: [unknown, RegExp][] = [
    [[], /expected a JSON object/],
    [
      { model: { type: 'Unigram', vocab: [] } },
      /unsupported model type "Unigram" \(jielong reads BPE models\)/,
    ],
    [
      { ...gpt2, model: { ...gpt2.model, merges: ['l zz'] } },
      /merge 0 \("l zz"\) refers to unknown token "zz"/,
    ],
    [
      { ...gpt2, model: { ...gpt2.model, merges: ['h l'] } },
      /merge 0 \("h l"\) makes "hl", which is not in the vocab/,
    ],
    [{ ...gpt2, model: { ...gpt2.model, merges: ['l o', 'l o'] } }, /merge 1 \("l o"\) repeats merge 0/],
    [
      { ...gpt2, model: { ...gpt2.model, merges: ['lo'] } },
      /model.merges\[0\] is "lo"; expected "left right"/,
    ],
    [
      { ...gpt2, added_tokens: [], model: { ...gpt2.model, vocab: { a: 0 } } },
      /the vocab lacks "\u0100", the token for byte 0/,
    ],
    [
      { ...gpt2, added_tokens: [], model: { ...gpt2.model, vocab: { a: 0, b: 2 } } },
      /token "b" has id 2; ids must run from 0 to n-1/,
    ],
    [
      { ...gpt2, model: { ...gpt2.model, byte_fallback: true } },
      /model.byte_fallback = true is not supported/,
    ],
    [{ ...gpt2, pre_tokenizer: { type: 'Metaspace' } }, /decoder: unsupported decoder .*SentencePiece-style/],
    [
      { ...gpt2, pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Whitespace' }] } },
      /pre_tokenizer.pretokenizers\[0\]: unsupported pre-tokenizer "Whitespace"/,
    ],
    [
      {
        ...gpt2,
        pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'ByteLevel' }, { type: 'Digits' }] },
      },
      /pre_tokenizer.pretokenizers\[0\]: ByteLevel must be the last/,
    ],
    [
      {
        ...gpt2,
        pre_tokenizer: {
          type: 'Sequence',
          pretokenizers: [
            { type: 'Split', pattern: { Regex: 'a++' }, behavior: 'Isolated' },
            { type: 'ByteLevel' },
          ],
        },
      },
      /pre_tokenizer.pretokenizers\[0\].pattern.Regex "a\+\+" is not a regex jielong can run/,
    ],
    [
      {
        ...gpt2,
        pre_tokenizer: {
          type: 'Sequence',
          pretokenizers: [
            { type: 'Split', pattern: { String: ' ' }, behavior: 'Removed' },
            { type: 'ByteLevel' },
          ],
        },
      },
      /pre_tokenizer.pretokenizers\[0\].behavior "Removed" is not supported/,
    ],
    [
      {
        ...gpt2,
        post_processor: {
          type: 'TemplateProcessing',
          single: [{ SpecialToken: { id: 'e' } }, { Sequence: { id: 'A' } }],
          special_tokens: { e: { id: 'e', ids: [7], tokens: ['<|endoftext|>'] } },
        },
      },
      /post_processor.special_tokens\["e"\].ids is \[7\] but "<\|endoftext\|>" is id 259/,
    ],
    [
      { ...gpt2, post_processor: { type: 'BertProcessing' } },
      /post_processor: unsupported post-processor "BertProcessing"/,
    ],
    [
      { ...gpt2, pre_tokenizer: { type: 'Metaspace' }, model: { ...gpt2.model, ignore_merges: true } },
      /model.ignore_merges = true is not supported/,
    ],
    [
      {
        ...gpt2,
        pre_tokenizer: { type: 'Metaspace', prepend_scheme: 'sometimes' },
        decoder: { type: 'Metaspace' },
      },
      /pre_tokenizer.prepend_scheme must be "always", "first" or "never", got "sometimes"/,
    ],
    [
      {
        ...gpt2,
        pre_tokenizer: { type: 'Metaspace' },
        decoder: { type: 'Metaspace' },
        model: { ...gpt2.model, byte_fallback: 'yes' },
      },
      /model.byte_fallback must be true or false, got "yes"/,
    ],
    [
      {
        ...gpt2,
        pre_tokenizer: null,
        normalizer: { type: 'Lowercase' },
        decoder: { type: 'Metaspace' },
      },
      /unsupported normalizer \{"type":"Lowercase"\}/,
    ],
    [
      {
        ...gpt2,
        pre_tokenizer: null,
        normalizer: { type: 'Replace', pattern: { String: ' ' }, content: '▁' },
        decoder: { type: 'Metaspace' },
        added_tokens: [{ id: 259, content: '<m>', normalized: true }],
      },
      /added_tokens\[0\].normalized = true is not supported with a normalizer/,
    ],
    [{ ...gpt2, decoder: null }, /a ByteLevel pre_tokenizer needs a ByteLevel decoder, not null/],
    [{ ...gpt2, normalizer: { type: 'Lowercase' } }, /unsupported normalizer Lowercase/],
    [
      { ...gpt2, added_tokens: [{ id: 259, content: '<m>', lstrip: true }] },
      /added token "<m>": lstrip is not supported/,
    ],
  ];
  for (const [json, message] of cases) {
    const path = await write('case.json', JSON.stringify(json));
    await assert.rejects(loadTokenizer(path), (e: Error) => {
      assert.match(e.message, new RegExp(`^loadTokenizer: ${path}: `));
      assert.match(e.message, message);
      return true;
    });
  }
});
