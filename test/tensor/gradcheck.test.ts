// Every differentiable op against central finite differences, on every backend, including broadcasting
// and awkward shapes.
import { describe, test } from 'node:test';
import * as T from '../../src/tensor/index.js';
import { Generator, type Tensor, tensorInt } from '../../src/tensor/index.js';
import { backends, type GradcheckOptions, gradcheck, randomAwayFromZero, withBackend } from '../helpers.js';

const g = new Generator(7);
const r = (...shape: number[]) => randomAwayFromZero(shape, g).requiresGrad_();
const positive = (...shape: number[]) =>
  T.add(T.abs(randomAwayFromZero(shape, g)), 0.5)
    .detach()
    .requiresGrad_();

type Case = [
  name: string,
  f: (...xs: Tensor[]) => Tensor,
  inputs: () => Tensor[],
  options?: GradcheckOptions,
];
// Ops with kinks where two inputs tie: a smaller step keeps the difference quotient off the kink.
const nearTies = { eps: 1e-3, tol: 5e-3 };

const cases: Case[] = [
  ['add broadcast', T.add, () => [r(3, 1, 5), r(4, 1)]],
  ['add scalar tensor', T.add, () => [r(2, 3), r()]],
  ['sub broadcast', T.sub, () => [r(2, 3), r(3)]],
  ['mul broadcast', T.mul, () => [r(4, 1, 3), r(1, 2, 3)]],
  ['div broadcast', T.div, () => [r(2, 5), positive(5)]],
  ['pow tensor^tensor', T.pow, () => [positive(3, 4), r(4)]],
  ['pow by scalar', (x) => T.pow(x, 3), () => [r(7)]],
  ['maximum', T.maximum, () => [r(3, 4), r(4)], nearTies],
  ['minimum', T.minimum, () => [r(3, 4), r(3, 1)], nearTies],
  ['neg', T.neg, () => [r(5)]],
  ['exp', T.exp, () => [r(2, 3)]],
  ['log', T.log, () => [positive(6)]],
  ['sqrt', T.sqrt, () => [positive(6)]],
  ['rsqrt', T.rsqrt, () => [positive(6)]],
  ['tanh', T.tanh, () => [r(9)]],
  ['sigmoid', T.sigmoid, () => [r(9)]],
  ['relu', T.relu, () => [r(9)]],
  ['gelu', (x) => T.gelu(x), () => [r(9)]],
  ['gelu tanh', (x) => T.gelu(x, 'tanh'), () => [r(9)]],
  ['silu', T.silu, () => [r(9)]],
  ['softplus', T.softplus, () => [r(9)]],
  ['abs', T.abs, () => [r(9)]],
  ['sin', T.sin, () => [r(9)]],
  ['cos', T.cos, () => [r(9)]],
  ['square', T.square, () => [r(9)]],
  ['reciprocal', T.reciprocal, () => [positive(9)]],
  ['sum all', (x) => T.sum(x), () => [r(3, 4)]],
  ['sum dims keepdim', (x) => T.sum(x, [0, 2], true), () => [r(2, 3, 4)]],
  ['mean dim', (x) => T.mean(x, -1), () => [r(3, 7)]],
  ['max dim', (x) => T.max(x, 1), () => [r(3, 5, 2)], nearTies],
  ['max all', (x) => T.max(x), () => [r(4, 3)], nearTies],
  ['logsumexp', (x) => T.logsumexp(x, 1), () => [r(3, 6)]],
  ['logsumexp two dims', (x) => T.logsumexp(x, [0, 2]), () => [r(2, 3, 4)]],
  ['cumsum', (x) => T.cumsum(x, 1), () => [r(2, 5, 3)]],
  ['matmul', (a, b) => T.matmul(a, b), () => [r(3, 4), r(4, 5)]],
  ['matmul transposeA', (a, b) => T.matmul(a, b, { transposeA: true }), () => [r(4, 3), r(4, 5)]],
  ['matmul transposeB', (a, b) => T.matmul(a, b, { transposeB: true }), () => [r(3, 4), r(5, 4)]],
  ['matmul both', (a, b) => T.matmul(a, b, { transposeA: true, transposeB: true }), () => [r(4, 3), r(5, 4)]],
  ['matmul batched', (a, b) => T.matmul(a, b), () => [r(2, 3, 4), r(2, 4, 5)]],
  ['matmul folded batch', (a, b) => T.matmul(a, b, { transposeB: true }), () => [r(2, 3, 4), r(5, 4)]],
  ['matmul shared a', (a, b) => T.matmul(a, b, { transposeA: true }), () => [r(4, 3), r(2, 4, 5)]],
  [
    'matmul broadcast batch',
    (a, b) => T.matmul(a, b, { transposeA: true }),
    () => [r(2, 1, 4, 3), r(3, 4, 2)],
  ],
  ['matmul vector', (a, b) => T.matmul(a, b), () => [r(4), r(4, 3)]],
  ['linear', (x, w, b) => T.linear(x, w, b), () => [r(2, 3, 4), r(5, 4), r(5)]],
  ['reshape', (x) => T.reshape(x, [3, -1]), () => [r(2, 3, 2)]],
  ['permute', (x) => T.permute(x, [2, 0, 1]), () => [r(2, 3, 4)]],
  ['transpose', (x) => T.transpose(x, 0, -1), () => [r(2, 3, 4)]],
  ['expand', (x) => T.expand(x, [2, 3, 4]), () => [r(3, 1)]],
  ['slice', (x) => T.slice(x, 1, 1, -1), () => [r(2, 5, 3)]],
  ['cat', (a, b) => T.cat([a, b], 1), () => [r(2, 3), r(2, 2)]],
  ['stack', (a, b) => T.stack([a, b], 2), () => [r(2, 3), r(2, 3)]],
  ['split', (x) => T.mul(T.split(x, 2, 0)[1], 3), () => [r(5, 2)]],
  [
    'gather',
    (x) =>
      T.gather(
        x,
        1,
        tensorInt([
          [0, 2, 2],
          [1, 0, 1],
        ]),
      ),
    () => [r(2, 4)],
  ],
  [
    'scatterAdd',
    (x, s) =>
      T.scatterAdd(
        x,
        0,
        tensorInt([
          [1, 0],
          [1, 1],
        ]),
        s,
      ),
    () => [r(3, 2), r(2, 2)],
  ],
  ['indexSelect', (x) => T.indexSelect(x, 1, tensorInt([3, 0, 3])), () => [r(2, 4, 2)]],
  [
    'embedding',
    (w) =>
      T.embedding(
        tensorInt([
          [1, 1],
          [0, 2],
        ]),
        w,
      ),
    () => [r(3, 4)],
  ],
  ['where', (a, b) => T.where(T.gt(a, 0), a, b), () => [r(3, 4), r(4)]],
  ['maskedFill', (x) => T.maskedFill(x, T.lt(x, 0), 2), () => [r(3, 4)]],
  ['softmax', (x) => T.softmax(x, -1), () => [r(3, 5)]],
  ['softmax dim 0', (x) => T.softmax(x, 0), () => [r(4, 3)]],
  ['logSoftmax', (x) => T.logSoftmax(x, 1), () => [r(2, 6, 2)]],
  ['crossEntropy mean with ignore', (x) => T.crossEntropy(x, tensorInt([2, -100, 0, 4])), () => [r(4, 5)]],
  ['crossEntropy sum', (x) => T.crossEntropy(x, tensorInt([1, 0, 3]), { reduction: 'sum' }), () => [r(3, 4)]],
  ['crossEntropy none', (x) => T.crossEntropy(x, tensorInt([1, 0]), { reduction: 'none' }), () => [r(2, 3)]],
  ['layerNorm', (x, w, b) => T.layerNorm(x, w, b), () => [r(3, 7), r(7), r(7)], { tol: 5e-3 }],
  ['layerNorm no affine', (x) => T.layerNorm(x), () => [r(2, 2, 5)], { tol: 5e-3 }],
  ['rmsNorm', (x, w) => T.rmsNorm(x, w), () => [r(3, 7), r(7)]],
  ['dropout (fixed mask)', (x) => T.dropout(x, 0.3, true, new Generator(3)), () => [r(4, 5)]],
  [
    'composite: attention-like',
    (q, k, v) => T.matmul(T.softmax(T.matmul(q, k, { transposeB: true })), v),
    () => [r(2, 3, 4), r(2, 3, 4), r(2, 3, 4)],
  ],
];

for (const backend of backends()) {
  describe(`gradcheck (${backend})`, () => {
    for (const [name, f, inputs, options] of cases) {
      test(name, () => withBackend(backend, () => gradcheck(f, inputs(), options)));
    }
  });
}
