// Writing GGUF version 3 (the layout is described in gguf.ts): header, metadata, tensor infos, then each
// tensor's data at the next multiple of the alignment, zero-padded, written atomically.
import { writeFileAtomic } from './atomic.js';
import { GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC } from './gguf.js';
import { type GGMLType, quantize } from './gguf-quants.js';
import {
  GGUF_VALUE_TYPES,
  type GGUFScalar,
  type GGUFScalarType,
  type GGUFValue,
  SCALAR_BYTES,
} from './gguf-values.js';

export interface GGUFTensorOut {
  name: string;
  /** Row-major shape (a Linear weight [out, in]); written in ggml order, reversed. */
  shape: readonly number[];
  type: GGMLType;
  values: Float32Array;
}

const SETTERS: Record<keyof typeof SCALAR_BYTES, (d: DataView, v: GGUFScalar) => void> = {
  u8: (d, v) => d.setUint8(0, v as number),
  i8: (d, v) => d.setInt8(0, v as number),
  u16: (d, v) => d.setUint16(0, v as number, true),
  i16: (d, v) => d.setInt16(0, v as number, true),
  u32: (d, v) => d.setUint32(0, v as number, true),
  i32: (d, v) => d.setInt32(0, v as number, true),
  f32: (d, v) => d.setFloat32(0, v as number, true),
  bool: (d, v) => d.setUint8(0, v ? 1 : 0),
  u64: (d, v) => d.setBigUint64(0, BigInt(v as number | bigint), true),
  i64: (d, v) => d.setBigInt64(0, BigInt(v as number | bigint), true),
  f64: (d, v) => d.setFloat64(0, v as number, true),
};

/** Appends little-endian values to growing pieces. */
class Bytes {
  readonly pieces: Uint8Array[] = [];
  length = 0;

  push(b: Uint8Array): void {
    this.pieces.push(b);
    this.length += b.length;
  }

  fixed(n: number, set: (view: DataView) => void): void {
    const b = new Uint8Array(n);
    set(new DataView(b.buffer));
    this.push(b);
  }

  u32(v: number): void {
    this.fixed(4, (d) => d.setUint32(0, v, true));
  }

  u64(v: number | bigint): void {
    this.fixed(8, (d) => d.setBigUint64(0, BigInt(v), true));
  }

  string(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.push(b);
  }

  padTo(alignment: number): void {
    const pad = (alignment - (this.length % alignment)) % alignment;
    if (pad) this.push(new Uint8Array(pad));
  }

  scalar(type: GGUFScalarType, v: GGUFScalar): void {
    if (type === 'string') this.string(v as string);
    else this.fixed(SCALAR_BYTES[type], (d) => SETTERS[type](d, v));
  }

  value(v: GGUFValue): void {
    this.u32(GGUF_VALUE_TYPES.indexOf(v.type));
    if (v.type !== 'array') {
      this.scalar(v.type, v.value);
      return;
    }
    this.u32(GGUF_VALUE_TYPES.indexOf(v.itemType));
    this.u64(v.value.length);
    for (const item of v.value) this.scalar(v.itemType, item);
  }
}

/** The whole file as pieces: what writeGGUF writes, and what tests read back without a file. */
export function serializeGGUF(
  metadata: ReadonlyMap<string, GGUFValue>,
  tensors: readonly GGUFTensorOut[],
): Uint8Array[] {
  const alignment = GGUF_DEFAULT_ALIGNMENT;
  if (metadata.has('general.alignment'))
    throw new Error('serializeGGUF: general.alignment is set by the writer (32)');
  const data = tensors.map((t) => {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.values.length)
      throw new Error(`serializeGGUF: tensor ${t.name} has ${t.values.length} values for shape [${t.shape}]`);
    if (t.shape[t.shape.length - 1] % t.type.blockValues !== 0)
      throw new Error(
        `serializeGGUF: tensor ${t.name}: rows of ${t.shape[t.shape.length - 1]} are not whole ${t.type.name} blocks`,
      );
    return quantize(t.type, t.values);
  });
  const out = new Bytes();
  out.push(Buffer.from(GGUF_MAGIC, 'latin1'));
  out.u32(3);
  out.u64(tensors.length);
  out.u64(metadata.size);
  for (const [key, v] of metadata) {
    out.string(key);
    out.value(v);
  }
  let offset = 0;
  tensors.forEach((t, i) => {
    out.string(t.name);
    out.u32(t.shape.length);
    for (const d of [...t.shape].reverse()) out.u64(d);
    out.u32(t.type.id);
    out.u64(offset);
    offset += Math.ceil(data[i].length / alignment) * alignment;
  });
  for (const d of data) {
    out.padTo(alignment);
    out.push(d);
  }
  out.padTo(alignment);
  return out.pieces;
}

/** Writes a GGUF file atomically: a reader sees the old file or the whole new one. */
export function writeGGUF(
  path: string,
  metadata: ReadonlyMap<string, GGUFValue>,
  tensors: readonly GGUFTensorOut[],
): void {
  writeFileAtomic(path, serializeGGUF(metadata, tensors));
}
