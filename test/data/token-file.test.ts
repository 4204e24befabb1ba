// Token files: round trips in both widths, a byte layout checked by hand, and clear errors on bad files.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { readTokenFile, tokenDtype, tokenizeToFile, writeTokenFile } from '../../src/data/index.js';

const dir = mkdtempSync(join(tmpdir(), 'jielong-tokens-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Bytes as a character-level tokenizer would give them; vocabSize chosen by the test. */
function byteTokenizer(vocabSize: number) {
  return { vocabSize, encode: (text: string) => [...Buffer.from(text, 'utf8')] };
}

test('the dtype is uint16 while every id fits in 16 bits', () => {
  assert.equal(tokenDtype(65), 'uint16');
  assert.equal(tokenDtype(50257), 'uint16');
  assert.equal(tokenDtype(65536), 'uint16');
  assert.equal(tokenDtype(65537), 'uint32');
  assert.throws(() => tokenDtype(0), /vocabSize must be an integer/);
});

test('a uint16 file has the documented bytes and reads back', () => {
  const path = join(dir, 'small.bin');
  const written = tokenizeToFile('Ab', byteTokenizer(256), path);
  assert.ok(written instanceof Uint16Array);
  // "JLTK", version 1, 2 bytes per token, count 2 (uint64), then 65 and 98 little-endian.
  const expected = [74, 76, 84, 75, 1, 0, 2, 0, 2, 0, 0, 0, 0, 0, 0, 0, 65, 0, 98, 0];
  assert.deepEqual([...readFileSync(path)], expected);
  const read = readTokenFile(path);
  assert.ok(read instanceof Uint16Array);
  assert.deepEqual([...read], [65, 98]);
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.endsWith('.tmp')),
    [],
    'a temp file was left behind',
  );
});

test('uint16 and uint32 files round-trip, the largest ids included', () => {
  for (const vocabSize of [65536, 70000, 2 ** 32]) {
    const tokens = [0, 1, 255, 256, 65535, vocabSize - 1, 12345];
    const path = join(dir, `v${vocabSize}.bin`);
    writeTokenFile(path, tokens, vocabSize);
    const read = readTokenFile(path);
    assert.equal(read.BYTES_PER_ELEMENT, vocabSize <= 65536 ? 2 : 4);
    assert.deepEqual([...read], tokens);
  }
  const empty = join(dir, 'empty.bin');
  writeTokenFile(empty, [], 10);
  assert.equal(readTokenFile(empty).length, 0);
});

test('rewriting a file replaces it whole', () => {
  const path = join(dir, 'again.bin');
  writeTokenFile(path, [1, 2, 3, 4, 5], 10);
  writeTokenFile(path, [9], 10);
  assert.deepEqual([...readTokenFile(path)], [9]);
});

test('ids outside the vocabulary are refused, naming the token', () => {
  const path = join(dir, 'bad-ids.bin');
  assert.throws(
    () => writeTokenFile(path, [1, 2, 300], 256),
    /token 2 of .*bad-ids\.bin is 300, outside \[0, 256\)/,
  );
  assert.throws(() => writeTokenFile(path, [1.5], 256), /token 0 .* is 1\.5/);
  assert.throws(() => writeTokenFile(path, [-1], 256), /is -1/);
});

test('corrupt files fail with clear errors', () => {
  const good = join(dir, 'good.bin');
  writeTokenFile(good, [1, 2, 3], 100);
  const bytes = readFileSync(good);
  const write = (name: string, data: Uint8Array): string => {
    const path = join(dir, name);
    writeFileSync(path, data);
    return path;
  };
  assert.throws(() => readTokenFile(join(dir, 'missing.bin')), /cannot read .*missing\.bin/);
  assert.throws(
    () => readTokenFile(write('short.bin', bytes.subarray(0, 10))),
    /truncated: 10 bytes, shorter than the header/,
  );
  const magic = Buffer.from(bytes);
  magic.write('GPT2', 0, 'latin1');
  assert.throws(() => readTokenFile(write('magic.bin', magic)), /not a token file: magic "GPT2"/);
  const version = Buffer.from(bytes);
  version[4] = 9;
  assert.throws(() => readTokenFile(write('version.bin', version)), /version 9/);
  const width = Buffer.from(bytes);
  width[6] = 3;
  assert.throws(() => readTokenFile(write('width.bin', width)), /3 bytes per token/);
  assert.throws(
    () => readTokenFile(write('cut.bin', bytes.subarray(0, bytes.length - 1))),
    /truncated: the header promises 3 tokens \(22 bytes\), the file has 21/,
  );
  assert.throws(
    () => readTokenFile(write('long.bin', Buffer.concat([bytes, Buffer.from([0, 0])]))),
    /wrong size: 24 bytes where 3 tokens take 22/,
  );
});
