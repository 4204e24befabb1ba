import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { writeDirAtomic, writeFileAtomic } from '../../src/io/index.js';

const root = mkdtempSync(join(tmpdir(), 'jielong-atomic-'));
after(() => rmSync(root, { recursive: true, force: true }));

let cases = 0;
/** A fresh empty folder per test, so listings show exactly what each write left behind. */
function freshDir(): string {
  const dir = join(root, String(cases++));
  mkdirSync(dir);
  return dir;
}

/** Every file under `dir` (relative path, sorted) with its content. */
function snapshot(dir: string): Record<string, string> {
  const files = readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => statSync(join(dir, f)).isFile())
    .sort();
  return Object.fromEntries(files.map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
}

// A value writeFileSync refuses once it gets to it: the write fails partway through the job.
const UNWRITABLE = 42 as unknown as Uint8Array;

describe('writeFileAtomic', () => {
  test('creates, then replaces, the file and leaves no temp files', () => {
    const dir = freshDir();
    const path = join(dir, 'out.txt');
    writeFileAtomic(path, 'first version, longer than the second');
    assert.deepEqual(snapshot(dir), { 'out.txt': 'first version, longer than the second' });
    writeFileAtomic(path, new Uint8Array(Buffer.from('second')));
    assert.deepEqual(snapshot(dir), { 'out.txt': 'second' });
  });

  test('a failed write keeps the old content, removes its temp file and names the target', () => {
    const dir = freshDir();
    const path = join(dir, 'out.txt');
    writeFileSync(path, 'old');
    assert.throws(
      () => writeFileAtomic(path, UNWRITABLE),
      (e: Error) => e.message.startsWith(`writeFileAtomic: cannot write ${path}:`),
    );
    assert.deepEqual(snapshot(dir), { 'out.txt': 'old' });
  });

  test('a missing folder is an error naming the path', () => {
    const path = join(freshDir(), 'missing', 'out.txt');
    assert.throws(
      () => writeFileAtomic(path, 'x'),
      (e: Error) => e.message.includes(path),
    );
  });
});

describe('writeDirAtomic', () => {
  test('creates a folder, then replaces it whole (files not in the new set are gone)', () => {
    const parent = freshDir();
    const ckpt = join(parent, 'ckpt');
    writeDirAtomic(ckpt, { 'model.bin': new Uint8Array(Buffer.from('weights v1')), 'old.json': '{}' });
    assert.deepEqual(snapshot(parent), { 'ckpt/model.bin': 'weights v1', 'ckpt/old.json': '{}' });
    writeDirAtomic(ckpt, { 'model.bin': 'weights v2', 'config.json': '{"step":2}' });
    assert.deepEqual(snapshot(parent), { 'ckpt/config.json': '{"step":2}', 'ckpt/model.bin': 'weights v2' });
    assert.deepEqual(readdirSync(parent), ['ckpt'], 'no temp or old folder left beside it');
  });

  test('a write failing midway leaves the old folder intact and nothing beside it', () => {
    const parent = freshDir();
    const ckpt = join(parent, 'ckpt');
    writeDirAtomic(ckpt, { 'model.bin': 'good weights', 'config.json': '{"step":1}' });
    const before = snapshot(parent);
    assert.throws(
      () => writeDirAtomic(ckpt, { 'a.bin': 'written first', 'model.bin': UNWRITABLE, 'z.bin': 'never' }),
      (e: Error) => e.message.startsWith(`writeDirAtomic: cannot write ${ckpt}:`),
    );
    assert.deepEqual(snapshot(parent), before);
    assert.deepEqual(readdirSync(parent), ['ckpt']);
  });

  test('rejects names that are not plain file names, and a target that is a file', () => {
    const parent = freshDir();
    const ckpt = join(parent, 'ckpt');
    for (const name of ['sub/model.bin', '../escape', '..', '.', '']) {
      assert.throws(() => writeDirAtomic(ckpt, { [name]: 'x' }), /is not a plain file name/);
    }
    writeFileSync(ckpt, 'a file');
    assert.throws(() => writeDirAtomic(ckpt, { 'a.bin': 'x' }), /exists and is not a folder/);
    assert.deepEqual(snapshot(parent), { ckpt: 'a file' });
  });
});
