// Normalisation layers over the last dim: LayerNorm (GPT-2) and RMSNorm (Llama).
import { layerNorm, rmsNorm, type Tensor } from '../tensor/index.js';
import { constant } from './init.js';
import { Module } from './module.js';

export class LayerNorm extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(
    readonly dim: number,
    readonly eps = 1e-5,
    options: { bias?: boolean } = {},
  ) {
    super();
    this.weight = constant([dim], 1);
    this.bias = options.bias === false ? null : constant([dim], 0);
  }

  forward(x: Tensor): Tensor {
    return layerNorm(x, this.weight, this.bias, this.eps);
  }
}

export class RMSNorm extends Module {
  readonly weight: Tensor;

  constructor(
    readonly dim: number,
    readonly eps = 1e-6,
  ) {
    super();
    this.weight = constant([dim], 1);
  }

  forward(x: Tensor): Tensor {
    return rmsNorm(x, this.weight, this.eps);
  }
}
