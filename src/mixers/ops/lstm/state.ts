// What an LSTM layer carries between generation calls: (h, c), replaced by the final pair after every
// forward; its size is fixed however long the context grows.
import type { Tensor } from '../../../tensor/index.js';
import type { MixerState } from '../../mixer.js';

export class LSTMState implements MixerState {
  readonly kind = 'lstm';
  /** h and c, [batch, hidden] each. */
  constructor(
    public h: Tensor,
    public c: Tensor,
  ) {}
  get batch(): number {
    return this.h.shape[0];
  }
  bytes(): number {
    return this.h.data.byteLength + this.c.data.byteLength;
  }
}
