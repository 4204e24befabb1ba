// What an attention layer carries between generation calls: the keys and values of every past position
// (the KV cache), so it grows with the context, unlike the recurrent mixers' states.
import { noGrad, Tensor } from '../../../tensor/index.js';
import type { MixerState } from '../../mixer.js';
import { rowView } from '../rows.js';

/** Keys and values of every past position, per layer: [B, H, capacity, D] each. */
export class KVCache implements MixerState {
  readonly zeroOnStart = false;
  readonly kind = 'attention';
  readonly k: Float32Array;
  readonly v: Float32Array;
  constructor(
    readonly batch: number,
    readonly heads: number,
    readonly capacity: number,
    readonly headDim: number,
    shared?: { k: Float32Array; v: Float32Array },
  ) {
    this.k = shared?.k ?? new Float32Array(batch * heads * capacity * headDim);
    this.v = shared?.v ?? new Float32Array(batch * heads * capacity * headDim);
  }

  rows(start: number, count: number): KVCache {
    const view = (b: Float32Array) => rowView(b, this.batch, start, count);
    return new KVCache(count, this.heads, this.capacity, this.headDim, { k: view(this.k), v: view(this.v) });
  }

  buffers(): Float32Array[] {
    return [this.k, this.v];
  }

  bytes(): number {
    return this.k.byteLength + this.v.byteLength;
  }

  /** Throws unless `keys` positions fit. */
  fit(keys: number): void {
    if (keys > this.capacity)
      throw new Error(`attention: KV cache holds ${this.capacity} positions, asked for ${keys}`);
  }

  /** Writes k, v [B, H, T, D] at pos and returns the whole cached prefix as tensors. */
  append(k: Tensor, v: Tensor, pos: number): [Tensor, Tensor] {
    const [batch, H, seq, D] = k.shape;
    const keys = pos + seq;
    this.fit(keys);
    return noGrad(() => {
      const all = (src: Tensor, store: Float32Array) => {
        const out = new Float32Array(batch * H * keys * D);
        for (let bh = 0; bh < batch * H; bh++) {
          const base = bh * this.capacity * D;
          store.set(src.data.subarray(bh * seq * D, (bh + 1) * seq * D), base + pos * D);
          out.set(store.subarray(base, base + keys * D), bh * keys * D);
        }
        return new Tensor(out, [batch, H, keys, D]);
      };
      return [all(k, this.k), all(v, this.v)];
    });
  }
}
