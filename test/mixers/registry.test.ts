// The registry owns the list of mixer kinds: every kind runs the conformance suite; a model config's
// mixerOptions are settings per kind, checked against what each kind declares; a config saved with the
// old flat record still loads.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { serializeSafetensors } from '../../src/io/index.js';
import { MIXER_KINDS, settingNames } from '../../src/mixers/index.js';
import { LanguageModel, type ModelConfig, makeConfig, migrateConfig } from '../../src/model/index.js';
import { CharTokenizer } from '../../src/tokenizer/index.js';
import { loadCheckpoint } from '../../src/train/index.js';

const TESTS = fileURLToPath(new URL('../../../test/mixers/', import.meta.url));

test('every registered kind runs the conformance suite from its own test file', () => {
  for (const kind of MIXER_KINDS) {
    const source = readFileSync(join(TESTS, `${kind}.test.ts`), 'utf8');
    assert.match(source, new RegExp(`mixerConformance\\('${kind}'`), `test/mixers/${kind}.test.ts`);
  }
});

const base = { vocabSize: 12, nLayer: 2, nHead: 2, nEmbd: 16 } as const;

test('settings go per kind, each checked: unknown ones and kinds not in the model are named', () => {
  const config = makeConfig({
    ...base,
    mixer: ['mamba', 'gla'],
    mixerOptions: { mamba: { dState: 4 }, gla: { convSize: 3 } },
  });
  const model = new LanguageModel(config);
  assert.ok(
    model.namedParameters().some(([n, p]) => n === 'transformer.h.0.mixer.A_log' && p.shape[1] === 4),
  );
  assert.ok(model.namedParameters().some(([n]) => n === 'transformer.h.1.mixer.q_conv1d.weight'));
  assert.throws(
    () => makeConfig({ ...base, mixer: 'mamba', mixerOptions: { mamba: { dstate: 4 } as never } }),
    /model config: mixerOptions.mamba: unknown setting "dstate" \(its settings are expand, dState, convSize, dtRank, chunkSize\)/,
  );
  assert.throws(
    () => makeConfig({ ...base, mixer: 'mamba', mixerOptions: { gla: { convSize: 4 } } }),
    /model config: mixerOptions.gla: no layer of this model is one \(the model's mixers are mamba\)/,
  );
  assert.throws(
    () => makeConfig({ ...base, mixer: 'mamba', mixerOptions: { transformer: {} } as never }),
    /mixerOptions.transformer: not a mixer kind/,
  );
  assert.throws(
    () =>
      makeConfig({ ...base, mixer: 'attention', mixerOptions: { attention: { chunkSize: 16 } as never } }),
    /mixerOptions.attention: unknown setting "chunkSize" \(it has no settings\)/,
  );
  assert.throws(
    () => makeConfig({ ...base, mixer: 'mamba', mixerOptions: { mamba: { dState: 2.5 } } }),
    /mixerOptions.mamba: setting dState must be a positive integer, got 2.5/,
  );
  assert.throws(
    () => makeConfig({ ...base, mixer: 'mamba', mixerOptions: { mamba: { dState: '4' } as never } }),
    /setting dState must be a positive integer, got "4"/,
  );
  assert.throws(
    () => new LanguageModel({ ...config, mixerOptions: { dState: 4 } as never }),
    /mixerOptions.dState: settings go per kind, e.g. \{ mamba: \{ dState: 16 \} \}/,
  );
});

test("each kind's settings are the ones its layer reads", () => {
  assert.deepEqual(settingNames('attention'), []);
  assert.deepEqual(settingNames('lstm'), ['lstmHidden']);
  assert.deepEqual(settingNames('mamba'), ['expand', 'dState', 'convSize', 'dtRank', 'chunkSize']);
  for (const kind of ['linear-attention', 'retnet'] as const)
    assert.deepEqual(settingNames(kind), ['expandK', 'expandV', 'chunkSize', 'convSize']);
  assert.deepEqual(settingNames('gla'), [
    'expandK',
    'expandV',
    'chunkSize',
    'convSize',
    'gateLowRankDim',
    'gateLogitNormalizer',
  ]);
  assert.deepEqual(settingNames('deltanet'), ['convSize', 'chunkSize']);
  assert.deepEqual(settingNames('gated-deltanet'), ['headDim', 'expandV', 'convSize', 'chunkSize']);
});

test('a flat record (configs saved before settings were per kind) goes to the kinds that know each key', () => {
  const flat = (mixer: ModelConfig['mixer'], mixerOptions: Record<string, number>) =>
    migrateConfig({ mixer, mixerOptions } as Pick<ModelConfig, 'mixer' | 'mixerOptions'>).mixerOptions;
  assert.deepEqual(flat(['mamba', 'attention'], { dState: 16 }), { mamba: { dState: 16 } });
  assert.deepEqual(flat(['mamba', 'deltanet'], { convSize: 3, chunkSize: 16 }), {
    mamba: { convSize: 3, chunkSize: 16 },
    deltanet: { convSize: 3, chunkSize: 16 },
  });
  assert.deepEqual(flat('gla', { convSize: 4, expandK: 1 }), { gla: { convSize: 4, expandK: 1 } });
  assert.throws(
    () => flat('mamba', { lstmHidden: 8 }),
    /mixerOptions.lstmHidden: no mixer of this model \(mamba\) has this setting/,
  );
  assert.throws(
    () => flat('mamba', { dState: 4, mamba: {} } as never),
    /mixes settings per kind with flat ones/,
  );
  const same = { mixer: 'mamba', mixerOptions: { mamba: { dState: 4 } } } as const;
  assert.equal(migrateConfig(same), same);
  assert.deepEqual(
    makeConfig({ ...base, mixer: 'mamba', mixerOptions: { dState: 4 } as never }).mixerOptions,
    {
      mamba: { dState: 4 },
    },
  );
});

test('a checkpoint whose config.json has the flat record loads, its settings applied', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jielong-flat-'));
  try {
    const config = makeConfig({
      ...base,
      mixer: ['mamba', 'attention'],
      mixerOptions: { mamba: { dState: 4 } },
    });
    const model = new LanguageModel(config, { seed: 2 });
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, mixerOptions: { dState: 4 } }));
    writeFileSync(join(dir, 'model.safetensors'), serializeSafetensors(model.stateDict(), { format: 'pt' }));
    writeFileSync(
      join(dir, 'tokenizer.json'),
      JSON.stringify(CharTokenizer.fromText('abcdefghijkl').toJSON()),
    );
    const loaded = loadCheckpoint(dir, { verify: false }).model; // made by hand: no manifest
    assert.deepEqual(loaded.config.mixerOptions, { mamba: { dState: 4 } });
    assert.deepEqual(loaded.stateDict().get('transformer.h.0.mixer.A_log')?.shape, [32, 4]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
