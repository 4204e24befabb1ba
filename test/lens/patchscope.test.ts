// Patchscopes and back-patching against answers known in advance: a state patched into the same prompt,
// layer and position changes nothing, and neither does back-patching a layer onto itself; a patch reaches
// only the positions after it; the world's inspection prompts put the placeholder where they say.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { generateWorld } from '../../src/data/index.js';
import {
  attributePrompt,
  backpatch,
  backpatchPairs,
  echoPrompt,
  greedyAnswer,
  identityPrompt,
  patchInto,
  patchscope,
  residPatch,
  residPoint,
  residStream,
  runWithHooks,
} from '../../src/lens/index.js';
import { CharTokenizer } from '../../src/tokenizer/index.js';
import { assertClose } from '../helpers.js';
import { build, forward, ids, MODELS } from './models.js';

for (const [label, mixer] of MODELS) {
  describe(`patchscopes and back-patching on ${label}`, () => {
    const model = build(mixer);
    const L = model.config.nLayer;
    const prompt = Array.from(ids(4, 1, 6).data);
    const plain = forward(model, ids(4, 1, 6));
    const V = plain.shape[2];
    const lastRow = plain.data.subarray(5 * V, 6 * V);

    test('residPoint: the stream entering each block, then the output', () => {
      assert.equal(residPoint(model, 0), 'blocks.0.hook_resid_pre');
      assert.equal(residPoint(model, L), `blocks.${L - 1}.hook_resid_post`);
      assert.throws(() => residPoint(model, L + 1), /layer \d+ is out of range 0\.\.\d+/);
    });

    for (let layer = 0; layer <= L; layer++) {
      test(`patching layer ${layer}'s state into the same prompt, layer and position is the identity`, () => {
        for (const position of [0, 3, 5]) {
          const site = { ids: prompt, layer, position };
          const out = patchscope(model, site, site, { maxTokens: 3 });
          assertClose(out.logits, lastRow, 1e-6, `position ${position}`);
        }
      });
    }

    test('a patch changes nothing before its position and reaches the last', () => {
      const other = residStream(model, Array.from(ids(9, 1, 6).data));
      const patched = runWithHooks(model, ids(4, 1, 6), [residPatch(model, 1, 3, other[1][4])]);
      assertClose(patched.data.subarray(0, 3 * V), plain.data.subarray(0, 3 * V), 1e-6, 'rows before 3');
      const last = patched.data.subarray(5 * V, 6 * V);
      assert.ok(
        last.some((v, i) => Math.abs(v - lastRow[i]) > 1e-4),
        'the last position sees the patch',
      );
      const scoped = patchInto(model, other[1][4], { ids: prompt, layer: 1, position: 3 }, { maxTokens: 1 });
      assertClose(scoped.logits, last, 1e-6, 'patchInto reads the same run');
    });

    test('back-patching a layer onto itself changes nothing', () => {
      const answer = [prompt[0], prompt[1]];
      const base = greedyAnswer(model, prompt, answer);
      for (let layer = 0; layer <= L; layer++) {
        const same = backpatch(model, prompt, answer, { from: layer, to: layer });
        assert.equal(same.known, base.known);
        assertClose([same.firstTokenProb], [base.firstTokenProb], 1e-6);
      }
      assert.throws(() => backpatch(model, prompt, answer, { from: 0, to: 1 }), /patches forward/);
    });

    test('every pair of a later layer into an earlier one', () => {
      const pairs = backpatchPairs(model);
      assert.equal(pairs.length, (L * (L + 1)) / 2);
      assert.ok(pairs.every((p) => p.to < p.from && p.from <= L));
    });
  });
}

test('the inspection prompts put the placeholder where they say', () => {
  const world = generateWorld(1);
  const tokenizer = CharTokenizer.fromText(
    `${world.people.map((p) => p.name).join(' ')} ${world.cities.map((c) => c.name).join(' ')} ${world.countries.map((c) => c.name).join(' ')} ->;?:\nQAWhatdoesenjoylivesin x`,
  );
  const at = (p: { ids: number[]; position: number }) => tokenizer.decode(p.ids.slice(0, p.position + 1));
  const identity = identityPrompt(tokenizer, ['Rivermouth', 'Norland']);
  assert.equal(tokenizer.decode(identity.ids), 'Rivermouth -> Rivermouth; Norland -> Norland; x ->');
  assert.ok(at(identity).endsWith('Norland; x'));
  const echo = echoPrompt(tokenizer);
  assert.equal(tokenizer.decode(echo.ids), 'Q: What does x enjoy?\nA:');
  assert.ok(at(echo).endsWith('does x'));
  const attribute = attributePrompt(tokenizer, 'lives in');
  assert.equal(tokenizer.decode(attribute.ids), ' x lives in');
  assert.equal(attribute.position, 1);
});
