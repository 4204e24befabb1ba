// Ops hand their kernels uninitialised output buffers (src/tensor/storage.ts). Poisoned with NaN, those
// buffers must leave every result bit-identical: a kernel that skips part of its output shows here.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LanguageModel, makeConfig } from '../../src/model/index.js';
import {
  Generator,
  logSoftmax,
  matmul,
  randint,
  randn,
  setPoisonUninitialized,
  softmax,
  sum,
} from '../../src/tensor/index.js';
import { backends, withBackend } from '../helpers.js';

/** The loss and every gradient of a training step, for the given preset, as one flat list. */
function step(preset: 'gpt2' | 'llama'): number[] {
  const config = makeConfig({ preset, vocabSize: 40, blockSize: 48, nLayer: 2, nHead: 2, nEmbd: 64 });
  const model = new LanguageModel(config, { seed: 3 });
  const g = new Generator(4);
  const loss = model.loss(randint(0, 40, [3, 48], g), randint(0, 40, [3, 48], g));
  loss.backward();
  return [loss.item(), ...model.parameters().flatMap((p) => Array.from(p.grad?.data ?? []))];
}

function ops(): number[] {
  const g = new Generator(5);
  const x = randn([40, 70], { generator: g, requiresGrad: true });
  const w = randn([70, 33], { generator: g, requiresGrad: true });
  const y = matmul(x, w);
  sum(softmax(y).mul(logSoftmax(y, 0))).backward();
  return [...y.data, ...(x.grad?.data ?? []), ...(w.grad?.data ?? [])];
}

for (const backend of backends()) {
  test(`NaN-poisoned uninitialised buffers change nothing (${backend})`, () =>
    withBackend(backend, () => {
      for (const run of [() => step('gpt2'), () => step('llama'), ops]) {
        const clean = run();
        setPoisonUninitialized(true);
        try {
          const poisoned = run();
          assert.ok(clean.every(Number.isFinite), 'the clean run is finite');
          assert.deepEqual(poisoned, clean);
        } finally {
          setPoisonUninitialized(false);
        }
      }
    }));
}
