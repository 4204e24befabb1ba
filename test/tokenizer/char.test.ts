// Character tokenizer: one id per code point, sorted, round trips, unknown characters.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CharTokenizer } from '../../src/tokenizer/index.js';
import { SAMPLES } from './samples.js';

test('ids follow code point order, so the same text gives the same ids', () => {
  // UTF-16 order would put 😀 (\uD83D\uDE00) before ｱ (\uFF71); code point order puts it after.
  const tok = CharTokenizer.fromText('ｱc😀ba c');
  assert.deepEqual(
    Array.from({ length: tok.vocabSize }, (_, id) => tok.idToToken(id)),
    [' ', 'a', 'b', 'c', 'ｱ', '😀'],
  );
  assert.deepEqual(CharTokenizer.fromText('cab').encode('abc'), [0, 1, 2]);
  assert.equal(tok.kind, 'char');
});

test('encode then decode gives back the exact text', () => {
  const tok = CharTokenizer.fromText(SAMPLES.join(''));
  for (const text of SAMPLES) {
    const ids = tok.encode(text);
    assert.equal(ids.length, [...text].length, JSON.stringify(text)); // one id per code point
    assert.equal(tok.decode(ids), text, JSON.stringify(text));
  }
});

test('special tokens come last and encode as one id only when allowed', () => {
  const tok = CharTokenizer.fromText('ab<>|', { specialTokens: ['<|s|>', '|'] });
  assert.equal(tok.specialTokens.get('<|s|>'), 4);
  assert.equal(tok.specialTokens.get('|'), 5);
  assert.deepEqual(tok.encode('a<|s|>b|'), [2, 4, 3, 5]);
  // Without allowSpecial the text is plain characters; '|' is then not in the ordinary vocabulary.
  assert.throws(() => tok.encode('a<|s|>', { allowSpecial: false }), /character '\|' \(U\+007C\) at index 2/);
  assert.deepEqual(tok.encode('a<>', { allowSpecial: false }), [2, 0, 1]);
});

test('unknown characters throw naming the character and its index, or map to the unk token', () => {
  const tok = CharTokenizer.fromText('abc');
  assert.throws(
    () => tok.encode('ab😀xc'),
    /CharTokenizer.encode: character '😀' \(U\+1F600\) at index 2 is not in the vocabulary/,
  );
  // Indices count UTF-16 units, as JavaScript's string indices do.
  assert.throws(() => CharTokenizer.fromText('ab😀').encode('😀x'), /'x' \(U\+0078\) at index 2/);
  const withUnk = CharTokenizer.fromText('abc', { unkToken: '<unk>' });
  assert.equal(withUnk.specialTokens.get('<unk>'), 3);
  assert.deepEqual(withUnk.encode('a😀c'), [0, 3, 2]);
  assert.equal(withUnk.decode(withUnk.encode('a😀c')), 'a<unk>c');
});

test('bad input gets a clear error', () => {
  const tok = CharTokenizer.fromText('abc');
  assert.throws(() => tok.encode('a\uDBFF'), /lone surrogate \\uDBFF at index 1/);
  assert.throws(() => CharTokenizer.fromText('x\uDC00'), /CharTokenizer.fromText: text has a lone surrogate/);
  assert.throws(() => tok.decode([0, 3]), /token id 3 at position 1 is out of range \(ids run from 0 to 2\)/);
  assert.throws(
    () => new CharTokenizer(new Map([['ab', 0]])),
    /CharTokenizer: vocab token "ab" is not a single character/,
  );
  assert.throws(
    () => new CharTokenizer(new Map([['a', 1]])),
    /token "a" has id 1; ids must run from 0 to n-1/,
  );
  const specials = new Map([['<s>', 2]]);
  assert.throws(
    () =>
      new CharTokenizer(
        new Map([
          ['a', 0],
          ['<s>', 2],
        ]),
        { specialTokens: specials },
      ),
    /no token has id 1/,
  );
  assert.throws(
    () => new CharTokenizer(new Map([['a', 0]]), { unkToken: '?' }),
    /unk token "\?" is not among the special tokens/,
  );
});
