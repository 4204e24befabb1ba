// The safetensors element types we read, and their decoding from the file's little-endian bytes: floats
// become float32 Tensors, integers and bools int32 IntTensors.
import { IntTensor, type Shape, Tensor } from '../tensor/index.js';

/** In the order of the reference implementation's Dtype enum: its writer sorts tensors by it. */
export const DTYPES = ['BOOL', 'U8', 'I8', 'I16', 'F16', 'BF16', 'I32', 'F32', 'F64', 'I64'] as const;
export type Dtype = (typeof DTYPES)[number];

/** Bytes per element. */
export const DTYPE_SIZE: Readonly<Record<Dtype, number>> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  I16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
};

export function isDtype(value: unknown): value is Dtype {
  return DTYPES.includes(value as Dtype);
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Converts elements in place between the file's little-endian order and the host's (its own inverse), so
 * typed arrays can read and write file bytes directly; a no-op on little-endian hosts.
 */
export function swapLittleEndian(bytes: Uint8Array, elementSize: number): void {
  if (LITTLE_ENDIAN_HOST || elementSize === 1) return;
  for (let i = 0; i < bytes.length; i += elementSize) bytes.subarray(i, i + elementSize).reverse();
}

let halfTable: Float32Array | undefined;

/** float32 value of every float16 bit pattern, built on first use (256 KB; one lookup per element). */
export function halfToFloat(): Float32Array {
  if (halfTable) return halfTable;
  halfTable = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >> 10) & 0x1f;
    const fraction = h & 0x3ff;
    if (exponent === 0) halfTable[h] = sign * fraction * 2 ** -24;
    else if (exponent === 31) halfTable[h] = fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
    else halfTable[h] = sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
  }
  return halfTable;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The float16 bit pattern nearest to x (ties to even, as the hardware conversion ggml uses). */
export function floatToHalf(x: number): number {
  f32[0] = x;
  const bits = u32[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const e = exponent - 112; // rebias from 127 to 15
  if (e >= 0x1f) return sign | 0x7c00;
  // Normal halves keep 10 of the 23 mantissa bits; subnormal ones shift the implicit 1 in too. Rounding
  // up can carry into the exponent, which is the right answer (up to infinity).
  const full = e > 0 ? mantissa : mantissa | 0x800000;
  const shift = e > 0 ? 13 : 14 - e;
  if (shift > 24) return sign;
  const kept = e > 0 ? (e << 10) | (full >>> shift) : full >>> shift;
  const rest = full & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return sign | (kept + (rest > half || (rest === half && kept & 1) ? 1 : 0));
}

/** The float dtypes a tensor can be written in. */
export type FloatDtype = 'F32' | 'F16' | 'BF16';

/** float32 values as the little-endian bytes of `dtype` (bfloat16 rounds to nearest, ties to even). */
export function encodeFloats(dtype: FloatDtype, values: Float32Array): Uint8Array {
  if (dtype === 'F32') {
    const out = new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice();
    swapLittleEndian(out, 4);
    return out;
  }
  const out = new Uint8Array(values.length * DTYPE_SIZE[dtype]);
  const view = new DataView(out.buffer);
  if (dtype === 'F16')
    for (let i = 0; i < values.length; i++) view.setUint16(2 * i, floatToHalf(values[i]), true);
  else {
    const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
    for (let i = 0; i < values.length; i++) {
      const b = bits[i];
      const nan = (b & 0x7fffffff) > 0x7f800000;
      view.setUint16(2 * i, nan ? (b >>> 16) | 0x40 : (b + 0x7fff + ((b >>> 16) & 1)) >>> 16, true);
    }
  }
  return out;
}

/**
 * Decodes one tensor from `buffer` (exactly its bytes, little-endian), which it takes over: a whole
 * ArrayBuffer is aligned for every typed view, whatever the tensor's offset in the file was. `what` names
 * the tensor in errors.
 */
export function decodeTensor(
  dtype: Dtype,
  shape: Shape,
  buffer: ArrayBuffer,
  what: string,
): Tensor | IntTensor {
  swapLittleEndian(new Uint8Array(buffer), DTYPE_SIZE[dtype]);
  switch (dtype) {
    case 'F32':
      return new Tensor(new Float32Array(buffer), shape);
    case 'F64':
      return new Tensor(Float32Array.from(new Float64Array(buffer)), shape);
    case 'F16': {
      const half = new Uint16Array(buffer);
      const table = halfToFloat();
      const out = new Float32Array(half.length);
      for (let i = 0; i < half.length; i++) out[i] = table[half[i]];
      return new Tensor(out, shape);
    }
    case 'BF16': {
      // bfloat16 is the top half of a float32: shifting the bits up is exact, NaN payloads included.
      const half = new Uint16Array(buffer);
      const out = new Float32Array(half.length);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < half.length; i++) bits[i] = half[i] << 16;
      return new Tensor(out, shape);
    }
    case 'I32':
      return new IntTensor(new Int32Array(buffer), shape);
    case 'I64': {
      const wide = new BigInt64Array(buffer);
      const out = new Int32Array(wide.length);
      for (let i = 0; i < wide.length; i++) {
        const v = wide[i];
        if (v > 2147483647n || v < -2147483648n) {
          throw new Error(`${what}: I64 value ${v} at index ${i} does not fit in an int32 IntTensor`);
        }
        out[i] = Number(v);
      }
      return new IntTensor(out, shape);
    }
    case 'I16':
      return new IntTensor(Int32Array.from(new Int16Array(buffer)), shape);
    case 'I8':
      return new IntTensor(Int32Array.from(new Int8Array(buffer)), shape);
    case 'U8':
    case 'BOOL':
      return new IntTensor(Int32Array.from(new Uint8Array(buffer)), shape);
  }
}
