// GPT-2's byte table and pre-tokenisation regex, against known GPT-2 values.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BYTE_TO_UNICODE,
  byteLevelToBytes,
  bytesToByteLevel,
  pretokenize,
} from '../../src/tokenizer/index.js';

test('the byte table matches GPT-2: printable bytes stay, the rest move to U+0100 on', () => {
  assert.equal(BYTE_TO_UNICODE.length, 256);
  assert.equal(new Set(BYTE_TO_UNICODE).size, 256);
  assert.equal(BYTE_TO_UNICODE[0x20], 'Ġ'); // GPT-2's space
  assert.equal(BYTE_TO_UNICODE[0x0a], 'Ċ'); // newline
  assert.equal(BYTE_TO_UNICODE[0x09], 'ĉ'); // tab
  assert.equal(BYTE_TO_UNICODE[0x00], '\u0100');
  assert.equal(BYTE_TO_UNICODE[0x7f], '\u0121');
  assert.equal(BYTE_TO_UNICODE[0xad], '\u0143'); // soft hyphen, the last byte moved
  assert.equal(BYTE_TO_UNICODE[0x41], 'A');
  assert.equal(BYTE_TO_UNICODE[0xe9], 'é');
});

test('byte-level spelling round-trips all bytes and rejects foreign characters', () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  assert.deepEqual(byteLevelToBytes(bytesToByteLevel(all)), all);
  assert.equal(bytesToByteLevel(new TextEncoder().encode(' hé')), 'ĠhÃ©');
  assert.throws(() => byteLevelToBytes('a\u0200'), /U\+0200.*not in the GPT-2 byte-to-unicode table/);
});

// Expected splits are those of GPT-2's pattern under Python's `regex` module (the library GPT-2 used).
test('pre-tokenisation splits as GPT-2 does', () => {
  const cases: [string, string[]][] = [
    ["I'm here  now", ['I', "'m", ' here', ' ', ' now']],
    ['Hello world123 !!!', ['Hello', ' world', '123', ' !!!']],
    ["don't DON'T we'll", ['don', "'t", ' DON', "'", 'T', ' we', "'ll"]],
    ['a\n\nb', ['a', '\n', '\n', 'b']],
    ['end  \n', ['end', '  \n']],
    ['  leading', [' ', ' leading']],
    ['a\u00a0 b', ['a', '\u00a0', ' b']],
    ['\u0085x', ['\u0085', 'x']], // U+0085 is whitespace for GPT-2, not for JavaScript's \s
    ['\ufeffx', ['\ufeff', 'x']], // and U+FEFF the other way round
    ['接龍 3.5', ['接龍', ' 3', '.', '5']],
    ['', []],
  ];
  for (const [text, want] of cases) assert.deepEqual(pretokenize(text), want, JSON.stringify(text));
});
