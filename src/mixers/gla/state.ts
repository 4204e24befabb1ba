// The generation state of the gated-linear-attention family: one K x V matrix memory per sequence and head,
// its size fixed however long the context grows.
import type { MixerState } from '../mixer.js';

export class GlaState implements MixerState {
  /** S [batch, heads, keyDim, valueDim], the same layout as fla's recurrent_state. */
  readonly S: Float32Array;

  constructor(
    readonly kind: string,
    readonly batch: number,
    readonly heads: number,
    readonly keyDim: number,
    readonly valueDim: number,
  ) {
    this.S = new Float32Array(batch * heads * keyDim * valueDim);
  }

  bytes(): number {
    return this.S.byteLength;
  }
}
