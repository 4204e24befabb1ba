// Reading user text: UTF-8 decoded exactly, with clear errors for missing and mis-encoded files.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { readTextFile } from '../../src/data/index.js';

const dir = mkdtempSync(join(tmpdir(), 'jielong-text-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('UTF-8 text reads back exactly, multi-byte characters included', () => {
  const path = join(dir, 'poem.txt');
  // "café" and a CJK character, written as raw bytes so the test does not rely on the decoder it checks.
  writeFileSync(path, Buffer.from([0x63, 0x61, 0x66, 0xc3, 0xa9, 0x0a, 0xe9, 0xbe, 0x99]));
  assert.equal(readTextFile(path), 'caf\u00e9\n\u9f99');
});

test('missing files and invalid UTF-8 fail with clear errors', () => {
  assert.throws(() => readTextFile(join(dir, 'nope.txt')), /readTextFile: no such file: .*nope\.txt/);
  const bad = join(dir, 'latin1.txt');
  writeFileSync(bad, Buffer.from([0x63, 0x61, 0x66, 0xe9])); // "café" in Latin-1
  assert.throws(() => readTextFile(bad), /readTextFile: .*latin1\.txt is not valid UTF-8/);
  assert.throws(() => readTextFile(dir), /readTextFile: cannot read/);
});
