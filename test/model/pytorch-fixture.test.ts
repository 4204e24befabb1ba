// The language model against PyTorch, in the manner of llm.c's test_gpt2: the same weights and batch as
// scripts/fixtures/make_model_fixtures.py gave bench/torch/jielong_model.py (run in float64), and the
// logits, loss, every gradient and two AdamW steps it produced.
//
// Tolerances are relative RMS errors against the float64 reference: 1e-5 for logits and loss, 1e-4 for each
// gradient, 1e-3 for each AdamW update (new - old weights; the weights themselves barely move at lr 1e-3).
// Measured, worst over parameters (js / native backend):
//   gpt2:  logits 1.5e-7 / 2.8e-7, loss 0 / 8.3e-8, gradients 3.6e-7 / 8.0e-7, updates 1.2e-4 / 1.2e-4
//   llama: logits 1.3e-7 / 2.2e-7, loss 0 / 1.2e-7, gradients 3.0e-7 / 4.9e-7, updates 1.2e-4 / 2.3e-4
// Updates are looser because Adam divides by |g|: float32 rounding of a small gradient moves its step.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadSafetensors } from '../../src/io/index.js';
import { LanguageModel, type ModelConfig, makeConfig, type Preset } from '../../src/model/index.js';
import { IntTensor, Tensor } from '../../src/tensor/index.js';
import { AdamW } from '../../src/train/index.js';
import { assertClose, backends, withBackend } from '../helpers.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/model/', import.meta.url));
const TOL = { logits: 1e-5, loss: 1e-5, grad: 1e-4, update: 1e-3 };

function load(preset: Preset) {
  const config = JSON.parse(readFileSync(`${FIXTURES}${preset}.json`, 'utf8')) as ModelConfig;
  const { tensors } = loadSafetensors(`${FIXTURES}${preset}.safetensors`);
  const get = (name: string) => {
    const t = tensors.get(name);
    assert.ok(t instanceof Tensor, `${preset}.safetensors: no float tensor ${name}`);
    return t;
  };
  const int = (name: string) => {
    const t = tensors.get(name);
    assert.ok(t instanceof IntTensor, `${preset}.safetensors: no int tensor ${name}`);
    return t;
  };
  // Everything that is not an input or a result is a parameter, so loadStateDict sees any extra one.
  const results = /^(ids|targets|logits|loss|grad\..*|adamw\d\..*)$/;
  const weights = new Map([...tensors.keys()].filter((n) => !results.test(n)).map((n) => [n, get(n)]));
  return { config, get, int, weights };
}

/** See zero_key_bias_grad in the fixture script: the key bias's true gradient is 0, its computed one noise. */
function zeroKeyBiasGrad(params: [string, Tensor][], dim: number): void {
  for (const [n, p] of params) if (n.endsWith('attn.c_attn.bias')) p.grad!.data.fill(0, dim, 2 * dim);
}

function sub(a: Float32Array, b: Float32Array): Float32Array {
  return a.map((x, i) => x - b[i]);
}

for (const preset of ['gpt2', 'llama'] as const) {
  describe(`language model vs PyTorch (${preset} fixture)`, () => {
    const f = load(preset);

    test('the fixture config is what makeConfig fills for the preset', () => {
      const { vocabSize, blockSize, nLayer, nHead, nEmbd } = f.config;
      assert.deepEqual(makeConfig({ preset, vocabSize, blockSize, nLayer, nHead, nEmbd }), f.config);
    });

    for (const name of backends()) {
      test(`logits, loss, gradients and AdamW steps match (${name} backend)`, () =>
        withBackend(name, () => {
          const model = new LanguageModel(f.config);
          const params = model.namedParameters();
          model.loadStateDict(f.weights);
          const ids = f.int('ids');
          const targets = f.int('targets');
          assert.ok(targets.data.includes(-100), 'the fixture should hold an ignored target');

          assertClose(model.forward(ids).data, f.get('logits').data, TOL.logits, 'logits');
          const loss = model.loss(ids, targets);
          assertClose(loss.data, f.get('loss').data, TOL.loss, 'loss');
          loss.backward();
          for (const [n, p] of params) {
            assert.ok(p.grad, `${n} got no gradient`);
            assertClose(p.grad.data, f.get(`grad.${n}`).data, TOL.grad, `grad.${n}`);
          }

          const matrices = params.filter(([, p]) => p.ndim >= 2).map(([, p]) => p);
          const vectors = params.filter(([, p]) => p.ndim < 2).map(([, p]) => p);
          const opt = new AdamW(
            [
              { params: matrices, weightDecay: 0.1 },
              { params: vectors, weightDecay: 0 },
            ],
            { lr: 1e-3, betas: [0.9, 0.99], eps: 1e-8 },
          );
          // Updates (new - old weights) are compared, not weights, which barely move at lr 1e-3.
          let ours = params.map(([, p]) => p.data.slice());
          let theirs = params.map(([n]) => f.get(n).data);
          for (const step of [1, 2]) {
            if (step === 2) {
              opt.zeroGrad();
              model.loss(ids, targets).backward();
            }
            zeroKeyBiasGrad(params, f.config.nEmbd);
            opt.step();
            const next = params.map(([n]) => f.get(`adamw${step}.${n}`).data);
            params.forEach(([n, p], i) => {
              const update = sub(next[i], theirs[i]);
              assertClose(sub(p.data, ours[i]), update, TOL.update, `AdamW step ${step} update of ${n}`);
            });
            ours = params.map(([, p]) => p.data.slice());
            theirs = next;
          }
        }));
    }
  });
}
