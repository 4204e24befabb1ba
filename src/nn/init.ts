// Parameter initialisers (torch.nn.init names). All take a seeded generator so models are reproducible.
import { defaultGenerator, type Generator, Tensor } from '../tensor/index.js';

/** While set, parameters are made as shapes without storage, at most `left` values in all. */
let shapesOnly: { left: number } | null = null;

/** Thrown when a model built by withShapesOnly would hold more values than its budget. */
export class ShapeBudgetError extends Error {
  constructor(readonly shape: readonly number[]) {
    super(`a parameter of shape [${shape}] exceeds the budget`);
  }
}

/**
 * Builds something (a model) whose parameters have their names and shapes but no storage and no init,
 * stopping with a ShapeBudgetError once they would hold more than `budget` values: a loader can compare a
 * config's parameters with a file's header in microseconds, whatever sizes the config asks for. Such
 * parameters are only for reading names and shapes.
 */
export function withShapesOnly<T>(budget: number, build: () => T): T {
  const outer = shapesOnly;
  shapesOnly = { left: budget };
  try {
    return build();
  } finally {
    shapesOnly = outer;
  }
}

const NO_STORAGE = new Float32Array(0);

function shapeOnly(shape: number[]): Tensor {
  // Not through the constructor, which rightly demands storage of the shape's size.
  return Object.assign(Object.create(Tensor.prototype) as Tensor, {
    data: NO_STORAGE,
    shape: Object.freeze([...shape]),
    requiresGrad: true,
    grad: null,
    gradFn: null,
    retainsGrad: false,
  });
}

/** A new parameter (a leaf that requires grad) whose i-th value is fill(i). */
export function parameter(shape: number[], fill: (i: number) => number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  if (shapesOnly) {
    shapesOnly.left -= n;
    if (!(shapesOnly.left >= 0)) throw new ShapeBudgetError(shape);
    return shapeOnly(shape);
  }
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = fill(i);
  return new Tensor(data, shape).requiresGrad_();
}

export const uniform = (shape: number[], bound: number, g: Generator = defaultGenerator): Tensor =>
  parameter(shape, () => (2 * g.random() - 1) * bound);

export const normal = (shape: number[], std: number, g: Generator = defaultGenerator): Tensor =>
  parameter(shape, () => std * g.normal());

export const constant = (shape: number[], value: number): Tensor => parameter(shape, () => value);

/**
 * Parameters that must not be weight-decayed even though they are matrices (Mamba's A_log, as the
 * reference's _no_weight_decay marks it): decay would pull the state's time constants towards zero.
 */
const noDecay = new WeakSet<Tensor>();

export function markNoWeightDecay(p: Tensor): Tensor {
  noDecay.add(p);
  return p;
}

/** Matrices are decayed; vectors (norm weights, biases) and marked parameters are not. */
export function wantsWeightDecay(p: Tensor): boolean {
  return p.ndim >= 2 && !noDecay.has(p);
}
