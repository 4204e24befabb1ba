// The MQAR task generator: pairs first, queries later, each query's target the value paired with its key.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mqarBatch } from '../../src/data/index.js';
import { Generator } from '../../src/tensor/index.js';

test('MQAR sequences: distinct keys, values from the upper half, every query answered by its pair', () => {
  const o = { vocabSize: 64, seqLen: 48, pairs: 6 };
  const { x, y } = mqarBatch(5, o, new Generator(2));
  assert.deepEqual(x.shape, [5, 48]);
  for (let b = 0; b < 5; b++) {
    const row = Array.from(x.data.subarray(b * 48, (b + 1) * 48));
    const targets = Array.from(y.data.subarray(b * 48, (b + 1) * 48));
    const value = new Map<number, number>();
    for (let i = 0; i < 6; i++) {
      assert.ok(row[2 * i] >= 1 && row[2 * i] < 32, 'key in the lower half');
      assert.ok(row[2 * i + 1] >= 32 && row[2 * i + 1] < 64, 'value in the upper half');
      assert.ok(!value.has(row[2 * i]), 'keys are distinct');
      value.set(row[2 * i], row[2 * i + 1]);
    }
    const queries = targets.map((t, i) => [i, t]).filter(([, t]) => t !== -100);
    assert.equal(queries.length, 6);
    assert.deepEqual(
      new Set(queries.map(([i]) => row[i])),
      new Set(value.keys()),
      'each key is queried once',
    );
    for (const [i, t] of queries) {
      assert.ok(i >= 12, 'queries come after the pairs');
      assert.equal(t, value.get(row[i]));
    }
    assert.ok(
      row.slice(12).every((tok, i) => tok === 0 || targets[12 + i] !== -100),
      'gaps are token 0',
    );
  }
  assert.throws(
    () => mqarBatch(1, { vocabSize: 64, seqLen: 10, pairs: 4 }, new Generator(0)),
    /need 12 positions, seqLen is 10/,
  );
});
