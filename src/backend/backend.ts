// The one small interface every backend implements, derived from the kernel table (kernels.ts). Kernels read
// and write plain Float32Arrays in place: tensors own their storage in JS, so the native addon works on the
// same memory without copies. `js` implements all of it readably and is the test oracle; `native` is the
// addon's version of every kernel, behind the bindings generated from the same table.
import type { CORE } from './kernels.js';
import type { KernelArgs, Kernels } from './signature.js';

export { BINARY_OPS, type BinaryOp, UNARY_OPS, type UnaryOp } from './kernels.js';

/** gemm's arguments (see CORE.gemm): one object, its list being long. */
export type Gemm = KernelArgs<typeof CORE.gemm>;

export interface Backend extends Kernels<typeof CORE> {
  readonly name: 'js' | 'native';
}

/**
 * The dims argument of binary and copyStrided: [rank, ...shape, ...strides of each operand], the strides in
 * elements (0 on broadcast dims).
 */
export function stridedDims(shape: readonly number[], ...strides: (readonly number[])[]): Int32Array {
  return Int32Array.from([shape.length, ...shape, ...strides.flat()]);
}

/** The inverse of stridedDims, for the js kernels. */
export function unpackDims(dims: Int32Array, operands: number): { shape: number[]; strides: number[][] } {
  const rank = dims[0];
  const shape = Array.from(dims.subarray(1, 1 + rank));
  const strides = Array.from({ length: operands }, (_, t) =>
    Array.from(dims.subarray(1 + rank * (1 + t), 1 + rank * (2 + t))),
  );
  return { shape, strides };
}
