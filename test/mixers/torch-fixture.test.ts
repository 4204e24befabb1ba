// Every mixer layer against its PyTorch reference from a committed dump (see ./torch-fixture.ts and
// scripts/fixtures/make_mixer_fixtures.py): output and every gradient, on every backend.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { assertMatchesTorchFixture, fixtureKinds } from './torch-fixture.js';

describe('mixer layers vs PyTorch (test/fixtures/mixers)', () => {
  test('every registered mixer kind has a fixture', () => {
    const dir = fileURLToPath(new URL('../../../test/fixtures/mixers/', import.meta.url));
    const missing = fixtureKinds().filter((k) => !existsSync(`${dir}${k}.safetensors`));
    assert.deepEqual(missing, [], 'run /usr/bin/python3 scripts/fixtures/make_mixer_fixtures.py');
  });

  for (const kind of [
    'attention',
    'lstm',
    'linear-attention',
    'retnet',
    'gla',
    'mamba',
    'deltanet',
    'gated-deltanet',
  ] as const) {
    test(`${kind}: output and every gradient match`, (t) => {
      for (const e of assertMatchesTorchFixture(kind)) {
        t.diagnostic(
          `${kind} ${e.backend}: y ${e.y.toExponential(1)}, gradients ${e.grad.toExponential(1)} (${e.worstGrad})`,
        );
      }
    });
  }
});
