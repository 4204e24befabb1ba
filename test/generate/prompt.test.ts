// A prompt starts with the BOS its tokenizer's model expects (Llama's <s>), and with nothing for
// tokenizers that have none (jielong's own).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { promptIds } from '../../src/generate/index.js';
import { CharTokenizer, tokenizerFromJSON } from '../../src/tokenizer/index.js';

test('promptIds: BOS first where the tokenizer adds one, never an EOS', () => {
  const path = new URL('../../../test/fixtures/tokenizers/llama-legacy/tokenizer.json', import.meta.url);
  const llama = tokenizerFromJSON(JSON.parse(readFileSync(path, 'utf8')));
  assert.ok(llama.addBos && llama.bosId !== null);
  assert.deepEqual(promptIds(llama, 'Hello world'), [llama.bosId!, ...llama.encode('Hello world')]);
  const char = CharTokenizer.fromText('abc');
  assert.deepEqual(promptIds(char, 'abc'), char.encode('abc'));
});
