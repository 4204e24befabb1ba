// Indexing with integer tensors: gather/scatter-add (each other's gradient), index-select and embedding,
// and selection by a mask (where, masked fill).
import { backend, stridedDims } from '../../backend/index.js';
import { record } from '../autograd.js';
import {
  broadcastShapes,
  broadcastStrides,
  fmt,
  normalizeDim,
  numel,
  type Shape,
  splitAt,
  stridesOf,
} from '../shape.js';
import { type IntTensor, Tensor } from '../tensor.js';
import { mul, type Operand, scalar, sub } from './elementwise.js';
import { sumTo } from './reduce.js';
import { reshape } from './shape.js';

function checkIndex(op: string, value: number, size: number): void {
  if (!Number.isInteger(value) || value < 0 || value >= size) {
    throw new Error(`${op}: index ${value} is out of range for a dim of size ${size}`);
  }
}

/**
 * For each element of `index` (flat position p), calls visit(p, offset) where offset is where the same
 * coordinates land in a tensor of shape `target` with the coordinate along `dim` replaced by index[p].
 */
function forEachIndexed(
  op: string,
  index: IntTensor,
  target: Shape,
  dim: number,
  visit: (p: number, offset: number) => void,
): void {
  if (index.ndim !== target.length) {
    throw new Error(`${op}: index of shape ${fmt(index.shape)} must have the rank of ${fmt(target)}`);
  }
  index.shape.forEach((s, d) => {
    if (d !== dim && s > target[d])
      throw new Error(`${op}: index ${fmt(index.shape)} exceeds ${fmt(target)} at dim ${d}`);
  });
  const ts = stridesOf(target);
  const is = stridesOf(index.shape);
  for (let p = 0; p < index.data.length; p++) {
    let offset = 0;
    for (let d = 0; d < target.length; d++) {
      const coord = d === dim ? index.data[p] : Math.floor(p / is[d]) % index.shape[d];
      offset += coord * ts[d];
    }
    checkIndex(op, index.data[p], target[dim]);
    visit(p, offset);
  }
}

/** out[..., i, ...] = x[..., index[..., i, ...], ...] along `dim` (torch.gather). */
export function gather(x: Tensor, dim: number, index: IntTensor): Tensor {
  const d = normalizeDim('gather', dim, x.ndim);
  const out = new Float32Array(index.data.length);
  forEachIndexed('gather', index, x.shape, d, (p, at) => {
    out[p] = x.data[at];
  });
  return record('gather', new Tensor(out, index.shape), [x], (g) => [
    scatterAdd(new Tensor(new Float32Array(x.data.length), x.shape), d, index, g),
  ]);
}

/** out = x, then out[..., index[..., i, ...], ...] += src[..., i, ...] along `dim` (torch.scatter_add). */
export function scatterAdd(x: Tensor, dim: number, index: IntTensor, src: Tensor): Tensor {
  const d = normalizeDim('scatterAdd', dim, x.ndim);
  if (src.data.length !== index.data.length) {
    throw new Error(`scatterAdd: src ${fmt(src.shape)} must have the shape of index ${fmt(index.shape)}`);
  }
  const out = x.data.slice();
  forEachIndexed('scatterAdd', index, x.shape, d, (p, at) => {
    out[at] += src.data[p];
  });
  return record('scatterAdd', new Tensor(out, x.shape), [x, src], (g) => [g, gather(g, d, index)]);
}

/** Picks whole slices along `dim` by a 1-D index (torch.index_select). */
export function indexSelect(x: Tensor, dim: number, index: IntTensor): Tensor {
  const d = normalizeDim('indexSelect', dim, x.ndim);
  if (index.ndim !== 1) throw new Error(`indexSelect: index must be 1-D, got ${fmt(index.shape)}`);
  const [outer, size, inner] = splitAt(x.shape, d);
  const n = index.data.length;
  for (const i of index.data) checkIndex('indexSelect', i, size);
  const out = new Float32Array(outer * n * inner);
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < n; k++) {
      const from = (o * size + index.data[k]) * inner;
      out.set(x.data.subarray(from, from + inner), (o * n + k) * inner);
    }
  }
  const shape = x.shape.map((s, i) => (i === d ? n : s));
  return record('indexSelect', new Tensor(out, shape), [x], (g) => {
    const gx = new Float32Array(x.data.length);
    const [gd, ids] = [g.data, index.data]; // locals keep the hot loop monomorphic
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < n; k++) {
        const to = (o * size + ids[k]) * inner;
        const from = (o * n + k) * inner;
        for (let j = 0; j < inner; j++) gx[to + j] += gd[from + j];
      }
    }
    return [new Tensor(gx, x.shape)];
  });
}

/** Rows of `weight` ([vocab, dim]) for each id: output shape [...ids.shape, dim] (F.embedding). */
export function embedding(ids: IntTensor, weight: Tensor): Tensor {
  if (weight.ndim !== 2)
    throw new Error(`embedding: weight must be [num_embeddings, dim], got ${fmt(weight.shape)}`);
  const rows = indexSelect(weight, 0, ids.reshape(-1));
  return rows.reshape(...ids.shape, weight.shape[1]);
}

/** Broadcast copy without graph, for masks. */
function broadcastData(t: Tensor, shape: Shape): Float32Array {
  if (t.data.length === numel(shape)) return t.data;
  const out = new Float32Array(numel(shape));
  backend().copyStrided(t.data, out, stridedDims(shape, broadcastStrides(t.shape, shape)), 0);
  return out;
}

/** a where cond is nonzero, else b; all three broadcast (torch.where). */
export function where(cond: Tensor, a: Operand, b: Operand): Tensor {
  const x = typeof a === 'number' ? scalar(a) : a;
  const y = typeof b === 'number' ? scalar(b) : b;
  const shape = broadcastShapes('where', broadcastShapes('where', cond.shape, x.shape), y.shape);
  const [c, xs, ys] = [broadcastData(cond, shape), broadcastData(x, shape), broadcastData(y, shape)];
  const out = new Float32Array(c.length);
  for (let i = 0; i < out.length; i++) out[i] = c[i] !== 0 ? xs[i] : ys[i];
  return record('where', new Tensor(out, shape), [x, y], (g) => {
    const mask = new Tensor(
      Float32Array.from(c, (v) => (v !== 0 ? 1 : 0)),
      shape,
    );
    return [
      x.requiresGrad ? sumTo(mul(g, mask), x.shape) : null,
      y.requiresGrad ? sumTo(mul(g, sub(1, mask)), y.shape) : null,
    ];
  });
}

/** x with `value` wherever mask is nonzero; mask broadcasts to x (torch.masked_fill). */
export function maskedFill(x: Tensor, mask: Tensor, value: number): Tensor {
  const shape = broadcastShapes('maskedFill', x.shape, mask.shape);
  if (numel(shape) !== x.data.length) {
    throw new Error(`maskedFill: mask ${fmt(mask.shape)} does not broadcast to ${fmt(x.shape)}`);
  }
  return reshape(where(mask, value, x), x.shape);
}
