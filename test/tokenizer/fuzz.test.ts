// A seeded slice of scripts/fuzz-tokenizers.ts (npm run fuzz:tokenizers runs thousands): hostile
// tokenizer.json objects and GGUF vocabularies load or fail with a plain Error, quickly.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fuzzTokenizers } from '../../scripts/fuzz-tokenizers.js';

test('hostile tokenizer.json fields and GGUF vocabularies: clean errors, no crash, no hang', () => {
  const r = fuzzTokenizers(300, 11);
  assert.deepEqual(r.unclean, []);
  assert.deepEqual(r.slow, []);
  assert.equal(r.loaded + r.refused, 300);
  assert.ok(r.refused > 100, `only ${r.refused} refused: the mutations are too mild`);
});
