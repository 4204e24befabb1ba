// The vocabulary of the kernel table (kernels.ts): what kinds of argument a kernel takes, and how the
// TypeScript type of a kernel follows from its list. The same list drives the C++ side: the bindings in
// native/src/generated/ are written from it by scripts/gen-bindings.ts, which turns each `len` and `checks`
// expression into overflow-checked C++.
//
// Expressions are C-like over the kernel's integer arguments (+ - * / %, comparisons, && ||, `f ? a : b` on
// a flag) and a few helpers the bindings define: matrix(batch, stride, rows, cols, ld) for the elements a
// batch of row-major matrices reaches, strided(dims, operands, which, offset) and count(dims, operands) for
// the [rank, ...shape, ...strides] walks of binary and copyStrided, present(buffer) for a nullable buffer.

/** How a buffer is used: read, written (must not overlap anything else), or both. */
export type Role = 'in' | 'out' | 'inout';

export interface F32Arg<N extends string = string, Null extends boolean = boolean> {
  kind: 'f32';
  name: N;
  role: Role;
  nullable: Null;
  /** Elements it must have at least, or null when its length defines `defines`. */
  len: string | null;
  defines?: string;
  /** An output that may be exactly this input (the kernel reads all of it before writing). */
  inPlaceOf?: string;
}

export interface I32Arg<N extends string = string> {
  kind: 'i32';
  name: N;
  role: Role;
  len: string;
  /** Every element must lie in [0, below), or equal `except` when given. */
  values?: { below: string; except?: string };
}

/** A non-negative integer; `bits` 32 when the kernel takes an int, 53 when it takes a long. */
export interface SizeArg<N extends string = string> {
  kind: 'size';
  name: N;
  bits: 32 | 53;
  min: number;
}

/** A signed 32-bit integer (an ignore index, say). */
export interface IntArg<N extends string = string> {
  kind: 'int';
  name: N;
}

export interface FloatArg<N extends string = string> {
  kind: 'float';
  name: N;
}

export interface FlagArg<N extends string = string> {
  kind: 'flag';
  name: N;
}

/** One of a list of op names; the native side receives its index. */
export interface OpArg<N extends string = string, O extends readonly string[] = readonly string[]> {
  kind: 'op';
  name: N;
  ops: O;
  /** The C++ enum: UnaryOp with prefix U_ gives enum UnaryOp { U_NEG, U_EXP, ..., U_COUNT }. */
  enumName: string;
  prefix: string;
}

export type Arg = F32Arg | I32Arg | SizeArg | IntArg | FloatArg | FlagArg | OpArg;

export interface KernelSpec {
  args: readonly Arg[];
  /** Takes one object with the arguments as fields (for long lists such as gemm's), not positional ones. */
  named?: boolean;
  /** [condition, message]: the call is refused with the message when the condition is false. */
  checks?: readonly (readonly [string, string])[];
  /** What it does, for the TypeScript doc and the C++ declaration. */
  doc: string;
}

export const f32 = <const N extends string>(name: N, len: string) =>
  ({ kind: 'f32', name, role: 'in', nullable: false, len }) as const satisfies F32Arg;
export const f32Out = <const N extends string>(name: N, len: string) =>
  ({ kind: 'f32', name, role: 'out', nullable: false, len }) as const satisfies F32Arg;
export const f32InOut = <const N extends string>(name: N, len: string) =>
  ({ kind: 'f32', name, role: 'inout', nullable: false, len }) as const satisfies F32Arg;
/** A buffer that may be null; when given, it must have `len` elements. */
export const f32OrNull = <const N extends string>(name: N, len: string, role: Role = 'in') =>
  ({ kind: 'f32', name, role, nullable: true, len }) as const satisfies F32Arg;
/** A buffer whose length is the size `size` (passed to C++ after the listed arguments). */
/** An output that may also be passed as the input `of` (the very same array), for in-place updates. */
export const f32OutInPlace = <const N extends string>(name: N, len: string, of: string) =>
  ({ kind: 'f32', name, role: 'out', nullable: true, len, inPlaceOf: of }) as const satisfies F32Arg;
export const f32Sized = <const N extends string>(name: N, size: string, role: Role = 'in') =>
  ({ kind: 'f32', name, role, nullable: false, len: null, defines: size }) as const satisfies F32Arg;
export const i32 = <const N extends string>(name: N, len: string, values?: I32Arg['values']) =>
  ({ kind: 'i32', name, role: 'in', len, values }) as const satisfies I32Arg;
export const i32Out = <const N extends string>(name: N, len: string) =>
  ({ kind: 'i32', name, role: 'out', len }) as const satisfies I32Arg;
export const size = <const N extends string>(name: N, min = 0) =>
  ({ kind: 'size', name, bits: 32, min }) as const satisfies SizeArg;
export const long = <const N extends string>(name: N) =>
  ({ kind: 'size', name, bits: 53, min: 0 }) as const satisfies SizeArg;
export const int = <const N extends string>(name: N) => ({ kind: 'int', name }) as const satisfies IntArg;
export const float = <const N extends string>(name: N) =>
  ({ kind: 'float', name }) as const satisfies FloatArg;
export const flag = <const N extends string>(name: N) => ({ kind: 'flag', name }) as const satisfies FlagArg;
export const op = <const N extends string, const O extends readonly string[]>(
  name: N,
  ops: O,
  enumName: string,
  prefix: string,
) => ({ kind: 'op', name, ops, enumName, prefix }) as const satisfies OpArg;

/** The JS type a caller passes for an argument. */
export type ArgType<A> = A extends { kind: 'f32'; nullable: true }
  ? Float32Array | null
  : A extends { kind: 'f32' }
    ? Float32Array
    : A extends { kind: 'i32' }
      ? Int32Array
      : A extends { kind: 'flag' }
        ? boolean
        : A extends { kind: 'op'; ops: readonly (infer O)[] }
          ? O
          : number;

type Positional<A extends readonly Arg[]> = { -readonly [I in keyof A]: ArgType<A[I]> };
type Named<A extends readonly Arg[]> = { [X in A[number] as X['name']]: ArgType<X> };

/** The function a kernel spec describes: positional arguments, or one object when `named`. */
export type KernelFn<S extends KernelSpec> = S extends { named: true }
  ? (args: Named<S['args']>) => void
  : (...args: Positional<S['args']>) => void;

/** The arguments object of a named kernel (gemm's). */
export type KernelArgs<S extends KernelSpec> = Named<S['args']>;

export type Kernels<T extends Record<string, KernelSpec>> = { [K in keyof T]: KernelFn<T[K]> };
