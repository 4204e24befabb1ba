// What the DeltaNet and Gated DeltaNet layer tests share beyond the conformance suite: a small layer, its
// hook points, and the errors of its settings and inputs.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createMixer, type MixerOf, type MixerSettings } from '../../src/mixers/index.js';
import type { MatrixMemoryState } from '../../src/mixers/ops/matrix-state.js';
import { HookContext, NO_HOOKS } from '../../src/nn/index.js';
import { Generator, randn, type Tensor } from '../../src/tensor/index.js';
import { assertClose } from '../helpers.js';

type DeltaKind = 'deltanet' | 'gated-deltanet';

export function deltaLayer<K extends DeltaKind>(
  kind: K,
  dim: number,
  settings: MixerSettings<K> = {},
  seed = 0,
  heads = 2,
) {
  const layer = { dim, name: 'blocks.0.mixer', heads, bias: false, std: 0.2, projStd: 0.1, rotary: null };
  return createMixer(kind, { ...layer, generator: new Generator(seed) }, settings) as MixerOf<K>;
}

export const ctx = (state: MatrixMemoryState | null = null, hooks = NO_HOOKS) => ({ hooks, state, pos: 0 });

/** Hook points and errors of the layer. */
export function layerSuite(kind: DeltaKind): void {
  describe(`${kind}: hooks and errors`, () => {
    test('hook points see q, k, v, beta, (g,) o; replacing beta changes the output', () => {
      const layer = deltaLayer(kind, 16, { chunkSize: 8 });
      const x = randn([2, 9, 16], { generator: new Generator(2) });
      const plain = layer.forward(x, ctx());
      const cache = new Map<string, Tensor>();
      const hooked = layer.forward(x, ctx(null, new HookContext(new Map(), cache)));
      assertClose(hooked.data, plain.data, 1e-6, 'hooked output');
      const { heads: H, headK: K, headV: V } = layer.initState(1, 1);
      const expected: Record<string, number[]> = {
        'blocks.0.mixer.hook_q': [2, 9, H, K],
        'blocks.0.mixer.hook_k': [2, 9, H, K],
        'blocks.0.mixer.hook_v': [2, 9, H, V],
        'blocks.0.mixer.hook_beta': [2, 9, H],
        ...(kind === 'gated-deltanet' ? { 'blocks.0.mixer.hook_g': [2, 9, H] } : {}),
        'blocks.0.mixer.hook_o': [2, 9, H, V],
      };
      assert.deepEqual(Object.fromEntries([...cache].map(([n, t]) => [n, t.shape])), expected);
      // q and k are unit vectors per head; beta is in (0, 1).
      const q = cache.get('blocks.0.mixer.hook_q')!.data;
      for (let r = 0; r < q.length; r += K)
        assert.ok(Math.abs(Math.hypot(...q.subarray(r, r + K)) - 1) < 1e-4);
      assert.ok(cache.get('blocks.0.mixer.hook_beta')!.data.every((b) => b > 0 && b < 1));
      const zeroBeta = new HookContext(
        new Map([['blocks.0.mixer.hook_beta', [(t: Tensor) => t.withData(new Float32Array(t.numel()))]]]),
      );
      // beta = 0 writes nothing, so the memory stays empty and the output is exactly o_proj(0) = 0.
      const silent = layer.forward(x, ctx(null, zeroBeta));
      assert.ok(silent.data.every((v) => v === 0));
    });

    test('the state holds the memory and the last convSize - 1 inputs of each convolution, nothing more', () => {
      const layer = deltaLayer(kind, 16, { convSize: 3 });
      const { heads: H, headK: K, headV: V } = layer.initState(1, 1);
      assert.equal(layer.initState(2, 1000).bytes(), 4 * 2 * (H * K * V + 2 * H * (2 * K + V)));
    });

    test('bad settings and inputs are named', () => {
      assert.throws(
        () => deltaLayer(kind, 16, { convSize: 0 }),
        new RegExp(`${kind}: setting convSize must be a positive integer`),
      );
      assert.throws(
        () => deltaLayer(kind, 16, { chunkSize: 2.5 }),
        new RegExp(`${kind}: setting chunkSize must be a positive integer`),
      );
      assert.throws(
        () => deltaLayer(kind, 16).forward(randn([1, 3, 7]), ctx()),
        new RegExp(`${kind}: expected x \\[batch, seq, 16\\]`),
      );
      const other = deltaLayer(kind, 16, { convSize: 3 });
      assert.throws(
        () => deltaLayer(kind, 16).forward(randn([2, 3, 16]), ctx(other.initState(2, 10))),
        new RegExp(`${kind}: the state was not made by this layer's initState`),
      );
    });
  });
}
