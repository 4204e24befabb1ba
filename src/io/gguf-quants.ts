// ggml's tensor element types that jielong reads from GGUF files, with their block layouts, and the
// codecs between them and float32. A quantised type stores values in blocks along a row (ggml's fastest
// dimension), each block a few scales and packed small integers:
//   Q8_0  32 values: f16 scale d, 32 int8 q;                x = d * q
//   Q4_0  32 values: f16 scale d, 16 bytes of 4-bit q;      x = d * (q - 8), low nibbles first half
//   Q4_K  256 values: f16 d, f16 dmin, 12 bytes of 6-bit scales and mins for 8 sub-blocks of 32,
//         128 bytes of 4-bit q;                             x = d * scale_j * q - dmin * min_j
// Writing covers F32, F16 and Q8_0 (what exportGGUF offers); reading adds Q4_0 and Q4_K, the commonest
// quantisations of published files.
import { encodeFloats, type FloatDtype, floatToHalf, halfToFloat } from './dtypes.js';

export interface GGMLType {
  readonly name: string;
  /** ggml_type's value in the file. */
  readonly id: number;
  /** Values per block (1 for plain floats). */
  readonly blockValues: number;
  /** Bytes per block. */
  readonly blockBytes: number;
}

export const GGML_TYPES = {
  F32: { name: 'F32', id: 0, blockValues: 1, blockBytes: 4 },
  F16: { name: 'F16', id: 1, blockValues: 1, blockBytes: 2 },
  Q4_0: { name: 'Q4_0', id: 2, blockValues: 32, blockBytes: 18 },
  Q8_0: { name: 'Q8_0', id: 8, blockValues: 32, blockBytes: 34 },
  Q4_K: { name: 'Q4_K', id: 12, blockValues: 256, blockBytes: 144 },
} as const satisfies Record<string, GGMLType>;

export type GGMLTypeName = keyof typeof GGML_TYPES;

// Names of the ggml types jielong does not read, for error messages only.
const OTHER_TYPE_NAMES: Record<number, string> = {
  3: 'Q4_1',
  6: 'Q5_0',
  7: 'Q5_1',
  9: 'Q8_1',
  10: 'Q2_K',
  11: 'Q3_K',
  13: 'Q5_K',
  14: 'Q6_K',
  15: 'Q8_K',
  30: 'BF16',
};

const BY_ID = new Map<number, GGMLType>(Object.values(GGML_TYPES).map((t) => [t.id, t]));

/** The type of a ggml_type id, or an error message saying what it is and what is read instead. */
export function ggmlType(id: number): GGMLType | string {
  const t = BY_ID.get(id);
  if (t) return t;
  const name = OTHER_TYPE_NAMES[id];
  return `${name ? `ggml type ${id} (${name})` : `unknown ggml type ${id}`} is not supported (jielong reads ${Object.keys(GGML_TYPES).join(', ')})`;
}

/** Bytes that `count` values of `type` take; `count` must be whole blocks. */
export function byteSize(type: GGMLType, count: number): number {
  return (count / type.blockValues) * type.blockBytes;
}

/** `count` float32 values from `bytes` (little-endian blocks of `type`), `count` whole blocks. */
export function dequantize(type: GGMLType, bytes: Uint8Array, count: number): Float32Array {
  const out = new Float32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const half = halfToFloat();
  const blocks = count / type.blockValues;
  switch (type.id) {
    case GGML_TYPES.F32.id:
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
      break;
    case GGML_TYPES.F16.id:
      for (let i = 0; i < count; i++) out[i] = half[view.getUint16(2 * i, true)];
      break;
    case GGML_TYPES.Q8_0.id:
      for (let b = 0; b < blocks; b++) {
        const at = b * 34;
        const d = half[view.getUint16(at, true)];
        for (let j = 0; j < 32; j++) out[b * 32 + j] = d * view.getInt8(at + 2 + j);
      }
      break;
    case GGML_TYPES.Q4_0.id:
      for (let b = 0; b < blocks; b++) {
        const at = b * 18;
        const d = half[view.getUint16(at, true)];
        for (let j = 0; j < 16; j++) {
          const q = bytes[at + 2 + j];
          out[b * 32 + j] = d * ((q & 15) - 8);
          out[b * 32 + j + 16] = d * ((q >> 4) - 8);
        }
      }
      break;
    case GGML_TYPES.Q4_K.id:
      for (let b = 0; b < blocks; b++) dequantizeQ4K(bytes, view, b * 144, half, out, b * 256);
      break;
    default:
      throw new Error(`dequantize: ${type.name} has no decoder`);
  }
  return out;
}

/**
 * One Q4_K super-block. Its 12 scale bytes pack eight 6-bit scales and eight 6-bit mins: bytes 0-3 hold
 * scales 0-3 in their low 6 bits, bytes 4-7 mins 0-3; scales and mins 4-7 take their low 4 bits from
 * bytes 8-11 (low and high nibble) and their top 2 bits from the spare top bits of bytes 0-3 and 4-7.
 * The 128 quant bytes come in four runs of 32: low nibbles are sub-block 2r, high nibbles 2r + 1.
 */
function dequantizeQ4K(
  bytes: Uint8Array,
  view: DataView,
  at: number,
  half: Float32Array,
  out: Float32Array,
  to: number,
): void {
  const d = half[view.getUint16(at, true)];
  const dmin = half[view.getUint16(at + 2, true)];
  const s = at + 4;
  const q = at + 16;
  for (let j = 0; j < 8; j++) {
    const scale = j < 4 ? bytes[s + j] & 63 : (bytes[s + j + 4] & 15) | ((bytes[s + j - 4] >> 6) << 4);
    const min = j < 4 ? bytes[s + j + 4] & 63 : (bytes[s + j + 4] >> 4) | ((bytes[s + j] >> 6) << 4);
    const run = q + 32 * (j >> 1);
    const shift = 4 * (j & 1);
    for (let l = 0; l < 32; l++) {
      out[to + 32 * j + l] = d * scale * ((bytes[run + l] >> shift) & 15) - dmin * min;
    }
  }
}

/** Encodes float32 values as `type` (F32, F16 or Q8_0), little-endian; `values` must be whole blocks. */
export function quantize(type: GGMLType, values: Float32Array): Uint8Array {
  if (type.id === GGML_TYPES.F32.id || type.id === GGML_TYPES.F16.id)
    return encodeFloats(type.name as FloatDtype, values);
  const out = new Uint8Array(byteSize(type, values.length));
  const view = new DataView(out.buffer);
  switch (type.id) {
    case GGML_TYPES.Q8_0.id:
      for (let b = 0; b < values.length / 32; b++) quantizeQ8(values, b * 32, view, b * 34);
      break;
    default:
      throw new Error(`quantize: jielong writes F32, F16 and Q8_0, not ${type.name}`);
  }
  return out;
}

/** ggml's reference Q8_0: the scale maps the block's largest magnitude to 127, values round half away. */
function quantizeQ8(values: Float32Array, from: number, view: DataView, at: number): void {
  let amax = 0;
  for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(values[from + j]));
  const d = amax / 127;
  const inverse = d ? 1 / d : 0;
  view.setUint16(at, floatToHalf(d), true);
  for (let j = 0; j < 32; j++) {
    const x = values[from + j] * inverse;
    view.setInt8(at + 2 + j, Math.sign(x) * Math.round(Math.abs(x)));
  }
}
