// Batches: shapes, next-token targets from one window of the data, bounds, and exact resumption.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchSampler, trainValSplit } from '../../src/data/index.js';
import { Generator } from '../../src/tensor/index.js';

/** Distinct values, so each token says where in the data it came from. */
function ramp(n: number): Uint16Array {
  return Uint16Array.from({ length: n }, (_, i) => i);
}

test('x and y are [batchSize, blockSize] windows of the data, y one token on from x', () => {
  const data = Int32Array.from({ length: 500 }, (_, i) => (i * 7919) % 1000);
  const position = new Map(Array.from(data, (v, i) => [v, i]));
  const sampler = new BatchSampler(data, { blockSize: 16, batchSize: 8, generator: new Generator(1) });
  for (let step = 0; step < 50; step++) {
    const { x, y } = sampler.next();
    assert.deepEqual(x.shape, [8, 16]);
    assert.deepEqual(y.shape, [8, 16]);
    for (let b = 0; b < 8; b++) {
      const start = position.get(x.data[b * 16])!;
      assert.ok(start >= 0 && start + 16 < data.length, `window at ${start} overruns`);
      assert.deepEqual([...x.data.subarray(b * 16, b * 16 + 16)], [...data.subarray(start, start + 16)]);
      assert.deepEqual([...y.data.subarray(b * 16, b * 16 + 16)], [...data.subarray(start + 1, start + 17)]);
    }
  }
});

test('every window start is drawn, the last one included, and no start beyond it', () => {
  const data = ramp(12); // blockSize 4: starts 0..7 fit
  const sampler = new BatchSampler(data, { blockSize: 4, batchSize: 64, generator: new Generator(2) });
  const starts = new Set<number>();
  for (let i = 0; i < 10; i++) {
    const { x } = sampler.next();
    for (let b = 0; b < 64; b++) starts.add(x.data[b * 4]);
  }
  assert.deepEqual(
    [...starts].sort((a, b) => a - b),
    [0, 1, 2, 3, 4, 5, 6, 7],
  );
});

test('the smallest data set that fits gives the one window it has', () => {
  const sampler = new BatchSampler(ramp(5), { blockSize: 4, batchSize: 2, generator: new Generator(0) });
  const { x, y } = sampler.next();
  assert.deepEqual([...x.data], [0, 1, 2, 3, 0, 1, 2, 3]);
  assert.deepEqual([...y.data], [1, 2, 3, 4, 1, 2, 3, 4]);
  assert.throws(
    () => new BatchSampler(ramp(4), { blockSize: 4, batchSize: 2, generator: new Generator(0) }),
    /4 tokens are too few for blockSize 4: .* need 5/,
  );
  assert.throws(
    () => new BatchSampler(ramp(10), { blockSize: 0, batchSize: 2, generator: new Generator(0) }),
    /blockSize must be a positive integer, got 0/,
  );
  assert.throws(
    () => new BatchSampler(ramp(10), { blockSize: 2, batchSize: 1.5, generator: new Generator(0) }),
    /batchSize must be a positive integer, got 1.5/,
  );
});

test('restoring the state replays the same batches, on a fresh sampler too', () => {
  const data = ramp(1000);
  const options = { blockSize: 8, batchSize: 4 };
  const sampler = new BatchSampler(data, { ...options, generator: new Generator(3) });
  sampler.next();
  const state = JSON.parse(JSON.stringify(sampler.getState())); // as saved in a checkpoint
  const expected = [sampler.next(), sampler.next(), sampler.next()];
  sampler.setState(state);
  assert.deepEqual([sampler.next(), sampler.next(), sampler.next()], expected);

  const resumed = new BatchSampler(data, { ...options, generator: new Generator(99) });
  resumed.setState(state);
  assert.deepEqual([resumed.next(), resumed.next(), resumed.next()], expected);
  // A different seed really gives different batches, so the replay above is not trivially true.
  assert.notDeepEqual(
    new BatchSampler(data, { ...options, generator: new Generator(99) }).next(),
    expected[0],
  );

  const other = new BatchSampler(ramp(999), { ...options, generator: new Generator(3) });
  assert.throws(() => other.setState(state), /saved with tokens 1000, this has 999/);
});

test('trainValSplit keeps the tail for validation, as views of the data', () => {
  const data = ramp(100);
  const { train, val } = trainValSplit(data);
  assert.ok(train instanceof Uint16Array && val instanceof Uint16Array);
  assert.deepEqual([train.length, val.length], [90, 10]);
  assert.equal(val[0], 90);
  assert.equal(train.buffer, data.buffer);
  const quarter = trainValSplit(Int32Array.from(ramp(10)), 0.25);
  assert.deepEqual([...quarter.val], [7, 8, 9]); // floor(10 * 0.75) = 7 tokens train, as nanoGPT's int()
  assert.equal(trainValSplit(data, 0).val.length, 0);
  assert.throws(() => trainValSplit(data, 1), /valFraction must be in \[0, 1\), got 1/);
  assert.throws(() => trainValSplit(data, Number.NaN), /got NaN/);
});
