// Linear: y = x W^T + b, W of shape [out_features, in_features] (the torch.nn.Linear layout).
import { defaultGenerator, type Generator, linear, Tensor } from '../tensor/index.js';
import { Module } from './module.js';

/** Uniform(-bound, bound) parameter. */
export function uniformParameter(
  shape: number[],
  bound: number,
  generator: Generator = defaultGenerator,
): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = (2 * generator.random() - 1) * bound;
  return new Tensor(data, shape).requiresGrad_();
}

export interface LinearOptions {
  bias?: boolean;
  generator?: Generator;
}

export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  // PyTorch's default init: U(-1/sqrt(in), 1/sqrt(in)) for weight and bias.
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: LinearOptions = {},
  ) {
    super();
    const bound = 1 / Math.sqrt(inFeatures);
    this.weight = uniformParameter([outFeatures, inFeatures], bound, options.generator);
    this.bias = options.bias === false ? null : uniformParameter([outFeatures], bound, options.generator);
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}
