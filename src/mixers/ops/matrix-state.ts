// The generation state of the matrix-memory mixers (linear attention, RetNet, GLA, the delta rules): one
// K x V memory per sequence and head (fla's recurrent_state), and, when the layer has short convolutions,
// their last inputs. Its size is fixed however long the context grows.
import type { MixerState } from '../mixer.js';
import { rowView } from './rows.js';

type Buffers = { S: Float32Array; conv: { q: Float32Array; k: Float32Array; v: Float32Array } | null };

export class MatrixMemoryState implements MixerState {
  readonly zeroOnStart = true;
  /** S [batch, heads, headK, headV], the layout of fla's recurrent_state. */
  readonly S: Float32Array;
  /** [batch, convSize - 1, heads * width] per short convolution (q, k, v), oldest input first; null without. */
  readonly conv: { q: Float32Array; k: Float32Array; v: Float32Array } | null;

  constructor(
    readonly kind: string,
    readonly batch: number,
    readonly heads: number,
    readonly headK: number,
    readonly headV: number,
    readonly convSize: number,
    shared?: Buffers,
  ) {
    this.S = shared?.S ?? new Float32Array(batch * heads * headK * headV);
    const taps = batch * (convSize - 1) * heads;
    this.conv =
      shared?.conv ??
      (convSize > 0
        ? {
            q: new Float32Array(taps * headK),
            k: new Float32Array(taps * headK),
            v: new Float32Array(taps * headV),
          }
        : null);
  }

  rows(start: number, count: number): MatrixMemoryState {
    const view = (b: Float32Array) => rowView(b, this.batch, start, count);
    const c = this.conv;
    const shared = { S: view(this.S), conv: c ? { q: view(c.q), k: view(c.k), v: view(c.v) } : null };
    return new MatrixMemoryState(this.kind, count, this.heads, this.headK, this.headV, this.convSize, shared);
  }

  buffers(): Float32Array[] {
    const c = this.conv;
    return [this.S, ...(c ? [c.q, c.k, c.v] : [])];
  }

  /** Whether a layer of this shape made it (a state is only ever continued by its own kind of layer). */
  fits(heads: number, headK: number, headV: number, convSize: number): boolean {
    return this.heads === heads && this.headK === headK && this.headV === headV && this.convSize === convSize;
  }

  bytes(): number {
    const c = this.conv;
    return this.S.byteLength + (c ? c.q.byteLength + c.k.byteLength + c.v.byteLength : 0);
  }
}
