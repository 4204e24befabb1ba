// Storage for results that a kernel writes in full. `new Float32Array(n)` zeroes its memory (calloc), and a
// training step of the tiny GPT spent 8% of its time in that memset, for buffers overwritten right after;
// large ones come uninitialised instead (Node's allocUnsafeSlow: malloc, not calloc). Small ones stay
// ordinary typed arrays, which V8 makes faster than any Buffer.
//
// setPoisonUninitialized(true) (or JIELONG_POISON_UNINITIALIZED=1) fills every such buffer with NaN, so a
// kernel that leaves part of its output unwritten shows in the results: the tests run models both ways.

const SMALL = 1024; // floats: below this the zeroing costs less than a Buffer

let poison = process.env.JIELONG_POISON_UNINITIALIZED === '1';

export function setPoisonUninitialized(on: boolean): void {
  poison = on;
}

/** A Float32Array of n elements whose contents are undefined until written (torch.empty's storage). */
export function uninitialized(n: number): Float32Array {
  if (poison) return new Float32Array(n).fill(Number.NaN);
  if (n < SMALL) return new Float32Array(n);
  return new Float32Array(Buffer.allocUnsafeSlow(n * 4).buffer, 0, n);
}
