// A token on its own: a partial character shows as U+FFFD, an id past the tokenizer (a padded model
// vocabulary) as <unused ID>; neither throws, as decode would.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ByteLevelBPE, tokenPiece } from '../../src/tokenizer/index.js';

test('tokenPiece: whole tokens, partial characters, padded ids', () => {
  const bpe = ByteLevelBPE.train('héllo wörld '.repeat(20), { vocabSize: 260 });
  const ids = bpe.encode('é');
  assert.equal(ids.length, 2, 'é is two byte tokens in a tiny vocabulary');
  assert.equal(tokenPiece(bpe, ids[0]), '\uFFFD');
  assert.throws(() => bpe.decode([ids[0]]));
  assert.equal(tokenPiece(bpe, bpe.encode('h')[0]), 'h');
  assert.equal(tokenPiece(bpe, bpe.vocabSize + 3), `<unused ${bpe.vocabSize + 3}>`);
});
