// Each logits processor against hand-worked small cases, their order, and draws against the distribution.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { processLogits, type SamplingOptions, sampleToken, topKProbs } from '../../src/generate/sampling.js';
import { Generator } from '../../src/tensor/index.js';
import { assertClose } from '../helpers.js';

const logitsOf = (probs: number[]): Float32Array => Float32Array.from(probs.map(Math.log));

/** Which tokens survived processing (finite logits). */
const kept = (logits: Float32Array): number[] =>
  [...logits].flatMap((x, i) => (x === Number.NEGATIVE_INFINITY ? [] : [i]));

const probsAfter = (logits: Float32Array, options: SamplingOptions, previous: number[] = []): Float32Array =>
  sampleToken(logits, previous, options, new Generator(0)).probs;

test('top-p keeps the smallest most likely set reaching p', () => {
  const logits = logitsOf([0.5, 0.3, 0.15, 0.05]);
  assert.deepEqual(kept(processLogits(logits, [], { topP: 0.8 })), [0, 1]);
  assert.deepEqual(kept(processLogits(logits, [], { topP: 0.81 })), [0, 1, 2]);
  assert.deepEqual(kept(processLogits(logits, [], { topP: 0.5 })), [0]);
  assert.deepEqual(kept(processLogits(logits, [], { topP: 0.01 })), [0], 'the top token always stays');
  assert.deepEqual(kept(processLogits(logits, [], { topP: 1 })), [0, 1, 2, 3]);
  // In float32, 0.4 + 0.3 comes out a hair under 0.7; the tie for second goes to the lower id.
  assert.deepEqual(kept(processLogits(logitsOf([0.4, 0.3, 0.3]), [], { topP: 0.7 })), [0, 1]);
  assertClose(probsAfter(logits, { topP: 0.8 }), [0.5 / 0.8, 0.3 / 0.8, 0, 0], 1e-6, 'renormalised');
});

test('top-k keeps the k largest, ties at the k-th value included', () => {
  const logits = Float32Array.of(1, 3, 2, 3, 0);
  assert.deepEqual(kept(processLogits(logits, [], { topK: 2 })), [1, 3]);
  assert.deepEqual(kept(processLogits(logits, [], { topK: 3 })), [1, 2, 3]);
  assert.deepEqual(kept(processLogits(logits, [], { topK: 1 })), [1, 3], 'tie for first');
  assert.deepEqual(kept(processLogits(logits, [], { topK: 9 })), [0, 1, 2, 3, 4], 'k beyond the vocabulary');
  assert.deepEqual(kept(processLogits(logits, [], { topK: 0 })), [0, 1, 2, 3, 4], '0 is off');
});

test('min-p keeps tokens with probability >= minP * the top probability', () => {
  const logits = logitsOf([0.5, 0.3, 0.15, 0.05]);
  assert.deepEqual(kept(processLogits(logits, [], { minP: 0.2 })), [0, 1, 2]); // threshold 0.1
  assert.deepEqual(kept(processLogits(logits, [], { minP: 0.5 })), [0, 1]); // threshold 0.25
  assert.deepEqual(kept(processLogits(logits, [], { minP: 1 })), [0]);
  assertClose(probsAfter(logits, { minP: 0.2 }), [0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95, 0], 1e-6);
});

test('repetition penalty divides positive and multiplies negative logits of seen tokens, once each', () => {
  const logits = Float32Array.of(2, -2, 1, 0.5);
  assert.deepEqual([...processLogits(logits, [0, 1, 1], { repetitionPenalty: 2 })], [1, -4, 1, 0.5]);
  assert.deepEqual([...processLogits(logits, [1, 0], { repetitionPenalty: 0.5 })], [4, -1, 1, 0.5]);
  assert.deepEqual([...processLogits(logits, [0, 1], {})], [2, -2, 1, 0.5], 'penalty 1 is off');
  assert.deepEqual([...logits], [2, -2, 1, 0.5], 'input untouched');
});

test('temperature divides the logits before the softmax', () => {
  // softmax([1, 2, 3] / 2) worked by hand: e^0.5, e^1, e^1.5 over their sum 8.84869.
  const probs = probsAfter(Float32Array.of(1, 2, 3), { temperature: 2 });
  assertClose(probs, [0.18632372, 0.30719589, 0.50648039], 1e-6);
});

test('the steps run in the order of Hugging Face: penalty, temperature, top-k, top-p, min-p', () => {
  const logits = logitsOf([0.5, 0.3, 0.15, 0.05]);
  // Top-p alone keeps two at p = 0.6; temperature 0.5 first sharpens the top token to 0.685 > 0.6.
  assert.deepEqual(kept(processLogits(logits, [], { topP: 0.6 })), [0, 1]);
  assert.deepEqual(kept(processLogits(logits, [], { temperature: 0.5, topP: 0.6 })), [0]);
  // Top-k 3 first renormalises [0.4, 0.3, 0.2] to [0.44, 0.33, 0.22]; then two reach p = 0.75 (alone: three).
  const four = logitsOf([0.4, 0.3, 0.2, 0.1]);
  assert.deepEqual(kept(processLogits(four, [], { topP: 0.75 })), [0, 1, 2]);
  assert.deepEqual(kept(processLogits(four, [], { topK: 3, topP: 0.75 })), [0, 1]);
  // Min-p after temperature: ratio 0.3 / 0.5 = 0.6 passes minP 0.5, but squared (T = 0.5) 0.36 does not.
  assert.deepEqual(kept(processLogits(logits, [], { minP: 0.5 })), [0, 1]);
  assert.deepEqual(kept(processLogits(logits, [], { temperature: 0.5, minP: 0.5 })), [0]);
  // The penalty acts on raw logits: token 0 at log 0.5 < 0 is multiplied by 4, dropping below token 1.
  assert.deepEqual(kept(processLogits(logits, [0], { repetitionPenalty: 4, topK: 1 })), [1]);
});

test('greedy takes the argmax, lowest id on ties, and draws no random numbers', () => {
  const g = new Generator(3);
  for (let trial = 0; trial < 20; trial++) {
    const logits = Float32Array.from({ length: 50 }, () => g.normal());
    let best = 0;
    for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
    const before = g.getState();
    const { token, probs } = sampleToken(logits, [], { temperature: 0, topK: 5, topP: 0.3 }, g);
    assert.equal(token, best);
    assert.deepEqual(g.getState(), before, 'greedy consumed randomness');
    assert.equal(probs[best], 1);
    assert.equal(
      probs.reduce((a, b) => a + b),
      1,
    );
  }
  assert.equal(sampleToken(Float32Array.of(1, 5, 5, 2), [], { temperature: 0 }, g).token, 1);
  assert.equal(
    sampleToken(Float32Array.of(1, 5, 5, 2), [1], { temperature: 0, repetitionPenalty: 2 }, g).token,
    2,
  );
});

test('draw frequencies over 20,000 samples match the processed probabilities', () => {
  const g = new Generator(11);
  const logits = Float32Array.from({ length: 10 }, () => 1.5 * g.normal());
  const options: SamplingOptions = { temperature: 0.8, topK: 6, minP: 0.02 };
  const n = 20000;
  const counts = new Array<number>(logits.length).fill(0);
  const sampler = new Generator(5);
  const counter = new Generator(5);
  let probs: Float32Array = new Float32Array(0);
  for (let i = 0; i < n; i++) {
    const drawn = sampleToken(logits, [], options, sampler);
    counts[drawn.token]++;
    probs = drawn.probs;
    counter.random();
  }
  assert.deepEqual(sampler.getState(), counter.getState(), 'exactly one random() per sampled token');
  // Reference distribution by hand: softmax(logits / 0.8) over the 6 largest, then the min-p cut.
  const top6 = [...logits.keys()].sort((a, b) => logits[b] - logits[a]).slice(0, 6);
  const weights = new Array<number>(logits.length).fill(0);
  for (const i of top6) weights[i] = Math.exp(logits[i] / 0.8);
  const wmax = Math.max(...weights);
  for (let i = 0; i < weights.length; i++) if (weights[i] < 0.02 * wmax) weights[i] = 0;
  const total = weights.reduce((a, b) => a + b);
  const expected = weights.map((w) => w / total);
  assertClose(probs, expected, 1e-5, 'processed probabilities');
  let chi2 = 0;
  let cells = 0;
  for (let i = 0; i < logits.length; i++) {
    if (expected[i] === 0) {
      assert.equal(counts[i], 0, `removed token ${i} was drawn`);
      continue;
    }
    chi2 += (counts[i] - n * expected[i]) ** 2 / (n * expected[i]);
    cells++;
  }
  // With at most 5 degrees of freedom, chi-square exceeds 25 with probability about 1e-4.
  assert.ok(cells >= 3, `only ${cells} tokens survived; the test would be weak`);
  assert.ok(chi2 < 25, `chi-square ${chi2.toFixed(2)} over ${cells} tokens`);
});

test('the same seed gives the same tokens', () => {
  const g = new Generator(2);
  const rows = Array.from({ length: 40 }, () => Float32Array.from({ length: 30 }, () => g.normal()));
  const run = (seed: number): number[] => {
    const gen = new Generator(seed);
    const out: number[] = [];
    for (const row of rows) out.push(sampleToken(row, out, { topP: 0.9, repetitionPenalty: 1.3 }, gen).token);
    return out;
  };
  assert.deepEqual(run(7), run(7));
  assert.notDeepEqual(run(7), run(8));
});

test('topKProbs lists the most likely tokens first, lowest id on ties, without zeros', () => {
  const probs = Float32Array.of(0.1, 0.4, 0.2, 0.4, 0);
  const f = Math.fround;
  assert.deepEqual(topKProbs(probs, 3), [
    { token: 1, prob: f(0.4) },
    { token: 3, prob: f(0.4) },
    { token: 2, prob: f(0.2) },
  ]);
  assert.deepEqual(
    topKProbs(probs, 10).map((e) => e.token),
    [1, 3, 2, 0],
  );
  assert.deepEqual(topKProbs(probs, 0), []);
  assert.throws(() => topKProbs(probs, -1), /topKProbs: k must be an integer >= 0/);
});

test('bad options and logits are rejected with the value named', () => {
  const logits = Float32Array.of(0, 1, 2);
  const cases: [SamplingOptions, RegExp][] = [
    [{ temperature: -1 }, /temperature .* got -1/],
    [{ temperature: Number.NaN }, /temperature/],
    [{ topP: 0 }, /topP must be in \(0, 1\].* got 0/],
    [{ topP: 1.5 }, /topP .* got 1.5/],
    [{ topK: 2.5 }, /topK .* got 2.5/],
    [{ topK: -1 }, /topK/],
    [{ minP: -0.1 }, /minP .* got -0.1/],
    [{ minP: 2 }, /minP/],
    [{ repetitionPenalty: 0 }, /repetitionPenalty .* got 0/],
  ];
  for (const [options, message] of cases) assert.throws(() => processLogits(logits, [], options), message);
  assert.throws(() => processLogits(Float32Array.of(0, Number.NaN), [], {}), /logits\[1\] is NaN/);
  assert.throws(() => processLogits(new Float32Array(0), [], {}), /logits are empty/);
  assert.throws(
    () => processLogits(Float32Array.of(Number.NEGATIVE_INFINITY), [], {}),
    /every logit is -Infinity/,
  );
  assert.throws(
    () => processLogits(logits, [3], { repetitionPenalty: 1.2 }),
    /previous token id 3 is outside the vocabulary \[0, 3\)/,
  );
  assert.throws(() => processLogits(Float32Array.of(1e30, 0), [], { temperature: 1e-20 }), /overflows/);
});
