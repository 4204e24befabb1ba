// Making tensors: from JS values, filled, ranges, and seeded random draws.
import { defaultGenerator, type Generator } from '../rng.js';
import { checkShape, fmt, numel, type Shape } from '../shape.js';
import { IntTensor, type NestedArray, Tensor } from '../tensor.js';

interface RandomOptions {
  generator?: Generator;
  requiresGrad?: boolean;
}

function flatten(values: NestedArray): number[] {
  return Array.isArray(values) ? values.flatMap(flatten) : [values];
}

function shapeOfNested(op: string, values: NestedArray): number[] {
  const shape: number[] = [];
  let v: NestedArray = values;
  while (Array.isArray(v)) {
    shape.push(v.length);
    v = v[0];
  }
  const flat = flatten(values);
  if (flat.length !== numel(shape) || flat.some((x) => typeof x !== 'number')) {
    throw new Error(`${op}: nested array is ragged or holds non-numbers (expected ${fmt(shape)})`);
  }
  return shape;
}

/** A tensor from (nested) numbers, shape inferred, like torch.tensor. */
export function tensor(values: NestedArray, options: { requiresGrad?: boolean } = {}): Tensor {
  const shape = shapeOfNested('tensor', values);
  const t = new Tensor(Float32Array.from(flatten(values)), shape);
  return t.requiresGrad_(options.requiresGrad ?? false);
}

/** A tensor of `shape` over flat values (copied into a new Float32Array unless already one). */
export function fromArray(values: ArrayLike<number>, shape: Shape = [values.length]): Tensor {
  const data = values instanceof Float32Array ? values : Float32Array.from(values);
  return new Tensor(data, shape);
}

/** An index tensor from (nested) integers. */
export function tensorInt(values: NestedArray): IntTensor {
  const shape = shapeOfNested('tensorInt', values);
  return new IntTensor(Int32Array.from(flatten(values)), shape);
}

export function full(shape: Shape, value: number): Tensor {
  checkShape('full', shape);
  return new Tensor(new Float32Array(numel(shape)).fill(value), shape);
}

export const zeros = (shape: Shape): Tensor => full(shape, 0);
export const ones = (shape: Shape): Tensor => full(shape, 1);
export const zerosLike = (t: Tensor): Tensor => full(t.shape, 0);
export const onesLike = (t: Tensor): Tensor => full(t.shape, 1);

/** start, start+step, ... below end (torch.arange). */
export function arange(start: number, end?: number, step = 1): Tensor {
  const [from, to] = end === undefined ? [0, start] : [start, end];
  if (step === 0) throw new Error('arange: step must be nonzero');
  const n = Math.max(0, Math.ceil((to - from) / step));
  return new Tensor(
    Float32Array.from({ length: n }, (_, i) => from + i * step),
    [n],
  );
}

/** Standard normal draws from a seeded generator. */
export function randn(shape: Shape, options: RandomOptions = {}): Tensor {
  checkShape('randn', shape);
  const g = options.generator ?? defaultGenerator;
  const data = new Float32Array(numel(shape));
  for (let i = 0; i < data.length; i++) data[i] = g.normal();
  return new Tensor(data, shape).requiresGrad_(options.requiresGrad ?? false);
}

/** Uniform draws in [0, 1) from a seeded generator. */
export function rand(shape: Shape, options: RandomOptions = {}): Tensor {
  checkShape('rand', shape);
  const g = options.generator ?? defaultGenerator;
  const data = new Float32Array(numel(shape));
  for (let i = 0; i < data.length; i++) data[i] = g.random();
  return new Tensor(data, shape).requiresGrad_(options.requiresGrad ?? false);
}

/** Uniform integers in [low, high). */
export function randint(
  low: number,
  high: number,
  shape: Shape,
  generator: Generator = defaultGenerator,
): IntTensor {
  checkShape('randint', shape);
  const data = new Int32Array(numel(shape));
  for (let i = 0; i < data.length; i++) data[i] = low + generator.randint(high - low);
  return new IntTensor(data, shape);
}
