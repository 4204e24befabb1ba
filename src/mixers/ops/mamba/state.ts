// What a Mamba layer carries between generation calls: the last conv inputs and the SSM state h, constant
// in size whatever the context length.
import type { MixerState } from '../../mixer.js';

export class MambaState implements MixerState {
  readonly kind = 'mamba';
  /** The last d_conv - 1 inputs of the conv, [batch, d_conv - 1, d_inner], oldest first. */
  readonly conv: Float32Array;
  /** The SSM state h, [batch, d_inner, d_state]. */
  readonly ssm: Float32Array;
  constructor(
    readonly batch: number,
    readonly dInner: number,
    readonly dState: number,
    readonly dConv: number,
  ) {
    this.conv = new Float32Array(batch * (dConv - 1) * dInner);
    this.ssm = new Float32Array(batch * dInner * dState);
  }
  bytes(): number {
    return this.conv.byteLength + this.ssm.byteLength;
  }
}
