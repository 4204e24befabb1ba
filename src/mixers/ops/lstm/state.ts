// What an LSTM layer carries between generation calls: (h, c), overwritten with the final pair after
// every forward; its size is fixed however long the context grows.
import type { MixerState } from '../../mixer.js';
import { rowView } from '../rows.js';

export class LSTMState implements MixerState {
  readonly zeroOnStart = true;
  readonly kind = 'lstm';
  /** h and c, [batch, hidden] each. */
  readonly h: Float32Array;
  readonly c: Float32Array;
  constructor(
    readonly batch: number,
    readonly hidden: number,
    shared?: { h: Float32Array; c: Float32Array },
  ) {
    this.h = shared?.h ?? new Float32Array(batch * hidden);
    this.c = shared?.c ?? new Float32Array(batch * hidden);
  }
  bytes(): number {
    return this.h.byteLength + this.c.byteLength;
  }
  rows(start: number, count: number): LSTMState {
    const view = (b: Float32Array) => rowView(b, this.batch, start, count);
    return new LSTMState(count, this.hidden, { h: view(this.h), c: view(this.c) });
  }
  buffers(): Float32Array[] {
    return [this.h, this.c];
  }
}
