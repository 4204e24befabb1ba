// The generation state of the gated-linear-attention family: one K x V matrix memory per sequence and head,
// and, when the layer has short convolutions, their last inputs; its size fixed however long the context grows.
import type { MixerState } from '../../mixer.js';

export class GlaState implements MixerState {
  /** S [batch, heads, keyDim, valueDim], the same layout as fla's recurrent_state. */
  readonly S: Float32Array;
  /** [batch, convSize - 1, width] per short convolution (q, k, v), oldest input first; null without them. */
  readonly conv: { q: Float32Array; k: Float32Array; v: Float32Array } | null;

  constructor(
    readonly kind: string,
    readonly batch: number,
    readonly heads: number,
    readonly keyDim: number,
    readonly valueDim: number,
    convSize = 0,
  ) {
    this.S = new Float32Array(batch * heads * keyDim * valueDim);
    const taps = batch * (convSize - 1) * heads;
    this.conv =
      convSize > 0
        ? {
            q: new Float32Array(taps * keyDim),
            k: new Float32Array(taps * keyDim),
            v: new Float32Array(taps * valueDim),
          }
        : null;
  }

  bytes(): number {
    const c = this.conv;
    return this.S.byteLength + (c ? c.q.byteLength + c.k.byteLength + c.v.byteLength : 0);
  }
}
