// ShortConvolution (fla's name): a causal depthwise Conv1d of a few taps with SiLU, weight [D, 1, W] as
// torch.nn.Conv1d(D, D, W, groups=D, bias=False) stores it, initialised as Conv1d's default does.
import { Module, uniform } from '../../nn/index.js';
import type { Generator, Tensor } from '../../tensor/index.js';
import { shortConv } from './ops.js';

export class ShortConvolution extends Module {
  readonly weight: Tensor;

  constructor(
    readonly hiddenSize: number,
    readonly kernelSize: number,
    generator?: Generator,
  ) {
    super();
    // Conv1d's kaiming-uniform default: bound 1 / sqrt(fan_in), fan_in = kernel size for one channel.
    this.weight = uniform([hiddenSize, 1, kernelSize], 1 / Math.sqrt(kernelSize), generator);
  }

  /** x [B, T, D]; with a cache [B, W - 1, D], continues from it and updates it. */
  forward(x: Tensor, cache: Float32Array | null = null): Tensor {
    return shortConv(x, this.weight, cache);
  }
}
