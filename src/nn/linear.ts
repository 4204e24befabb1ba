// Linear: y = x W^T + b, W of shape [out_features, in_features] (the torch.nn.Linear layout).
import { type Generator, linear, type Tensor } from '../tensor/index.js';
import { constant, normal, uniform } from './init.js';
import { Module } from './module.js';

export interface LinearOptions {
  bias?: boolean;
  generator?: Generator;
  /** Initialise weights N(0, std) and biases 0 (GPT-2's scheme) instead of PyTorch's uniform default. */
  std?: number;
}

export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: LinearOptions = {},
  ) {
    super();
    const g = options.generator;
    const hasBias = options.bias !== false;
    if (options.std !== undefined) {
      this.weight = normal([outFeatures, inFeatures], options.std, g);
      this.bias = hasBias ? constant([outFeatures], 0) : null;
    } else {
      // PyTorch's default: U(-1/sqrt(in), 1/sqrt(in)) for weight and bias.
      const bound = 1 / Math.sqrt(inFeatures);
      this.weight = uniform([outFeatures, inFeatures], bound, g);
      this.bias = hasBias ? uniform([outFeatures], bound, g) : null;
    }
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}
