// A seeded slice of scripts/fuzz-hf.ts (npm run fuzz:hf runs thousands): hostile Hugging Face folders load
// or fail with a plain Error naming the folder and the file, quickly and without a huge allocation.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fuzzHF } from '../../scripts/fuzz-hf.js';

test('hostile Hugging Face folders: every failure a clean Error naming its file, none slow', () => {
  const r = fuzzHF(300, 7);
  assert.deepEqual(r.unclean, []);
  assert.equal(r.loaded + r.refused, 300);
  assert.ok(r.refused > 150, `only ${r.refused} refused`);
  assert.ok(r.slowestMs < 2000, `${r.slowest} took ${r.slowestMs} ms`);
  assert.ok(r.peakRss < 1024 * 2 ** 20, `peak RSS ${r.peakRss}`);
});
