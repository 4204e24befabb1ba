// The language model: shapes, initial loss, hooks and caches, fused vs unfused attention, generation state.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LanguageModel, makeConfig } from '../../src/model/index.js';
import { HookContext } from '../../src/nn/index.js';
import { Generator, IntTensor, noGrad, randint, slice, type Tensor } from '../../src/tensor/index.js';
import { assertClose } from '../helpers.js';

const presets = ['gpt2', 'llama'] as const;
const tiny = (preset: (typeof presets)[number]) =>
  makeConfig({ preset, vocabSize: 50, blockSize: 32, nLayer: 2, nHead: 2, nEmbd: 16 });

for (const preset of presets) {
  describe(`language model (${preset} preset)`, () => {
    test('logits have shape [B, T, vocab] and the initial loss is near ln(vocab)', () => {
      const model = new LanguageModel(tiny(preset), { seed: 1 });
      const ids = randint(0, 50, [3, 10], new Generator(2));
      assert.deepEqual(model.forward(ids).shape, [3, 10, 50]);
      const loss = model.loss(ids, randint(0, 50, [3, 10], new Generator(3))).item();
      assert.ok(Math.abs(loss - Math.log(50)) < 0.1, `initial loss ${loss} vs ln 50 = ${Math.log(50)}`);
    });

    test('parameter names follow Hugging Face GPT-2 naming', () => {
      const names = new LanguageModel(tiny(preset)).namedParameters().map(([n]) => n);
      assert.ok(names.includes('transformer.wte.weight'));
      assert.ok(names.includes('transformer.h.1.attn.c_attn.weight'));
      assert.ok(names.includes('transformer.ln_f.weight'));
      if (preset === 'gpt2') {
        assert.ok(
          names.includes('transformer.wpe.weight') && names.includes('transformer.h.0.mlp.c_fc.bias'),
        );
        assert.ok(!names.includes('lm_head.weight'), 'tied unembedding has no separate weight');
      } else {
        assert.ok(names.includes('transformer.h.0.mlp.gate_proj.weight') && names.includes('lm_head.weight'));
        assert.ok(!names.some((n) => n.endsWith('.bias')), 'llama has no biases');
      }
    });

    test('hooks see every named activation, and hooked attention (unfused) equals the fused kernel', () => {
      const model = new LanguageModel(tiny(preset), { seed: 4 });
      const ids = randint(0, 50, [2, 7], new Generator(5));
      const plain = model.forward(ids);
      const cache = new Map<string, Tensor>();
      const hooked = model.forward(ids, { hooks: new HookContext(new Map(), cache) });
      assertClose(hooked.data, plain.data, 1e-5, 'logits');
      for (const name of [
        'hook_embed',
        'blocks.0.hook_resid_pre',
        'blocks.0.ln1.hook_normalized',
        'blocks.0.attn.hook_q',
        'blocks.0.attn.hook_pattern',
        'blocks.0.attn.hook_z',
        'blocks.0.hook_attn_out',
        'blocks.0.hook_resid_mid',
        'blocks.0.mlp.hook_pre',
        'blocks.0.mlp.hook_post',
        'blocks.1.hook_mlp_out',
        'blocks.1.hook_resid_post',
        'ln_final.hook_normalized',
      ]) {
        assert.ok(cache.has(name), `missing ${name}`);
      }
      assert.deepEqual(cache.get('blocks.1.attn.hook_pattern')!.shape, [2, 2, 7, 7]);
      // The pattern is causal and each row sums to 1.
      const p = cache.get('blocks.0.attn.hook_pattern')!.data;
      assert.equal(p[1], 0);
      assert.ok(
        Math.abs(
          p[7 * 6] +
            p[7 * 6 + 1] +
            p[7 * 6 + 2] +
            p[7 * 6 + 3] +
            p[7 * 6 + 4] +
            p[7 * 6 + 5] +
            p[7 * 6 + 6] -
            1,
        ) < 1e-5,
      );
      // A hook can replace an activation: zeroing the MLP output changes the logits.
      const ablated = model.forward(ids, {
        hooks: new HookContext(
          new Map([['blocks.0.hook_mlp_out', [(t: Tensor) => t.withData(new Float32Array(t.numel()))]]]),
        ),
      });
      assert.ok(ablated.data.some((v, i) => Math.abs(v - plain.data[i]) > 1e-4));
    });

    test('generation with a state (KV cache) gives the logits of the full forward, with and without hooks', () =>
      noGrad(() => {
        const model = new LanguageModel(tiny(preset), { seed: 6 });
        const ids = randint(0, 50, [2, 12], new Generator(7));
        const full = model.forward(ids);
        for (const hooks of [undefined, new HookContext(new Map(), new Map())]) {
          const state = model.newState(2, 16);
          const pieces = [model.forward(new IntTensor(sliceIds(ids, 0, 5), [2, 5]), { state, hooks })];
          for (let t = 5; t < 12; t++)
            pieces.push(model.forward(new IntTensor(sliceIds(ids, t, t + 1), [2, 1]), { state, hooks }));
          assert.equal(state.pos, 12);
          for (let t = 0; t < 12; t++) {
            const piece = t < 5 ? slice(pieces[0], 1, t, t + 1) : pieces[t - 4];
            assertClose(piece.data, slice(full, 1, t, t + 1).data, 1e-5, `position ${t}`);
          }
        }
        assert.throws(
          () => model.forward(ids, { state: model.newState(2, 8) }),
          /state holds 8 tokens, asked for 12/,
        );
      }));

    test('bad input names the problem', () => {
      const model = new LanguageModel(tiny(preset));
      assert.throws(
        () => model.forward(new IntTensor(Int32Array.from([1, 50]), [1, 2])),
        /token id 50 is outside the vocabulary of 50/,
      );
      assert.throws(
        () => model.forward(new IntTensor(new Int32Array(33), [1, 33])),
        /33 tokens exceed the context of 32/,
      );
      assert.throws(
        () => makeConfig({ vocabSize: 10, nEmbd: 30, nHead: 4 }),
        /nEmbd 30 is not divisible by nHead 4/,
      );
      assert.throws(
        () => makeConfig({ vocabSize: 10, norm: 'batchnorm' as never }),
        /norm must be one of layernorm, rmsnorm/,
      );
    });
  });
}

function sliceIds(ids: IntTensor, from: number, to: number): Int32Array {
  const [batch, seq] = ids.shape;
  const out = new Int32Array(batch * (to - from));
  for (let b = 0; b < batch; b++) out.set(ids.data.subarray(b * seq + from, b * seq + to), b * (to - from));
  return out;
}
