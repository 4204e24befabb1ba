// jielong against Hugging Face's tokenizers and SentencePiece themselves: tokenizer.json files those
// libraries built (scripts/fixtures/make_tokenizer_fixtures.py) must encode every tricky string to exactly
// the ids they gave, decode the same way, and survive jielong's own toJSON round trip.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  SentencePieceBPE,
  StreamDecoder,
  type Tokenizer,
  tokenizerFromJSON,
} from '../../src/tokenizer/index.js';

const DIR = 'test/fixtures/tokenizers';
const read = (path: string) => JSON.parse(readFileSync(`${DIR}/${path}`, 'utf8'));

interface Expected {
  ids: number[][];
  ids_with_special: number[][];
  decoded: string[];
}
const cases = read('cases.json') as { strings: string[]; tokenizers: Record<string, Expected> };

function assertMatches(tok: Tokenizer, expected: Expected, name: string): void {
  cases.strings.forEach((text, i) => {
    const what = `${name}: ${JSON.stringify(text)}`;
    const ids = tok.encode(text);
    assert.deepEqual(ids, expected.ids[i], what);
    assert.equal(tok.decode(ids), expected.decoded[i], `${what} decoded`);
    // Streaming gives the bytes of every token, so also the space SentencePiece's encode put first.
    const stream = new StreamDecoder(tok, { fatal: true });
    const streamed = ids.map((id) => stream.push(id)).join('') + stream.flush();
    const spm = tok.kind === 'spm' && tok.idToToken(ids[0] ?? 0).startsWith('▁');
    assert.equal(streamed, spm ? ` ${expected.decoded[i]}` : expected.decoded[i], `${what} streamed`);
  });
}

for (const [name, expected] of Object.entries(cases.tokenizers)) {
  test(`${name}: ids, decode and streaming equal Hugging Face's tokenizers`, () => {
    const tok = tokenizerFromJSON(read(`${name}/tokenizer.json`));
    assert.equal(tok.kind, name.startsWith('llama-') || name.startsWith('spm') ? 'spm' : 'bpe');
    assertMatches(tok, expected, name);
    cases.strings.forEach((text, i) => {
      assert.deepEqual(tok.addSpecialTokens(tok.encode(text)), expected.ids_with_special[i], text);
    });
  });

  test(`${name}: toJSON gives a file that reads back to the same ids`, () => {
    const tok = tokenizerFromJSON(read(`${name}/tokenizer.json`));
    const again = tokenizerFromJSON(JSON.parse(JSON.stringify(tok.toJSON())));
    assertMatches(again, expected, `${name} (rewritten)`);
    assert.deepEqual(again.toJSON(), tok.toJSON());
  });
}

test('SentencePieceBPE.fromScores (a GGUF vocabulary) encodes as SentencePiece and Hugging Face do', () => {
  const gguf = read('llama-legacy/gguf.json');
  // As a GGUF reader gives them: float32 scores, int32 types.
  const tok = SentencePieceBPE.fromScores(
    gguf.tokens,
    Float32Array.from(gguf.scores),
    Int32Array.from(gguf.types),
    {
      bos: gguf.bos,
      eos: gguf.eos,
      unk: gguf.unk,
    },
  );
  assert.equal(tok.bosId, 1);
  assert.equal(tok.eosId, 2);
  assert.ok(tok.addBos);
  const hf = cases.tokenizers['llama-legacy'];
  cases.strings.forEach((text, i) => {
    const ids = tok.encode(text);
    // SentencePiece itself, where it applies (it does not match special tokens in text) ...
    if (gguf.ids[i] !== null) assert.deepEqual(ids, gguf.ids[i], `sentencepiece: ${JSON.stringify(text)}`);
    // ... and Hugging Face's reading of the same model, special tokens included.
    assert.deepEqual(ids, hf.ids[i], `tokenizers: ${JSON.stringify(text)}`);
    assert.deepEqual(tok.addSpecialTokens(ids), hf.ids_with_special[i]);
    assert.equal(tok.decode(ids), hf.decoded[i]);
  });
  // Written as tokenizer.json, its merges are derived from the scores and give the same ids.
  const written = tokenizerFromJSON(JSON.parse(JSON.stringify(tok.toJSON())));
  cases.strings.forEach((text, i) => {
    assert.deepEqual(written.encode(text), hf.ids[i], `rewritten: ${JSON.stringify(text)}`);
  });
});

test('fromScores refuses inconsistent input by name', () => {
  assert.throws(() => SentencePieceBPE.fromScores(['a'], [0, 1], [1]), /1 tokens but 2 scores and 1 types/);
  assert.throws(() => SentencePieceBPE.fromScores(['a'], [0], [1], { bos: 5 }), /bos id 5 is out of range/);
  assert.throws(() => SentencePieceBPE.fromScores(['a'], [Number.NaN], [1]), /token 0 has score NaN/);
  assert.throws(
    () => SentencePieceBPE.fromScores(['a', 'a'], [0, 0], [1, 1]),
    /token "a" is both id 0 and 1/,
  );
});
