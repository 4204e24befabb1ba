// Reductions over any dims. The kernels reduce one dim of a tensor seen as [outer, size, inner]; several
// dims are reduced one after another.
import { backend } from '../../backend/index.js';
import { record } from '../autograd.js';
import { fmt, normalizeDim, normalizeDims, numel, type Shape, sameShape, splitAt } from '../shape.js';
import { IntTensor, Tensor } from '../tensor.js';
import { div, exp, mul, sub } from './elementwise.js';
import { expand, reshape } from './shape.js';

type AxisKernel = (x: Float32Array, out: Float32Array, outer: number, size: number, inner: number) => void;

function keptShape(shape: Shape, dims: number[]): number[] {
  return shape.map((d, i) => (dims.includes(i) ? 1 : d));
}

function finalShape(shape: Shape, dims: number[], keepdim: boolean): number[] {
  return keepdim ? keptShape(shape, dims) : shape.filter((_, i) => !dims.includes(i));
}

/** Applies a one-dim kernel to each dim in turn (no graph); returns data with the reduced dims kept as 1. */
function reduceData(x: Tensor, dims: number[], kernel: AxisKernel): Float32Array {
  let data = x.data;
  const shape = [...x.shape];
  for (const d of dims) {
    const [outer, size, inner] = splitAt(shape, d);
    const out = new Float32Array(outer * inner);
    kernel(data, out, outer, size, inner);
    data = out;
    shape[d] = 1;
  }
  return dims.length === 0 ? data.slice() : data;
}

export function sum(x: Tensor, dim?: number | readonly number[], keepdim = false): Tensor {
  const dims = normalizeDims('sum', dim, x.ndim);
  const out = new Tensor(reduceData(x, dims, backend().sumAxis), finalShape(x.shape, dims, keepdim));
  return record('sum', out, [x], (g) => [expand(g.withShape(keptShape(x.shape, dims)), x.shape)]);
}

export function mean(x: Tensor, dim?: number | readonly number[], keepdim = false): Tensor {
  const dims = normalizeDims('mean', dim, x.ndim);
  const count = numel(dims.map((d) => x.shape[d]));
  return div(sum(x, dims, keepdim), count);
}

/** Sums a broadcast gradient back down to `shape` (the inverse of broadcasting). */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  if (lead < 0) throw new Error(`sumTo: cannot reduce ${fmt(g.shape)} to ${fmt(shape)}`);
  const dims: number[] = [];
  g.shape.forEach((d, i) => {
    if (i < lead || (shape[i - lead] === 1 && d !== 1)) dims.push(i);
  });
  return sum(g, dims, true).withShape(shape);
}

function maxKernel(x: Tensor, dim: number): { values: Float32Array; argmax: Int32Array } {
  const [outer, size, inner] = splitAt(x.shape, dim);
  if (size === 0) throw new Error(`max: cannot reduce over dim ${dim} of size 0 in ${fmt(x.shape)}`);
  const values = new Float32Array(outer * inner);
  const argmax = new Int32Array(outer * inner);
  backend().maxAxis(x.data, values, argmax, outer, size, inner);
  return { values, argmax };
}

/** Max over one dim (or over everything); the gradient flows to the first position that holds the max. */
export function max(x: Tensor, dim?: number, keepdim = false): Tensor {
  if (dim === undefined) {
    const m = max(reshape(x, [-1]), 0);
    return keepdim
      ? reshape(
          m,
          x.shape.map(() => 1),
        )
      : m;
  }
  const d = normalizeDim('max', dim, x.ndim);
  const { values, argmax } = maxKernel(x, d);
  const out = new Tensor(values, finalShape(x.shape, [d], keepdim));
  return record('max', out, [x], (g) => {
    const [outer, size, inner] = splitAt(x.shape, d);
    const gx = new Float32Array(x.data.length);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++)
        gx[(o * size + argmax[o * inner + i]) * inner + i] = g.data[o * inner + i];
    }
    return [new Tensor(gx, x.shape)];
  });
}

/** Index of the max over one dim (or of the flattened tensor). */
export function argmax(x: Tensor, dim?: number, keepdim = false): IntTensor {
  if (dim === undefined) return new IntTensor(maxKernel(x.withShape([x.data.length]), 0).argmax, []);
  const d = normalizeDim('argmax', dim, x.ndim);
  return new IntTensor(maxKernel(x, d).argmax, finalShape(x.shape, [d], keepdim));
}

/** log(sum(exp(x))) over dims, computed stably; its gradient is softmax(x) * g. */
export function logsumexp(x: Tensor, dim: number | readonly number[], keepdim = false): Tensor {
  const dims = normalizeDims('logsumexp', dim, x.ndim);
  const lse = reduceData(x, dims, (xs, out, outer, size, inner) => {
    // Several dims: take logsumexp of the partial logsumexps, which is exact.
    backend().logsumexpAxis(xs, out, outer, size, inner);
  });
  const kept = keptShape(x.shape, dims);
  const out = new Tensor(lse, finalShape(x.shape, dims, keepdim));
  return record('logsumexp', out, [x], (g) => {
    const p = exp(sub(x, new Tensor(lse, kept)));
    return [mul(p, g.withShape(kept))];
  });
}

/** Running sum along a dim; its gradient is the running sum of g taken from the end. */
export function cumsum(x: Tensor, dim: number): Tensor {
  const d = normalizeDim('cumsum', dim, x.ndim);
  const [outer, size, inner] = splitAt(x.shape, d);
  const out = new Float32Array(x.data.length);
  backend().cumsumAxis(x.data, out, outer, size, inner);
  return record('cumsum', new Tensor(out, x.shape), [x], (g) => {
    const gx = new Float32Array(x.data.length);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let s = 0;
        for (let r = size - 1; r >= 0; r--) {
          const at = (o * size + r) * inner + i;
          s += g.data[at];
          gx[at] = s;
        }
      }
    }
    return [new Tensor(gx, x.shape)];
  });
}
