// Generation: greedy decoding through the KV cache equals argmax of full forwards, runs past the context
// window, stops on stop strings, and is reproducible by seed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generate, generateText } from '../../src/generate/index.js';
import { LanguageModel, makeConfig } from '../../src/model/index.js';
import { argmax, IntTensor, noGrad } from '../../src/tensor/index.js';
import { CharTokenizer } from '../../src/tokenizer/index.js';

const tokenizer = CharTokenizer.fromText('abcdefgh .');
const model = new LanguageModel(
  makeConfig({ vocabSize: tokenizer.vocabSize, blockSize: 12, nLayer: 2, nHead: 2, nEmbd: 16 }),
  { seed: 11 },
);

/** Greedy decoding the slow way: the whole context through the model at every step. */
function greedyByFullForward(prompt: string, n: number): string {
  const ids = tokenizer.encode(prompt);
  noGrad(() => {
    for (let i = 0; i < n; i++) {
      const ctx = ids.slice(-12);
      const logits = model.forward(new IntTensor(Int32Array.from(ctx), [1, ctx.length]));
      ids.push(argmax(logits.reshape(ctx.length, -1), -1).data[ctx.length - 1]);
    }
  });
  return tokenizer.decode(ids.slice(tokenizer.encode(prompt).length));
}

test('greedy generation with the KV cache equals argmax over full forward passes', async () => {
  assert.equal(
    await generateText(model, tokenizer, 'abc', { temperature: 0, maxTokens: 8 }),
    greedyByFullForward('abc', 8),
  );
});

test('the same seed gives the same text, another seed other text', async () => {
  const run = (seed: number) =>
    generateText(model, tokenizer, 'ab', { temperature: 1.5, maxTokens: 30, seed });
  assert.equal(await run(1), await run(1));
  assert.notEqual(await run(1), await run(2));
});

test('generation runs past the context window and streams one token per step with probabilities', async () => {
  const steps = [];
  for await (const step of generate(model, tokenizer, 'abcdefgh', { maxTokens: 30, showTopK: 3, seed: 4 }))
    steps.push(step);
  assert.equal(steps.length, 30);
  for (const s of steps) {
    assert.equal(s.topK!.length, 3);
    assert.ok(s.topK![0].prob >= s.topK![1].prob && s.prob > 0 && s.prob <= 1);
  }
});

test('stop strings end generation and are not included', async () => {
  const full = await generateText(model, tokenizer, 'ab', { temperature: 2, maxTokens: 60, seed: 9 });
  const stop = full.slice(5, 7);
  const cut = await generateText(model, tokenizer, 'ab', {
    temperature: 2,
    maxTokens: 60,
    seed: 9,
    stop: [stop],
  });
  assert.equal(cut, full.slice(0, full.indexOf(stop)));
});

test('an empty prompt is refused', async () => {
  await assert.rejects(() => generateText(model, tokenizer, ''), /prompt is empty/);
});

test('a vocabulary padded past the tokenizer (as HF models often are) never yields a padding id', async () => {
  const padded = new LanguageModel(
    makeConfig({ vocabSize: tokenizer.vocabSize + 40, blockSize: 12, nLayer: 1, nHead: 2, nEmbd: 16 }),
    { seed: 3 },
  );
  for await (const step of generate(padded, tokenizer, 'ab', { maxTokens: 40, temperature: 2, seed: 1 }))
    assert.ok(step.token < tokenizer.vocabSize, `token ${step.token}`);
});
