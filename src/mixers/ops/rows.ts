// Continuous batching keeps many sequences' states in one batch and runs the active ones, packed first,
// in one forward: every state lays each buffer out sequence-major ([batch, ...]), so any run of sequences
// is a contiguous view, and a finished sequence's place is filled by copying the last one over it.
import { Tensor } from '../../tensor/index.js';
import type { MixerState } from '../mixer.js';

/** Sequences start..start+count-1 of a [batch, ...] buffer, sharing its memory. */
export function rowView(buffer: Float32Array, batch: number, start: number, count: number): Float32Array {
  const per = buffer.length / batch;
  if (
    !(
      Number.isInteger(start) &&
      Number.isInteger(count) &&
      start >= 0 &&
      count >= 1 &&
      start + count <= batch
    )
  )
    throw new RangeError(`state rows ${start}..${start + count - 1} are outside its ${batch} sequences`);
  return buffer.subarray(start * per, (start + count) * per);
}

/** Copies sequence `from` over sequence `to` in every buffer of the state. */
export function copyRow(state: MixerState, from: number, to: number): void {
  for (const b of state.buffers()) {
    const per = b.length / state.batch;
    b.copyWithin(to * per, from * per, (from + 1) * per);
  }
}

/** Empties sequence `row` for a new sequence, where what was left there could be read. */
export function clearRow(state: MixerState, row: number): void {
  if (!state.zeroOnStart) return;
  for (const b of state.buffers()) rowView(b, state.batch, row, 1).fill(0);
}

/**
 * Runs `f` on each row of x [B, T, W] at that row's own start position and stacks the results: how a
 * layer whose work depends on the position (a KV cache's slot, a rotation) serves sequences at different
 * points in one batch. Forward only (serving): the rows are views, not autograd ops.
 */
export function eachRow(
  x: Tensor,
  pos: Int32Array,
  f: (row: Tensor, b: number, at: number) => Tensor,
): Tensor {
  const [batch, seq, width] = x.shape;
  if (pos.length !== batch) throw new Error(`${pos.length} positions for ${batch} sequences`);
  const rows = Array.from(pos, (at, b) =>
    f(new Tensor(x.data.subarray(b * seq * width, (b + 1) * seq * width), [1, seq, width]), b, at),
  );
  const per = rows[0].data.length;
  const out = new Float32Array(batch * per);
  for (const [b, r] of rows.entries()) out.set(r.data, b * per);
  return new Tensor(out, [batch, ...rows[0].shape.slice(1)]);
}
