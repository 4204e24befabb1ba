// A seeded slice of scripts/fuzz-checkpoints.ts (npm run fuzz:checkpoints runs thousands): hostile
// checkpoint folders, each loaded in a child process, load or fail naming the file; none crashes, hangs,
// passes damaged bytes or takes more than its memory.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fuzzCheckpoints } from '../../scripts/fuzz-checkpoints.js';

test('hostile checkpoint folders: no crash, no hang, no damaged bytes accepted, every error names its file', () => {
  const r = fuzzCheckpoints(12, 5);
  assert.deepEqual(r.crashes, []);
  assert.deepEqual(r.hangs, []);
  assert.deepEqual(r.accepted, []);
  assert.deepEqual(r.unnamed, []);
  assert.equal(r.loaded + r.refused, 12);
  assert.ok(r.peakRss < 512 * 2 ** 20, `peak RSS ${r.peakRss}`);
});
