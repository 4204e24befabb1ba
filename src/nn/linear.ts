// Linear: y = x W^T + b, W of shape [out_features, in_features] (the torch.nn.Linear layout), with room
// for a LoRA adapter beside the weight (attached by src/merge/lora.ts).
import { add, dropout, type Generator, linear, mul, type Tensor } from '../tensor/index.js';
import { constant, normal, uniform } from './init.js';
import { Module } from './module.js';

export interface LinearOptions {
  bias?: boolean;
  generator?: Generator;
  /** Initialise weights N(0, std) and biases 0 (GPT-2's scheme) instead of PyTorch's uniform default. */
  std?: number;
}

/** A LoRA adapter's settings on one layer: y += scaling · B A dropout(x) (Hu et al.). */
export interface LoRASettings {
  scaling: number;
  dropout: number;
}

export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  /** LoRA's down- and up-projections, [r, in] and [out, r]: named as PEFT names them (c_attn.lora_A.weight). */
  lora_A: Linear | null = null;
  lora_B: Linear | null = null;
  lora: LoRASettings | null = null;

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
    const y = linear(x, this.weight, this.bias);
    if (!this.lora || !this.lora_A || !this.lora_B) return y;
    const low = this.lora_B.forward(this.lora_A.forward(dropout(x, this.lora.dropout, this.training)));
    return add(y, mul(low, this.lora.scaling));
  }
}
