// What a delta-rule layer carries between generation calls: the K x V memory of every head and the last
// inputs of each short convolution. Its size does not depend on how many tokens have been seen.
import type { MixerState } from '../../mixer.js';

export class DeltaRuleState implements MixerState {
  /** [B, H, K, V] */
  readonly memory: Float32Array;
  /** [B, W - 1, width] per convolution (q, k, v), oldest input first. */
  readonly conv: { q: Float32Array; k: Float32Array; v: Float32Array };

  constructor(
    readonly kind: 'deltanet' | 'gated-deltanet',
    readonly batch: number,
    readonly heads: number,
    readonly headKDim: number,
    readonly headVDim: number,
    convSize: number,
  ) {
    this.memory = new Float32Array(batch * heads * headKDim * headVDim);
    const taps = batch * (convSize - 1);
    this.conv = {
      q: new Float32Array(taps * heads * headKDim),
      k: new Float32Array(taps * heads * headKDim),
      v: new Float32Array(taps * heads * headVDim),
    };
  }

  bytes(): number {
    return this.memory.byteLength + this.conv.q.byteLength + this.conv.k.byteLength + this.conv.v.byteLength;
  }
}
