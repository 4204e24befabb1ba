// Reading GGUF, llama.cpp's model file (version 3, and version 2 which has the same layout):
//   "GGUF", u32 version, u64 tensor count, u64 metadata count,
//   metadata: key (u64 length + UTF-8), u32 value type, value (arrays: u32 item type, u64 count, items),
//   tensor infos: name, u32 dims, u64 per dim in ggml order (fastest first), u32 ggml type, u64 offset,
//   padding to `general.alignment` (default 32), then the data section, each tensor at its offset.
// Files come from strangers: every count, length, dim and offset is checked against what is left of the
// file before anything of that size is allocated, so a lying header fails fast with an error naming the
// file and the field or tensor, and the tensors must lie aligned and apart inside the data section.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { Tensor } from '../tensor/index.js';
import { byteSize, dequantize, type GGMLType, ggmlType } from './gguf-quants.js';
import {
  GGUF_VALUE_TYPES,
  type GGUFMetadata,
  type GGUFScalar,
  type GGUFScalarType,
  type GGUFValue,
  SCALAR_BYTES,
} from './gguf-values.js';

export const GGUF_MAGIC = 'GGUF';
export const GGUF_DEFAULT_ALIGNMENT = 32;
/** Far above real files (a vocabulary is ~10^5 strings; a model ~10^3 tensors); refused beyond. */
const MAX_ITEMS = 1 << 24;
const MAX_STRING_BYTES = 1 << 24;
const MAX_TENSORS = 1 << 20;
/** ggml tensors have at most 4 dimensions. */
const MAX_DIMS = 4;

export interface GGUFTensorInfo {
  name: string;
  /** ggml order: the fastest-varying dimension first. */
  dims: number[];
  /** Row-major order (dims reversed): a Linear weight [out, in] has dims [in, out]. */
  shape: number[];
  type: GGMLType;
  /** Absolute position of the first byte in the file, and the byte count. */
  start: number;
  bytes: number;
}

export interface GGUFHeader {
  path: string;
  version: number;
  alignment: number;
  metadata: GGUFMetadata;
  /** In file order. */
  tensors: Map<string, GGUFTensorInfo>;
}

/** Reads a file front to back through a window, checking each read against the file's length first. */
class Cursor {
  private window = Buffer.alloc(0);
  private windowStart = 0;
  pos = 0;

  constructor(
    private readonly fd: number,
    readonly length: number,
    readonly path: string,
  ) {}

  fail(message: string): never {
    throw new Error(`${this.path}: ${message}`);
  }

  get left(): number {
    return this.length - this.pos;
  }

  /** `n` bytes at the cursor (a view valid until the next read), or an error naming `what`. */
  take(n: number, what: string): Buffer {
    if (n > this.left)
      this.fail(`${what} needs ${n} bytes at offset ${this.pos} but the file ends at ${this.length}`);
    const end = this.windowStart + this.window.length;
    if (this.pos < this.windowStart || this.pos + n > end) {
      this.window = Buffer.alloc(Math.min(Math.max(n, 1 << 20), this.left));
      readAll(this.fd, this.window, this.pos, this.path);
      this.windowStart = this.pos;
    }
    const at = this.pos - this.windowStart;
    this.pos += n;
    return this.window.subarray(at, at + n);
  }

  u32(what: string): number {
    return this.take(4, what).readUInt32LE(0);
  }

  u64(what: string): bigint {
    return this.take(8, what).readBigUInt64LE(0);
  }

  /** A u64 count of things of at least `each` bytes that must fit in what is left, and under `max`. */
  count(what: string, each: number, max: number): number {
    const n = this.u64(what);
    if (n > BigInt(max)) this.fail(`${what} ${n} exceeds the limit of ${max}`);
    if (Number(n) * each > this.left)
      this.fail(`${what} ${n} cannot fit in the ${this.left} bytes left of the file`);
    return Number(n);
  }

  string(what: string): string {
    const n = this.count(`${what}: string length`, 1, MAX_STRING_BYTES);
    try {
      return UTF8.decode(this.take(n, what));
    } catch {
      this.fail(`${what} is not valid UTF-8`);
    }
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function readAll(fd: number, into: Uint8Array, position: number, path: string): void {
  for (let done = 0; done < into.length; ) {
    const got = readSync(fd, into, done, into.length - done, position + done);
    if (got === 0) throw new Error(`${path}: file ended early (was it changed while being read?)`);
    done += got;
  }
}

function scalar(c: Cursor, type: GGUFScalarType, what: string): GGUFScalar {
  if (type === 'string') return c.string(what);
  const b = c.take(SCALAR_BYTES[type], what);
  switch (type) {
    case 'u8':
      return b.readUInt8(0);
    case 'i8':
      return b.readInt8(0);
    case 'u16':
      return b.readUInt16LE(0);
    case 'i16':
      return b.readInt16LE(0);
    case 'u32':
      return b.readUInt32LE(0);
    case 'i32':
      return b.readInt32LE(0);
    case 'f32':
      return b.readFloatLE(0);
    case 'bool': {
      const v = b.readUInt8(0);
      if (v > 1) c.fail(`${what} is a bool of value ${v} (must be 0 or 1)`);
      return v === 1;
    }
    case 'u64':
      return b.readBigUInt64LE(0);
    case 'i64':
      return b.readBigInt64LE(0);
    case 'f64':
      return b.readDoubleLE(0);
  }
}

function valueType(c: Cursor, what: string): (typeof GGUF_VALUE_TYPES)[number] {
  const id = c.u32(`${what}: value type`);
  const type = GGUF_VALUE_TYPES[id];
  if (type === undefined) c.fail(`${what} has unknown value type ${id}`);
  return type;
}

function value(c: Cursor, what: string): GGUFValue {
  const type = valueType(c, what);
  if (type !== 'array') return { type, value: scalar(c, type, what) };
  const itemType = valueType(c, `${what} items`);
  if (itemType === 'array') c.fail(`${what} is an array of arrays, which jielong does not read`);
  const each = itemType === 'string' ? 8 : SCALAR_BYTES[itemType];
  const n = c.count(`${what}: array length`, each, MAX_ITEMS);
  const items: GGUFScalar[] = new Array(n);
  for (let i = 0; i < n; i++) items[i] = scalar(c, itemType, `${what}[${i}]`);
  return { type, itemType, value: items };
}

function alignmentOf(metadata: GGUFMetadata, c: Cursor): number {
  const v = metadata.get('general.alignment');
  if (v === undefined) return GGUF_DEFAULT_ALIGNMENT;
  const n = v.type === 'u32' ? (v.value as number) : 0;
  if (n === 0 || (n & (n - 1)) !== 0)
    c.fail(`metadata general.alignment must be a u32 power of two, got ${v.type} ${String(v.value)}`);
  return n;
}

interface RawTensor {
  name: string;
  dims: number[];
  type: GGMLType;
  offset: bigint;
}

function tensorInfo(c: Cursor, index: number): RawTensor {
  const name = c.string(`tensor #${index}: name`);
  const what = `tensor ${JSON.stringify(name)}`;
  const n = c.u32(`${what}: dimension count`);
  if (n < 1 || n > MAX_DIMS) c.fail(`${what} has ${n} dimensions (ggml tensors have 1 to ${MAX_DIMS})`);
  const dims: number[] = [];
  let elements = 1n;
  for (let i = 0; i < n; i++) {
    const d = c.u64(`${what}: dimension ${i}`);
    if (d < 1n) c.fail(`${what}: dimension ${i} is ${d}`);
    elements *= d;
    if (elements > BigInt(Number.MAX_SAFE_INTEGER)) c.fail(`${what} has more than 2^53 elements`);
    dims.push(Number(d));
  }
  const type = ggmlType(c.u32(`${what}: type`));
  if (typeof type === 'string') c.fail(`${what}: ${type}`);
  if (dims[0] % type.blockValues !== 0)
    c.fail(`${what}: its rows of ${dims[0]} values are not whole ${type.name} blocks of ${type.blockValues}`);
  return { name, dims, type, offset: c.u64(`${what}: offset`) };
}

/** Offsets aligned, inside the data section, and no two tensors sharing a byte. */
function placeTensors(
  raw: RawTensor[],
  dataStart: number,
  alignment: number,
  c: Cursor,
): Map<string, GGUFTensorInfo> {
  const tensors = new Map<string, GGUFTensorInfo>();
  const dataLength = c.length - dataStart;
  for (const t of raw) {
    const what = `tensor ${JSON.stringify(t.name)}`;
    if (tensors.has(t.name)) c.fail(`${what} appears twice`);
    const bytes = byteSize(
      t.type,
      t.dims.reduce((a, b) => a * b, 1),
    );
    if (t.offset % BigInt(alignment) !== 0n)
      c.fail(`${what}: offset ${t.offset} is not a multiple of the alignment ${alignment}`);
    if (t.offset + BigInt(bytes) > BigInt(dataLength)) {
      c.fail(
        `${what}: its ${bytes} bytes at offset ${t.offset} of the data section run past its end (${dataLength} bytes): truncated?`,
      );
    }
    const start = dataStart + Number(t.offset);
    tensors.set(t.name, {
      name: t.name,
      dims: t.dims,
      shape: [...t.dims].reverse(),
      type: t.type,
      start,
      bytes,
    });
  }
  const sorted = [...tensors.values()].sort((a, b) => a.start - b.start);
  for (let i = 1; i < sorted.length; i++) {
    const [p, t] = [sorted[i - 1], sorted[i]];
    if (t.start < p.start + p.bytes) {
      c.fail(
        `tensor ${JSON.stringify(t.name)} (bytes ${t.start - dataStart}..${t.start - dataStart + t.bytes}) overlaps tensor ${JSON.stringify(p.name)} (bytes ${p.start - dataStart}..${p.start - dataStart + p.bytes})`,
      );
    }
  }
  return tensors;
}

function withFile<T>(path: string, body: (fd: number, length: number) => T): T {
  const fd = openSync(path, 'r');
  try {
    return body(fd, fstatSync(fd).size);
  } finally {
    closeSync(fd);
  }
}

function checkStart(c: Cursor): number {
  const magic = c.take(4, 'magic').toString('latin1');
  if (magic !== GGUF_MAGIC) c.fail(`not a GGUF file (starts with ${JSON.stringify(magic)}, not "GGUF")`);
  const version = c.u32('version');
  if (version === 2 || version === 3) return version;
  if (version === 1) c.fail('GGUF version 1 (32-bit counts) is not supported; convert it to version 3');
  if (version > 0xffff && (version >>> 24 === 2 || version >>> 24 === 3))
    c.fail('big-endian GGUF is not supported');
  return c.fail(`unknown GGUF version ${version} (reads 2 and 3)`);
}

/** The header of a GGUF file (metadata and tensor layout), checked whole; no tensor data is read. */
export function readGGUFHeader(path: string): GGUFHeader {
  return withFile(path, (fd, length) => {
    const c = new Cursor(fd, length, path);
    const version = checkStart(c);
    // Each tensor info takes at least 24 bytes, each metadata pair 13: counts that cannot fit are lies.
    const tensorCount = c.count('tensor count', 24, MAX_TENSORS);
    const kvCount = c.count('metadata count', 13, MAX_ITEMS);
    const metadata: GGUFMetadata = new Map();
    for (let i = 0; i < kvCount; i++) {
      const key = c.string(`metadata #${i}: key`);
      if (metadata.has(key)) c.fail(`metadata ${key} appears twice`);
      metadata.set(key, value(c, `metadata ${key}`));
    }
    const alignment = alignmentOf(metadata, c);
    const raw = Array.from({ length: tensorCount }, (_, i) => tensorInfo(c, i));
    const dataStart = Math.ceil(c.pos / alignment) * alignment;
    if (dataStart > length && tensorCount > 0) c.fail('the data section starts past the end of the file');
    const tensors = placeTensors(raw, dataStart, alignment, c);
    return { path, version, alignment, metadata, tensors };
  });
}

/** A tensor of a read header as float32 (dequantised), in row-major shape. */
export function readGGUFTensor(header: GGUFHeader, name: string): Tensor {
  return readGGUFTensors(header, [name])[0];
}

/** Several tensors of a read header, the file opened once. */
export function readGGUFTensors(header: GGUFHeader, names: readonly string[]): Tensor[] {
  const infos = names.map((name) => {
    const info = header.tensors.get(name);
    if (!info) throw new Error(`${header.path}: has no tensor ${JSON.stringify(name)}`);
    return info;
  });
  return withFile(header.path, (fd) =>
    infos.map((info) => {
      const bytes = new Uint8Array(info.bytes);
      readAll(fd, bytes, info.start, header.path);
      const count = info.shape.reduce((a, b) => a * b, 1);
      return new Tensor(dequantize(info.type, bytes, count), info.shape);
    }),
  );
}

/** Whether `path` starts as a GGUF file does (its magic); what a format table dispatches on. */
export function isGGUF(path: string): boolean {
  try {
    return withFile(path, (fd, length) => {
      if (length < 4) return false;
      const magic = Buffer.alloc(4);
      readAll(fd, magic, 0, path);
      return magic.toString('latin1') === GGUF_MAGIC;
    });
  } catch {
    return false;
  }
}
