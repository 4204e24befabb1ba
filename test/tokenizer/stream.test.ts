// Streaming decode and decode's refusal of cut characters.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ByteLevelBPE, CharTokenizer, StreamDecoder } from '../../src/tokenizer/index.js';
import { SAMPLES } from './samples.js';

// No merges: one token per byte, so every multi-byte character is split across tokens.
const bytes = ByteLevelBPE.train('', { vocabSize: 256 });

test('a character split across byte tokens is emitted once complete', () => {
  const ids = bytes.encode('接');
  assert.deepEqual(ids, [0xe6, 0x8e, 0xa5]); // 接 is U+63A5, UTF-8 E6 8E A5
  const stream = new StreamDecoder(bytes);
  assert.deepEqual(
    ids.map((id) => stream.push(id)),
    ['', '', '接'],
  );
  assert.equal(stream.flush(), '');
});

test('streaming reproduces decode piece by piece for every sample', () => {
  const trained = ByteLevelBPE.train(SAMPLES.join(' '), { vocabSize: 300 });
  const chars = CharTokenizer.fromText(SAMPLES.join(''));
  for (const tok of [bytes, trained, chars]) {
    for (const text of SAMPLES) {
      const stream = new StreamDecoder(tok, { fatal: true });
      const pieces = tok.encode(text).map((id) => stream.push(id));
      pieces.push(stream.flush());
      assert.equal(pieces.join(''), text);
      // Each piece is whole characters: none holds a lone surrogate.
      assert.ok(pieces.every((p) => !/\p{Cs}/u.test(p)));
    }
  }
});

test('a ZWJ emoji sequence streams out code point by code point', () => {
  const stream = new StreamDecoder(bytes);
  const out = bytes.encode('👩‍💻').map((id) => stream.push(id));
  assert.deepEqual(
    out.filter((s) => s !== ''),
    ['👩', '\u200d', '💻'],
  );
});

test('a stream cut inside a character ends in U+FFFD, or throws when fatal', () => {
  const [first] = bytes.encode('é');
  const lenient = new StreamDecoder(bytes);
  assert.equal(lenient.push(first), '');
  assert.equal(lenient.flush(), '\uFFFD');
  assert.equal(lenient.push(0x61), 'a'); // flush starts afresh

  const strict = new StreamDecoder(bytes, { fatal: true });
  strict.push(first);
  assert.throws(() => strict.flush(), /StreamDecoder.flush: the stream ends inside a UTF-8 character/);
  assert.throws(
    () => strict.push(0x80),
    /StreamDecoder.push: token id 128 at position 0 makes the bytes invalid/,
  );
  assert.throws(() => lenient.push(9999), /token id 9999 .* out of range/);
});

test('decode refuses ids that cut a character instead of corrupting it', () => {
  const ids = bytes.encode('a接');
  assert.equal(bytes.decode(ids), 'a接');
  assert.throws(
    () => bytes.decode(ids.slice(0, 2)),
    /decode: the ids end inside a UTF-8 character.*StreamDecoder/,
  );
  assert.throws(
    () => bytes.decode([0x61, ids[2], 0x62]),
    /decode: token id 142 \("\u0130"\) at position 1 makes the bytes invalid UTF-8/,
  );
});
