// Mamba (selective SSM): input-dependent delta, B, C; A = -exp(A_log); every state cell gated.
// Not built yet: the model config accepts the name so hybrids can be declared, and construction fails
// with a clear message until this file holds the layer.
import { Module } from '../nn/index.js';
import type { Tensor } from '../tensor/index.js';
import type { Mixer, MixerContext, MixerState } from './mixer.js';
import type { MixerOptions } from './options.js';

export class Mamba extends Module implements Mixer {
  constructor(_options: MixerOptions) {
    super();
    throw new Error('mixer "mamba" is not implemented yet');
  }

  forward(_x: Tensor, _ctx: MixerContext): Tensor {
    throw new Error('mixer "mamba" is not implemented yet');
  }

  initState(_batch: number, _capacity: number): MixerState {
    throw new Error('mixer "mamba" is not implemented yet');
  }
}
