// Forward semantics of the ops (values and shapes as PyTorch defines them) and their error messages.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as T from '../../src/tensor/index.js';
import { Generator, tensor, tensorInt } from '../../src/tensor/index.js';

const list = (t: T.Tensor) => t.tolist();

test('creation: tensor, zeros, ones, full, arange, seeded randn/rand', () => {
  assert.deepEqual(
    tensor([
      [1, 2],
      [3, 4],
    ]).shape,
    [2, 2],
  );
  assert.deepEqual(list(T.full([2], 7)), [7, 7]);
  assert.deepEqual(list(T.arange(5)), [0, 1, 2, 3, 4]);
  assert.deepEqual(list(T.arange(1, 2, 0.25)), [1, 1.25, 1.5, 1.75]);
  assert.deepEqual(
    T.randn([4], { generator: new Generator(3) }).data,
    T.randn([4], { generator: new Generator(3) }).data,
  );
  assert.notDeepEqual(
    T.randn([4], { generator: new Generator(3) }).data,
    T.randn([4], { generator: new Generator(4) }).data,
  );
  const u = T.rand([1000], { generator: new Generator(1) });
  assert.ok(u.data.every((v) => v >= 0 && v < 1));
  const n = T.randn([20000], { generator: new Generator(2) });
  const mean = T.mean(n).item();
  const std = Math.sqrt(T.mean(T.square(n)).item() - mean * mean);
  assert.ok(Math.abs(mean) < 0.03 && Math.abs(std - 1) < 0.03, `randn mean ${mean} std ${std}`);
  assert.throws(() => tensor([[1, 2], [3]]), /ragged/);
});

test('broadcasting follows NumPy rules and names the shapes when it cannot', () => {
  const a = T.arange(6).reshape(2, 3);
  assert.deepEqual(list(T.add(a, tensor([10, 20, 30]))), [
    [10, 21, 32],
    [13, 24, 35],
  ]);
  assert.deepEqual(list(T.mul(a, tensor([[2], [3]]))), [
    [0, 2, 4],
    [9, 12, 15],
  ]);
  assert.deepEqual(T.add(T.zeros([3, 1, 5]), T.zeros([4, 1])).shape, [3, 4, 5]);
  assert.deepEqual(list(T.sub(1, tensor([1, 2]))), [0, -1]);
  assert.throws(
    () => T.add(T.zeros([2, 3]), T.zeros([4])),
    /add: shapes \[2, 3\] and \[4\] cannot be broadcast/,
  );
});

test('reductions over any dims, with keepdim', () => {
  const x = T.arange(24).reshape(2, 3, 4);
  assert.deepEqual(T.sum(x, 1).shape, [2, 4]);
  assert.deepEqual(T.sum(x, [0, 2], true).shape, [1, 3, 1]);
  assert.deepEqual(list(T.sum(x, [0, 2])), [60, 92, 124]);
  assert.equal(T.sum(x).item(), 276);
  assert.deepEqual(list(T.mean(x, -1)), [
    [1.5, 5.5, 9.5],
    [13.5, 17.5, 21.5],
  ]);
  assert.deepEqual(list(T.max(x, 1)), [
    [8, 9, 10, 11],
    [20, 21, 22, 23],
  ]);
  assert.deepEqual(
    T.argmax(
      tensor([
        [1, 5, 2],
        [7, 0, 7],
      ]),
      1,
    ).tolist(),
    [1, 0],
  );
  assert.ok(Math.abs(T.logsumexp(tensor([1000, 1000]), 0).item() - (1000 + Math.log(2))) < 1e-3);
  assert.deepEqual(
    list(
      T.cumsum(
        tensor([
          [1, 2],
          [3, 4],
        ]),
        0,
      ),
    ),
    [
      [1, 2],
      [4, 6],
    ],
  );
  assert.throws(() => T.sum(x, 3), /sum: dim 3 is out of range for a tensor of rank 3/);
});

test('matmul: batched, transposed, broadcast, vectors; mismatches name the shapes', () => {
  const a = tensor([
    [1, 2],
    [3, 4],
  ]);
  const b = tensor([
    [5, 6],
    [7, 8],
  ]);
  assert.deepEqual(list(T.matmul(a, b)), [
    [19, 22],
    [43, 50],
  ]);
  assert.deepEqual(list(T.matmul(a, b, { transposeA: true })), [
    [26, 30],
    [38, 44],
  ]);
  assert.deepEqual(list(T.matmul(a, b, { transposeB: true })), [
    [17, 23],
    [39, 53],
  ]);
  assert.deepEqual(T.matmul(T.zeros([5, 1, 2, 3]), T.zeros([4, 3, 7])).shape, [5, 4, 2, 7]);
  assert.deepEqual(list(T.matmul(tensor([1, 1]), b)), [12, 14]);
  assert.throws(
    () => T.matmul(T.zeros([2, 3]), T.zeros([4, 5])),
    /matmul: shapes \[2, 3\] and \[4, 5\] do not match/,
  );
  assert.throws(() => T.matmul(T.zeros([2, 3, 4]), T.zeros([3, 4, 5])), /cannot be broadcast/);
});

test('shape ops: reshape, permute, slice, cat, split, stack, expand, squeeze', () => {
  const x = T.arange(6).reshape(2, 3);
  assert.deepEqual(list(T.transpose(x, 0, 1)), [
    [0, 3],
    [1, 4],
    [2, 5],
  ]);
  assert.deepEqual(T.permute(T.arange(24).reshape(2, 3, 4), [2, 0, 1]).shape, [4, 2, 3]);
  assert.deepEqual(list(T.slice(x, 1, 1)), [
    [1, 2],
    [4, 5],
  ]);
  assert.deepEqual(list(T.slice(x, 1, -2, -1)), [[1], [4]]);
  assert.deepEqual(T.cat([x, x], 0).shape, [4, 3]);
  assert.deepEqual(
    T.split(T.arange(7), 3).map((t) => t.shape[0]),
    [3, 3, 1],
  );
  assert.deepEqual(T.split(T.arange(7), [2, 5]).map(list), [
    [0, 1],
    [2, 3, 4, 5, 6],
  ]);
  assert.deepEqual(T.stack([x, x], 1).shape, [2, 2, 3]);
  assert.deepEqual(list(T.expand(tensor([[1], [2]]), [2, 3])), [
    [1, 1, 1],
    [2, 2, 2],
  ]);
  assert.deepEqual(T.squeeze(T.zeros([1, 3, 1])).shape, [3]);
  assert.deepEqual(T.unsqueeze(T.zeros([3]), -1).shape, [3, 1]);
  assert.throws(() => T.reshape(x, [4, -1]), /reshape: cannot infer -1 in \[4, -1\] for 6 elements/);
  assert.throws(() => T.cat([x, T.zeros([2, 2])], 0), /cat: shapes \[2, 3\], \[2, 2\] differ outside dim 0/);
  assert.throws(() => T.expand(tensor([1, 2]), [3, 3]), /expand: cannot expand \[2\] to \[3, 3\]/);
});

test('indexing: gather, scatterAdd, indexSelect, embedding, where, maskedFill', () => {
  const x = tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  assert.deepEqual(
    list(
      T.gather(
        x,
        1,
        tensorInt([
          [2, 0],
          [1, 1],
        ]),
      ),
    ),
    [
      [3, 1],
      [5, 5],
    ],
  );
  assert.deepEqual(list(T.scatterAdd(T.zeros([3]), 0, tensorInt([0, 2, 0]), tensor([1, 2, 3]))), [4, 0, 2]);
  assert.deepEqual(list(T.indexSelect(x, 0, tensorInt([1, 1, 0]))), [
    [4, 5, 6],
    [4, 5, 6],
    [1, 2, 3],
  ]);
  assert.deepEqual(T.embedding(tensorInt([[0, 1, 1]]), x.transpose(0, 1)).shape, [1, 3, 2]);
  assert.deepEqual(list(T.where(T.gt(x, 3), x, 0)), [
    [0, 0, 0],
    [4, 5, 6],
  ]);
  assert.deepEqual(list(T.maskedFill(x, tensor([1, 0, 1]), -1)), [
    [-1, 2, -1],
    [-1, 5, -1],
  ]);
  assert.throws(
    () => T.indexSelect(x, 0, tensorInt([2])),
    /indexSelect: index 2 is out of range for a dim of size 2/,
  );
  assert.throws(
    () => T.gather(x, 1, tensorInt([0, 1])),
    /gather: index of shape \[2\] must have the rank of \[2, 3\]/,
  );
});

test('pointwise functions match their definitions', () => {
  const x = tensor([-3, -0.5, 0, 0.5, 3]);
  const close = (t: T.Tensor, f: (v: number) => number) =>
    t.data.forEach((v, i) => {
      assert.ok(Math.abs(v - f(x.data[i])) < 1e-6, `${v} vs ${f(x.data[i])}`);
    });
  close(T.relu(x), (v) => Math.max(v, 0));
  close(T.sigmoid(x), (v) => 1 / (1 + Math.exp(-v)));
  close(T.silu(x), (v) => v / (1 + Math.exp(-v)));
  close(T.softplus(x), (v) => Math.log(1 + Math.exp(v)));
  close(
    T.gelu(x, 'tanh'),
    (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))),
  );
  // exact GELU at known points: x * Phi(x)
  assert.ok(Math.abs(T.gelu(tensor([1])).item() - 0.8413447) < 1e-6);
  assert.ok(Math.abs(T.gelu(tensor([-1])).item() + 0.1586553) < 1e-6);
});

test('softmax, cross-entropy with ignore index, norms, dropout', () => {
  const logits = tensor([
    [1, 2, 3],
    [1, 1, 1],
  ]);
  const p = T.softmax(logits);
  assert.ok(Math.abs(T.sum(p, 1).data[0] - 1) < 1e-6);
  const ce = T.crossEntropy(logits, tensorInt([2, -100]));
  const expected = -Math.log(Math.exp(3) / (Math.exp(1) + Math.exp(2) + Math.exp(3)));
  assert.ok(Math.abs(ce.item() - expected) < 1e-6, 'mean over non-ignored rows only');
  assert.ok(Number.isNaN(T.crossEntropy(logits, tensorInt([-100, -100])).item()), 'all ignored gives NaN');
  assert.throws(() => T.crossEntropy(logits, tensorInt([3, 0])), /target 3 is out of range for 3 classes/);
  const ln = T.layerNorm(tensor([[1, 2, 3, 4]]));
  assert.ok(Math.abs(T.mean(ln).item()) < 1e-6 && Math.abs(T.mean(T.square(ln)).item() - 1) < 1e-4);
  const rms = T.rmsNorm(tensor([[3, 4]]), null, 0);
  assert.deepEqual(
    Array.from(rms.data).map((v) => v.toFixed(5)),
    [3, 4].map((v) => (v / Math.sqrt(12.5)).toFixed(5)),
  );
  assert.throws(() => T.layerNorm(T.zeros([2, 3]), T.ones([4])), /layerNorm: parameter of shape \[4\]/);
  const d = T.dropout(T.ones([10000]), 0.25, true, new Generator(1));
  const kept = d.data.filter((v) => v !== 0);
  assert.ok(Math.abs(kept.length / 10000 - 0.75) < 0.02 && kept.every((v) => Math.abs(v - 4 / 3) < 1e-6));
  assert.equal(T.dropout(logits, 0.5, false), logits);
});

test('Tensor rejects storage that does not fit its shape', () => {
  assert.throws(() => new T.Tensor(new Float32Array(5), [2, 3]), /5 values cannot have shape \[2, 3\]/);
  assert.throws(() => T.zeros([2, -1]), /invalid shape/);
  assert.throws(() => tensor([1, 2]).item(), /item: tensor of shape \[2\] has 2 elements/);
});
