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
