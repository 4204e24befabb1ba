// Parameter initialisers (torch.nn.init names). All take a seeded generator so models are reproducible.
import { defaultGenerator, type Generator, Tensor } from '../tensor/index.js';

function parameter(shape: number[], fill: (i: number) => number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
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
