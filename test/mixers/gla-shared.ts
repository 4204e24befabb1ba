// What the linear-attention, RetNet and GLA layer tests share beyond the conformance suite: their hook
// points, their short convolutions named as fla's, the errors of their settings and states, parameter
// names, and the output of the PyTorch peer on fixed weights.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createMixer, type Mixer, type MixerOf, type MixerSettings } from '../../src/mixers/index.js';
import type { MatrixMemoryState } from '../../src/mixers/ops/matrix-state.js';
import { HookContext, NO_HOOKS } from '../../src/nn/index.js';
import { Generator, randn, Tensor } from '../../src/tensor/index.js';
import { assertClose } from '../helpers.js';

type GlaKind = 'linear-attention' | 'retnet' | 'gla';

/** A small layer (std 0.5 keeps activations of order 1), chunks of 16 unless the settings say otherwise. */
export function glaLayer<K extends GlaKind>(kind: K, settings: MixerSettings<K> = {}, dim = 16, heads = 2) {
  const layer = { dim, name: 'blocks.0.mixer', heads, bias: false, std: 0.5, projStd: 0.5, rotary: null };
  return createMixer(
    kind,
    { ...layer, generator: new Generator(3) },
    { chunkSize: 16, ...settings },
  ) as MixerOf<K>;
}

const ctx = (state: MatrixMemoryState | null = null, hooks = NO_HOOKS) => ({ hooks, state, pos: 0 });

/** Hook points, short convolutions and errors of the layer. */
export function layerSuite(kind: GlaKind): void {
  describe(`${kind} layer`, () => {
    test('hook points see q, k, v and o per head, and a hook can change the output', () => {
      const layer = glaLayer(kind);
      const x = randn([2, 9, 16], { generator: new Generator(6) });
      const cache = new Map<string, Tensor>();
      const plain = layer.forward(x, ctx());
      assertClose(
        layer.forward(x, ctx(null, new HookContext(new Map(), cache))).data,
        plain.data,
        1e-6,
        'hooked',
      );
      const state = layer.initState(2, 9);
      const [H, K, V] = [state.heads, state.headK, state.headV];
      assert.deepEqual(cache.get('blocks.0.mixer.hook_q')?.shape, [2, 9, H, K]);
      assert.deepEqual(cache.get('blocks.0.mixer.hook_k')?.shape, [2, 9, H, K]);
      assert.deepEqual(cache.get('blocks.0.mixer.hook_v')?.shape, [2, 9, H, V]);
      assert.deepEqual(cache.get('blocks.0.mixer.hook_o')?.shape, [2, 9, H, V]);
      const zeroV = new HookContext(
        new Map([['blocks.0.mixer.hook_v', [(t: Tensor) => t.withData(new Float32Array(t.numel()))]]]),
      );
      const ablated = layer.forward(x, ctx(null, zeroV));
      assert.ok(
        ablated.data.some((a, i) => Math.abs(a - plain.data[i]) > 1e-3),
        'zeroing v changes the output',
      );
    });

    test('short convolutions: one per projection, named and shaped as fla (q_conv1d.weight [D, 1, W])', () => {
      const shapes = Object.fromEntries(
        glaLayer(kind, { convSize: 4 })
          .namedParameters()
          .map(([n, p]) => [n, [...p.shape]]),
      );
      const state = glaLayer(kind).initState(1, 1);
      const [K, V] = [state.heads * state.headK, state.heads * state.headV];
      assert.deepEqual(shapes['q_conv1d.weight'], [K, 1, 4]);
      assert.deepEqual(shapes['k_conv1d.weight'], [K, 1, 4]);
      assert.deepEqual(shapes['v_conv1d.weight'], [V, 1, 4]);
      const taps = 2 * 3 * state.heads * (2 * state.headK + state.headV);
      const convolved = glaLayer(kind, { convSize: 4 }).initState(2, 1);
      assert.equal(convolved.bytes(), (2 * state.heads * state.headK * state.headV + taps) * 4);
    });

    test('bad settings and a state without its short convolutions are refused with the mixer named', () => {
      assert.throws(() => glaLayer(kind, {}, 16, 3), new RegExp(`${kind}: .* must both divide into 3 heads`));
      assert.throws(
        () => glaLayer(kind, { chunkSize: 0 }),
        new RegExp(`${kind}: setting chunkSize must be a positive integer`),
      );
      assert.throws(
        () => glaLayer(kind, { chunkSize: 1.5 }),
        new RegExp(`${kind}: setting chunkSize must be a positive integer`),
      );
      assert.throws(
        () => glaLayer(kind, { convSize: 1.5 }),
        new RegExp(`${kind}: setting convSize must be 0 or a positive integer`),
      );
      assert.throws(
        () => glaLayer(kind, { expandK: -1 }),
        new RegExp(`${kind}: setting expandK must be a positive number`),
      );
      const x = randn([2, 3, 16]);
      assert.throws(
        () => glaLayer(kind, { convSize: 4 }).forward(x, ctx(glaLayer(kind).initState(2, 8))),
        new RegExp(`${kind}: the state was not made by this layer's initState`),
      );
    });
  });
}

/** Parameter names and shapes, as fla's layer has them. */
export function assertParameters(layer: Mixer, expected: Record<string, number[]>): void {
  const got = Object.fromEntries(layer.namedParameters().map(([n, p]) => [n, [...p.shape]]));
  assert.deepEqual(got, expected);
}

/**
 * The layer (dim 8, 2 heads, chunks of 4) with weights 0.5 sin(1.3 i + offset(name)) and input
 * sin(0.7 i + 0.3), against the output the PyTorch peer (bench/torch/mixers/<kind>.py) gives for the same.
 */
export function assertMatchesPytorch(kind: GlaKind, expected: number[]): void {
  const layer = glaLayer(kind, { chunkSize: 4 }, 8, 2);
  for (const [name, p] of layer.namedParameters()) {
    let offset = 0;
    for (const ch of name) offset += ch.charCodeAt(0);
    for (let i = 0; i < p.data.length; i++) p.data[i] = 0.5 * Math.sin(1.3 * i + (offset % 97) / 10);
  }
  const x = new Tensor(
    Float32Array.from({ length: 56 }, (_, i) => Math.sin(0.7 * i + 0.3)),
    [1, 7, 8],
  );
  assertClose(layer.forward(x, ctx()).data, expected, 1e-4, `${kind} against PyTorch`);
}
