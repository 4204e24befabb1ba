// mergekit's recipe format read and checked: a full recipe comes back typed; errors name the file and the
// field; a parameter resolves per tensor by filter, by gradient over the layers, or as a plain number.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRecipe, resolveParameter } from '../../src/merge/index.js';

const RECIPE = `
merge_method: ties
base_model: out/base
models:
  - model: out/math
    parameters: { weight: 0.5, density: 0.5 }
  - model: out/chat
    parameters:
      weight: [{ filter: mlp, value: 0.7 }, { value: 0.3 }]
      density: [0.2, 0.8]
parameters: { normalize: 1 }
dtype: float32
`;

test('a recipe with models, filters and gradients comes back as written', () => {
  const r = parseRecipe(RECIPE, 'merge.yml');
  assert.equal(r.merge_method, 'ties');
  assert.equal(r.base_model, 'out/base');
  assert.deepEqual(
    r.models?.map((m) => m.model),
    ['out/math', 'out/chat'],
  );
  const chat = r.models![1].parameters!;
  assert.equal(resolveParameter(chat.weight, 'h.2.mlp.c_fc.weight'), 0.7);
  assert.equal(resolveParameter(chat.weight, 'h.2.attn.c_attn.weight'), 0.3);
  assert.equal(resolveParameter(chat.density, 'h.0.mlp.c_fc.weight', 0), 0.2);
  assert.ok(Math.abs(resolveParameter(chat.density, 'h.2.mlp.c_fc.weight', 0.5) - 0.5) < 1e-12);
  assert.equal(resolveParameter(chat.density, 'h.3.mlp.c_fc.weight', 1), 0.8);
  assert.equal(resolveParameter(0.25, 'anything'), 0.25);
  assert.equal(resolveParameter([0, 1, 0], 'x', 0.25), 0.5);
  const sliced = parseRecipe(
    'merge_method: slerp\nbase_model: a\nslices:\n  - sources:\n      - { model: a, layer_range: [0, 4] }\n      - { model: b, layer_range: [0, 4] }\nparameters: { t: 0.5 }\n',
    's.yml',
  );
  assert.deepEqual(sliced.slices?.[0].sources[1].layer_range, [0, 4]);
});

test('errors name the file and the field', () => {
  for (const [text, message] of [
    ['merge_method: average\nmodels: [{ model: a }]', /m\.yml: merge_method: /],
    [
      'merge_method: ties\nmodels: [{ model: a }]',
      /m\.yml: the recipe: every method but linear and passthrough merges into a base model/,
    ],
    ['merge_method: linear', /m\.yml: the recipe: give models or slices, one of the two/],
    [
      'merge_method: linear\nmodels: [{ model: a, parameters: { weight: high } }]',
      /m\.yml: models\.0\.parameters\.weight: /,
    ],
    [
      'merge_method: linear\nmodels: [{ model: a }]\nmodel_typo: 1',
      /m\.yml: the recipe: Unrecognized key.*model_typo/,
    ],
    ['merge_method: [unclosed', /m\.yml: not valid YAML/],
  ] as const) {
    assert.throws(() => parseRecipe(text, 'm.yml'), message, text);
  }
  assert.throws(
    () => resolveParameter([{ filter: 'mlp', value: 1 }], 'h.0.attn.weight'),
    /no value of the parameter fits h\.0\.attn\.weight/,
  );
});
