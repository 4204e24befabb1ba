// Hook points are objects the modules declare: model.hookPoints() lists every one, each of them fires on a
// forward pass (and on a generation step through the state), and a name that is no point is an error.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MIXER_KINDS } from '../../src/mixers/index.js';
import { LanguageModel, makeConfig } from '../../src/model/index.js';
import { HookContext } from '../../src/nn/index.js';
import { Generator, randint, type Tensor } from '../../src/tensor/index.js';

const model = (mixer: (typeof MIXER_KINDS)[number], preset: 'gpt2' | 'llama' = 'gpt2') =>
  new LanguageModel(
    makeConfig({
      preset,
      vocabSize: 20,
      blockSize: 16,
      nLayer: 2,
      nHead: 2,
      nEmbd: 16,
      mixer: ['attention', mixer],
    }),
    { seed: 1 },
  );

function fired(run: (hooks: HookContext) => void): string[] {
  const cache = new Map<string, Tensor>();
  run(new HookContext(new Map(), cache));
  return [...cache.keys()].sort();
}

describe('hook points', () => {
  for (const kind of MIXER_KINDS) {
    test(`${kind}: every listed point fires, on a forward pass and on a generation step`, () => {
      for (const preset of ['gpt2', 'llama'] as const) {
        const m = model(kind, preset);
        const listed = [...m.hookPoints().keys()].sort();
        assert.equal(new Set(listed).size, listed.length, 'names are unique');
        const ids = randint(0, 20, [1, 6], new Generator(2));
        assert.deepEqual(
          fired((hooks) => m.forward(ids, { hooks })),
          listed,
        );
        const state = m.newState(1);
        m.forward(ids, { state });
        const step = fired((hooks) => m.forward(randint(0, 20, [1, 1], new Generator(3)), { hooks, state }));
        assert.deepEqual(step, listed, 'a decoding step passes the same points');
        const field = kind === 'attention' ? 'attn' : 'mixer';
        assert.ok(
          listed.some((n) => n.startsWith(`blocks.1.${field}.hook_`)),
          `${kind} lists its own points`,
        );
      }
    });
  }

  test('a hook or cache name that is no point is refused, naming the nearest ones', () => {
    const m = model('mamba');
    const ids = randint(0, 20, [1, 4], new Generator(2));
    const hooks = new HookContext(new Map([['blocks.0.hook_resid_pr', [() => undefined]]]));
    assert.throws(
      () => m.forward(ids, { hooks }),
      /hook point "blocks.0.hook_resid_pr" does not exist in this model; nearest: blocks.0.hook_resid_pre, /,
    );
    const cached = new HookContext(new Map(), new Map(), [
      'blocks.1.mixer.hook_delta',
      'blocks.1.mixer.hook_q',
    ]);
    assert.throws(() => m.forward(ids, { hooks: cached }), /"blocks.1.mixer.hook_q" does not exist/);
    // Points a layer does not have are not listed: DeltaNet has no gate, RetNet no data-dependent decay.
    assert.ok(!model('deltanet').hookPoints().has('blocks.1.mixer.hook_g'));
    assert.ok(model('gated-deltanet').hookPoints().has('blocks.1.mixer.hook_g'));
    assert.ok(!model('retnet').hookPoints().has('blocks.1.mixer.hook_gk'));
  });

  test('a cache given as a list of names keeps exactly those', () => {
    const m = model('gla');
    const cache = new Map<string, Tensor>();
    const names = ['blocks.1.mixer.hook_gk', 'blocks.0.attn.hook_pattern', 'hook_embed'];
    m.forward(randint(0, 20, [1, 5], new Generator(2)), { hooks: new HookContext(new Map(), cache, names) });
    assert.deepEqual([...cache.keys()].sort(), [...names].sort());
  });
});
