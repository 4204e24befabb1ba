// What a Mamba layer carries between generation calls: the last conv inputs and the SSM state h, constant
// in size whatever the context length.
import type { MixerState } from '../../mixer.js';
import { rowView } from '../rows.js';

export class MambaState implements MixerState {
  readonly zeroOnStart = true;
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
    shared?: { conv: Float32Array; ssm: Float32Array },
  ) {
    this.conv = shared?.conv ?? new Float32Array(batch * (dConv - 1) * dInner);
    this.ssm = shared?.ssm ?? new Float32Array(batch * dInner * dState);
  }
  rows(start: number, count: number): MambaState {
    const view = (b: Float32Array) => rowView(b, this.batch, start, count);
    return new MambaState(count, this.dInner, this.dState, this.dConv, {
      conv: view(this.conv),
      ssm: view(this.ssm),
    });
  }
  buffers(): Float32Array[] {
    return [this.conv, this.ssm];
  }
  bytes(): number {
    return this.conv.byteLength + this.ssm.byteLength;
  }
}
