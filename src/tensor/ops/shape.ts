// Shape ops. Reshapes share storage (tensors are always contiguous); permute, expand and slices copy.
import { backend, stridedDims } from '../../backend/index.js';
import { record } from '../autograd.js';
import { broadcastStrides, fmt, normalizeDim, numel, sameShape, splitAt, stridesOf } from '../shape.js';
import { Tensor } from '../tensor.js';
import { sumTo } from './reduce.js';

export function dimIndex(op: string, dim: number, rank: number): number {
  return normalizeDim(op, dim, rank);
}

/** Resolves one -1 in a requested shape against a total size. */
export function inferShape(op: string, shape: readonly number[], total: number): number[] {
  const unknown = shape.indexOf(-1);
  if (unknown !== shape.lastIndexOf(-1)) throw new Error(`${op}: only one dim can be -1 in ${fmt(shape)}`);
  const known = numel(shape.filter((_, i) => i !== unknown));
  const out = [...shape];
  if (unknown >= 0) {
    if (known === 0 || total % known !== 0)
      throw new Error(`${op}: cannot infer -1 in ${fmt(shape)} for ${total} elements`);
    out[unknown] = total / known;
  }
  if (numel(out) !== total || out.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`${op}: shape ${fmt(shape)} is invalid for ${total} elements`);
  }
  return out;
}

export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const out = x.withShape(inferShape('reshape', shape, x.data.length));
  return record('reshape', out, [x], (g) => [g.withShape(x.shape)]);
}

export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normalizeDim('flatten', startDim, x.ndim);
  const e = normalizeDim('flatten', endDim, x.ndim);
  return reshape(x, [...x.shape.slice(0, s), numel(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)]);
}

export function unsqueeze(x: Tensor, dim: number): Tensor {
  const d = normalizeDim('unsqueeze', dim, x.ndim + 1);
  return reshape(x, [...x.shape.slice(0, d), 1, ...x.shape.slice(d)]);
}

/** Drops one size-1 dim, or all of them. */
export function squeeze(x: Tensor, dim?: number): Tensor {
  if (dim === undefined)
    return reshape(
      x,
      x.shape.filter((d) => d !== 1),
    );
  const d = normalizeDim('squeeze', dim, x.ndim);
  return x.shape[d] === 1
    ? reshape(
        x,
        x.shape.filter((_, i) => i !== d),
      )
    : x;
}

export function permute(x: Tensor, dims: readonly number[]): Tensor {
  if (dims.length !== x.ndim)
    throw new Error(`permute: ${dims.length} dims given for a tensor of shape ${fmt(x.shape)}`);
  const order = dims.map((d) => normalizeDim('permute', d, x.ndim));
  if (new Set(order).size !== order.length) throw new Error(`permute: dims [${dims.join(', ')}] repeat`);
  const strides = stridesOf(x.shape);
  const shape = order.map((d) => x.shape[d]);
  const out = new Float32Array(x.data.length);
  backend().copyStrided(
    x.data,
    out,
    stridedDims(
      shape,
      order.map((d) => strides[d]),
    ),
    0,
  );
  const inverse = order.map((_, i) => order.indexOf(i));
  return record('permute', new Tensor(out, shape), [x], (g) => [permute(g, inverse)]);
}

export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  const order = x.shape.map((_, i) => i);
  const a = normalizeDim('transpose', dim0, x.ndim);
  const b = normalizeDim('transpose', dim1, x.ndim);
  [order[a], order[b]] = [order[b], order[a]];
  return permute(x, order);
}

/** Broadcasts to a bigger shape (-1 keeps a dim), materialised; its gradient sums back. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  const lead = shape.length - x.ndim;
  const target = shape.map((d, i) => (d === -1 ? x.shape[i - lead] : d));
  target.forEach((d, i) => {
    const own = x.shape[i - lead];
    if (lead < 0 || (i >= lead && own !== 1 && own !== d)) {
      throw new Error(`expand: cannot expand ${fmt(x.shape)} to ${fmt(shape)}`);
    }
  });
  if (sameShape(target, x.shape)) return x;
  const out = new Float32Array(numel(target));
  backend().copyStrided(x.data, out, stridedDims(target, broadcastStrides(x.shape, target)), 0);
  return record('expand', new Tensor(out, target), [x], (g) => [sumTo(g, x.shape)]);
}

/** Elements start..end-1 along a dim (negative indices count from the end, out-of-range ones clamp). */
export function slice(x: Tensor, dim: number, start: number, end = Number.POSITIVE_INFINITY): Tensor {
  const d = normalizeDim('slice', dim, x.ndim);
  const size = x.shape[d];
  const clamp = (i: number) => Math.min(Math.max(i < 0 ? i + size : i, 0), size);
  const [from, to] = [clamp(start), Math.max(clamp(start), clamp(end))];
  const [outer, , inner] = splitAt(x.shape, d);
  const len = to - from;
  const out = new Float32Array(outer * len * inner);
  for (let o = 0; o < outer; o++) {
    out.set(x.data.subarray((o * size + from) * inner, (o * size + to) * inner), o * len * inner);
  }
  const shape = x.shape.map((s, i) => (i === d ? len : s));
  return record('slice', new Tensor(out, shape), [x], (g) => {
    const gx = new Float32Array(x.data.length);
    for (let o = 0; o < outer; o++) {
      gx.set(g.data.subarray(o * len * inner, (o + 1) * len * inner), (o * size + from) * inner);
    }
    return [new Tensor(gx, x.shape)];
  });
}

/** Joins tensors along an existing dim (torch.cat). */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new Error('cat: expected at least one tensor');
  const first = tensors[0];
  const d = normalizeDim('cat', dim, first.ndim);
  for (const t of tensors) {
    if (t.ndim !== first.ndim || t.shape.some((s, i) => i !== d && s !== first.shape[i])) {
      throw new Error(`cat: shapes ${tensors.map((x) => fmt(x.shape)).join(', ')} differ outside dim ${d}`);
    }
  }
  const [outer, , inner] = splitAt(first.shape, d);
  const sizes = tensors.map((t) => t.shape[d]);
  const total = sizes.reduce((a, b) => a + b, 0);
  const out = new Float32Array(outer * total * inner);
  let at = 0;
  tensors.forEach((t, k) => {
    for (let o = 0; o < outer; o++) {
      out.set(t.data.subarray(o * sizes[k] * inner, (o + 1) * sizes[k] * inner), (o * total + at) * inner);
    }
    at += sizes[k];
  });
  const shape = first.shape.map((s, i) => (i === d ? total : s));
  return record('cat', new Tensor(out, shape), tensors, (g) => {
    let from = 0;
    return sizes.map((s) => {
      from += s;
      return slice(g, d, from - s, from);
    });
  });
}

/** Joins tensors along a new dim (torch.stack). */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new Error('stack: expected at least one tensor');
  const d = normalizeDim('stack', dim, tensors[0].ndim + 1);
  return cat(
    tensors.map((t) => unsqueeze(t, d)),
    d,
  );
}

/** Cuts along a dim into pieces of `size` (the last may be smaller), or of the given sizes (torch.split). */
export function split(x: Tensor, size: number | readonly number[], dim = 0): Tensor[] {
  const d = normalizeDim('split', dim, x.ndim);
  const total = x.shape[d];
  let sizes: number[];
  if (typeof size === 'number') {
    if (!Number.isInteger(size) || size <= 0)
      throw new Error(`split: size must be a positive integer, got ${size}`);
    sizes = Array.from({ length: Math.ceil(total / size) }, (_, i) => Math.min(size, total - i * size));
  } else {
    sizes = [...size];
    if (sizes.reduce((a, b) => a + b, 0) !== total) {
      throw new Error(
        `split: sizes [${sizes.join(', ')}] do not add up to ${total} (dim ${d} of ${fmt(x.shape)})`,
      );
    }
  }
  let from = 0;
  return sizes.map((s) => {
    from += s;
    return slice(x, d, from - s, from);
  });
}
