// A seeded slice of scripts/fuzz-gguf.ts (npm run fuzz:gguf runs thousands): truncated files, flipped
// bytes and lying counts, lengths, dims and offsets import or fail with an Error naming the file, each
// quickly and without a large allocation.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fuzzGGUF } from '../../scripts/fuzz-gguf.js';

test('hostile GGUF files: clean errors naming the file, no hang, no large allocation', () => {
  const r = fuzzGGUF(400, 7);
  assert.deepEqual(r.unnamed, []);
  assert.deepEqual(r.slow, []);
  assert.equal(r.loaded + r.refused, 400);
  assert.ok(r.refused > 200, `only ${r.refused} of 400 refused`);
  assert.ok(r.peakRss < 512 * 2 ** 20, `peak RSS ${r.peakRss}`);
});
