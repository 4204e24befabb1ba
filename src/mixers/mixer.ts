// What every sequence mixer (attention, and later the recurrent family) offers the model: a full-sequence
// forward for training, and the same forward continuing from a state for generation.
import type { HookContext, Module } from '../nn/index.js';
import type { Tensor } from '../tensor/index.js';

/** Per-layer memory carried between generation steps (a KV cache, or a fixed-size recurrent state). */
export interface MixerState {
  /** The mixer kind whose initState made it. */
  readonly kind: string;
  /** Sequences it holds. */
  readonly batch: number;
  /** Bytes held, for the decode benchmark's memory figure. */
  bytes(): number;
  /** Sequences start..start+count-1 as a state of their own, sharing this one's memory (serving). */
  rows(start: number, count: number): MixerState;
  /** Every buffer it holds, each laid out [batch, ...] (serving copies and clears sequences in them). */
  buffers(): Float32Array[];
  /**
   * Whether a new sequence must find its buffers zeroed: a recurrent state carries everything before it;
   * a KV cache is read only up to the sequence's own position, so what an earlier one left is never seen.
   */
  readonly zeroOnStart: boolean;
}

export type Positions = number | Int32Array;

export interface MixerContext {
  hooks: HookContext;
  /** Continue from (and update) this state, for generation; null for a full-sequence forward. */
  state: MixerState | null;
  /**
   * Absolute position of x's first token (tokens already in the state): one for every sequence, or one
   * per sequence when a server batches sequences that are at different points.
   */
  pos: Positions;
}

export interface Mixer extends Module {
  /** x [batch, seq, dim] to [batch, seq, dim]. */
  forward(x: Tensor, ctx: MixerContext): Tensor;
  /** An empty state for `batch` sequences of up to `capacity` tokens. */
  initState(batch: number, capacity: number): MixerState;
}
