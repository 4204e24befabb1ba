// The safetensors checkpoint format (Hugging Face): an 8-byte little-endian header length N, N bytes of
// JSON header giving each tensor's dtype, shape and byte range, then the packed little-endian data. We write
// it byte for byte as the reference writer does, and read it as strictly as the reference reader checks it,
// validating the whole header before any tensor is built.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { IntTensor, type Tensor } from '../tensor/index.js';
import { writeFileAtomic } from './atomic.js';
import { DTYPE_SIZE, DTYPES, type Dtype, decodeTensor, isDtype, swapLittleEndian } from './dtypes.js';

/** Floats (F32, F64, F16, BF16) load as float32 Tensors; integers and bools as int32 IntTensors. */
export type SafetensorsTensor = Tensor | IntTensor;

export interface Safetensors {
  tensors: Map<string, SafetensorsTensor>;
  metadata: Record<string, string>;
}

/** The reference reader's limit; a larger length means a corrupt or hostile file. */
const MAX_HEADER_BYTES = 100_000_000;
/**
 * Far more tensors than any model file holds (a 70B Llama has under 1,000): parsing a header's entries
 * costs time and memory per entry, so a header of millions of empty tensors is refused before parsing.
 */
export const MAX_TENSORS = 131_072;
const METADATA_KEY = '__metadata__';

interface Entry {
  name: string;
  dtype: Dtype;
  shape: number[];
  /** Byte range in the data buffer (after the header). */
  begin: number;
  end: number;
}

/** Rust orders names by UTF-8 bytes; JS's default sort uses UTF-16 units, which differs above U+FFFF. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** A JSON object in the given key order (a JS object would put integer-like keys first). */
function jsonObject(pairs: [string, string][]): string {
  return `{${pairs.map(([k, json]) => `${JSON.stringify(k)}:${json}`).join(',')}}`;
}

/** A tensor to write: its type and shape up front, its little-endian bytes only when the writer gets to it. */
export interface TensorOut {
  dtype: Dtype;
  shape: readonly number[];
  bytes(): Uint8Array;
}

/** A tensor's bytes as the file stores them (little-endian). */
function bytesOf(t: SafetensorsTensor): Uint8Array {
  const bytes = new Uint8Array(t.data.byteLength);
  bytes.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  swapLittleEndian(bytes, 4);
  return bytes;
}

/** F32 for Tensors, I32 for IntTensors. */
function toOut(tensors: ReadonlyMap<string, SafetensorsTensor>): Map<string, TensorOut> {
  return new Map(
    [...tensors].map(([name, t]) => [
      name,
      { dtype: t instanceof IntTensor ? 'I32' : 'F32', shape: t.shape, bytes: () => bytesOf(t) },
    ]),
  );
}

/**
 * A safetensors file in pieces, laid out exactly as the reference writer lays it out: the header, then each
 * tensor's bytes, asked for only when its turn comes. Written piece by piece, a file of any size needs one
 * tensor in memory at a time (how a merge of models larger than memory is written).
 */
export function* safetensorsPieces(
  tensors: ReadonlyMap<string, TensorOut>,
  metadata?: Readonly<Record<string, string>>,
): Generator<Uint8Array> {
  const entries = [...tensors].map(([name, t]) => {
    if (name === METADATA_KEY) throw new Error(`safetensors writer: "${METADATA_KEY}" is reserved`);
    let bytes = DTYPE_SIZE[t.dtype];
    for (const d of t.shape) bytes *= d;
    return { name, t, bytes };
  });
  entries.sort(
    (a, b) => DTYPES.indexOf(b.t.dtype) - DTYPES.indexOf(a.t.dtype) || compareUtf8(a.name, b.name),
  );
  const pairs: [string, string][] = [];
  if (metadata) {
    const items = Object.entries(metadata).sort(([a], [b]) => compareUtf8(a, b));
    for (const [k, v] of items) {
      if (typeof v !== 'string') {
        throw new Error(`safetensors writer: metadata "${k}" must be a string, got ${typeof v}`);
      }
    }
    pairs.push([METADATA_KEY, jsonObject(items.map(([k, v]) => [k, JSON.stringify(v)]))]);
  }
  let offset = 0;
  for (const { name, t, bytes } of entries) {
    pairs.push([
      name,
      JSON.stringify({ dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] }),
    ]);
    offset += bytes;
  }
  const json = new TextEncoder().encode(jsonObject(pairs));
  const padded = json.length + ((8 - (json.length % 8)) % 8); // spaces keep the data 8-byte aligned
  const header = new Uint8Array(8 + padded);
  new DataView(header.buffer).setBigUint64(0, BigInt(padded), true);
  header.fill(0x20, 8);
  header.set(json, 8);
  yield header;
  for (const { name, t, bytes } of entries) {
    const data = t.bytes();
    if (data.length !== bytes)
      throw new Error(
        `safetensors writer: ${named(name)} gave ${data.length} bytes, ${t.dtype} of shape ` +
          `${JSON.stringify(t.shape)} needs ${bytes}`,
      );
    yield data;
  }
}

/** F32 for Tensors, I32 for IntTensors, laid out exactly as the reference writer lays them out. */
export function serializeSafetensors(
  tensors: ReadonlyMap<string, SafetensorsTensor>,
  metadata?: Readonly<Record<string, string>>,
): Uint8Array {
  const pieces = [...safetensorsPieces(toOut(tensors), metadata)];
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0)); // its own buffer, offset 0
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** N from the first 8 bytes, checked against the limit and the file's length. */
function headerLength(prefix: Uint8Array, fileLength: number, source: string): number {
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) {
    throw new Error(`${source}: header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  }
  if (8n + n > BigInt(fileLength)) {
    throw new Error(`${source}: header length ${n} runs past the end of the file (${fileLength} bytes)`);
  }
  return Number(n);
}

/** How errors name a tensor (quoted, so odd names stay readable). */
function named(name: string): string {
  return `tensor ${JSON.stringify(name)}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isIndex(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function parseMetadata(raw: unknown, source: string): Record<string, string> {
  if (!isObject(raw)) throw new Error(`${source}: ${METADATA_KEY} is not a JSON object`);
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'string') {
      throw new Error(
        `${source}: ${METADATA_KEY} value of "${k}" must be a string, got ${JSON.stringify(v)}`,
      );
    }
  }
  return Object.fromEntries(Object.entries(raw)) as Record<string, string>;
}

function parseEntry(name: string, raw: unknown, source: string): Entry {
  const where = `${source}: ${named(name)}`;
  if (!isObject(raw)) throw new Error(`${where}: entry is not a JSON object`);
  const { dtype, shape, data_offsets: offsets } = raw;
  if (!isDtype(dtype)) {
    throw new Error(
      `${where}: unknown or unsupported dtype ${JSON.stringify(dtype)} (reads ${DTYPES.join(', ')})`,
    );
  }
  if (!Array.isArray(shape) || !shape.every(isIndex)) {
    throw new Error(`${where}: shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isIndex) || offsets[0] > offsets[1]) {
    throw new Error(
      `${where}: data_offsets ${JSON.stringify(offsets)} is not [begin, end] with 0 <= begin <= end`,
    );
  }
  let bytes = DTYPE_SIZE[dtype];
  for (const d of shape) bytes *= d;
  if (!Number.isSafeInteger(bytes)) throw new Error(`${where}: shape ${JSON.stringify(shape)} is too large`);
  const [begin, end] = offsets as [number, number];
  if (end - begin !== bytes) {
    throw new Error(
      `${where}: data_offsets [${begin}, ${end}] hold ${end - begin} bytes but ${dtype} of shape ` +
        `${JSON.stringify(shape)} needs ${bytes}`,
    );
  }
  return { name, dtype, shape, begin, end };
}

/** The tensors must tile the data buffer exactly, as the reference reader demands. */
function checkLayout(entries: readonly Entry[], dataLength: number, source: string): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous: Entry | undefined;
  for (const e of sorted) {
    if (e.begin < covered) {
      const p = previous!;
      throw new Error(
        `${source}: ${named(e.name)} (bytes ${e.begin}..${e.end}) overlaps ${named(p.name)} ` +
          `(bytes ${p.begin}..${p.end})`,
      );
    }
    if (e.begin > covered) {
      throw new Error(
        `${source}: bytes ${covered}..${e.begin} of the data buffer, before ${named(e.name)}, ` +
          'belong to no tensor',
      );
    }
    if (e.end > dataLength) {
      throw new Error(
        `${source}: truncated: ${named(e.name)} ends at byte ${e.end} of the data buffer, ` +
          `which has only ${dataLength} bytes`,
      );
    }
    covered = e.end;
    previous = e;
  }
  if (covered < dataLength) {
    throw new Error(`${source}: bytes ${covered}..${dataLength} at the end of the data belong to no tensor`);
  }
}

/** Everything after the length prefix: the JSON header, checked in full against the data's length. */
function parseHeader(
  json: Uint8Array,
  dataLength: number,
  source: string,
): { entries: Entry[]; metadata: Record<string, string> } {
  // Each entry is a JSON object: counting '{' bounds the entries (from above) in one pass over the bytes.
  let objects = 0;
  for (let i = 0; i < json.length; i++) if (json[i] === 0x7b) objects++;
  if (objects > MAX_TENSORS + 2) {
    throw new Error(`${source}: header holds more than ${MAX_TENSORS} tensors (the limit), refused unparsed`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(json);
  } catch {
    throw new Error(`${source}: header is not valid UTF-8`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source}: header is not valid JSON (${(e as Error).message})`);
  }
  if (!isObject(raw)) throw new Error(`${source}: header is not a JSON object`);
  let metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, value] of Object.entries(raw)) {
    if (name === METADATA_KEY) metadata = parseMetadata(value, source);
    else entries.push(parseEntry(name, value, source));
  }
  checkLayout(entries, dataLength, source);
  return { entries, metadata };
}

function tooShort(fileLength: number, source: string): Error {
  return new Error(`${source}: ${fileLength} bytes is shorter than the 8-byte header length`);
}

/** A tensor as the header describes it, before any of its data is read. */
export interface TensorInfo {
  dtype: Dtype;
  shape: number[];
}

/**
 * The header of a safetensors file in memory, checked in full (layout, sizes, limits) without decoding any
 * tensor: what a loader compares with what it expects before it allocates anything.
 */
export function safetensorsHeader(
  bytes: Uint8Array,
  source = '<buffer>',
): { tensors: Map<string, TensorInfo>; metadata: Record<string, string> } {
  if (bytes.length < 8) throw tooShort(bytes.length, source);
  const n = headerLength(bytes, bytes.length, source);
  const { entries, metadata } = parseHeader(bytes.subarray(8, 8 + n), bytes.length - 8 - n, source);
  return { tensors: new Map(entries.map((e) => [e.name, { dtype: e.dtype, shape: e.shape }])), metadata };
}

/** `source` names the bytes in errors (a file path, say). */
export function parseSafetensors(bytes: Uint8Array, source = '<buffer>'): Safetensors {
  if (bytes.length < 8) throw tooShort(bytes.length, source);
  const n = headerLength(bytes, bytes.length, source);
  const start = 8 + n;
  const { entries, metadata } = parseHeader(bytes.subarray(8, start), bytes.length - start, source);
  const tensors = new Map<string, SafetensorsTensor>();
  for (const e of entries) {
    // A fresh copy, not bytes.slice(): on a Node Buffer, slice() is a view that shares the caller's memory.
    const copy = new Uint8Array(e.end - e.begin);
    copy.set(bytes.subarray(start + e.begin, start + e.end));
    tensors.set(e.name, decodeTensor(e.dtype, e.shape, copy.buffer, `${source}: ${named(e.name)}`));
  }
  return { tensors, metadata };
}

/** Fills `into` from `position`, however many reads that takes. */
function readExactly(fd: number, into: Uint8Array, position: number, path: string): void {
  for (let done = 0; done < into.length; ) {
    const got = readSync(fd, into, done, into.length - done, position + done);
    if (got === 0) throw new Error(`${path}: file ended early (was it changed while being read?)`);
    done += got;
  }
}

/** The header of an open file, checked in full against the file's length; `start` is where the data begins. */
function readHeader(fd: number, path: string) {
  const fileLength = fstatSync(fd).size;
  if (fileLength < 8) throw tooShort(fileLength, path);
  const prefix = new Uint8Array(8);
  readExactly(fd, prefix, 0, path);
  const n = headerLength(prefix, fileLength, path);
  const json = new Uint8Array(n);
  readExactly(fd, json, 8, path);
  return { start: 8 + n, ...parseHeader(json, fileLength - 8 - n, path) };
}

/**
 * The header of a safetensors file, checked in full, reading nothing past it: a loader of several files
 * (sharded weights) checks them all before it reads any tensor.
 */
export function loadSafetensorsHeader(path: string): {
  tensors: Map<string, TensorInfo>;
  metadata: Record<string, string>;
} {
  const fd = openSync(path, 'r');
  try {
    const { entries, metadata } = readHeader(fd, path);
    return { tensors: new Map(entries.map((e) => [e.name, { dtype: e.dtype, shape: e.shape }])), metadata };
  } finally {
    closeSync(fd);
  }
}

/**
 * A safetensors file open for reading one tensor at a time: the header is read and checked in full when it
 * opens, each tensor's bytes only when asked for (a positioned read into its own buffer: what mmap gives
 * mergekit's lazy loader, with no mapping to pin). Close it when done.
 */
export class SafetensorsFile {
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  readonly metadata: Record<string, string>;
  private readonly fd: number;
  private readonly start: number;
  private readonly entries: Map<string, Entry>;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'r');
    try {
      const { start, entries, metadata } = readHeader(this.fd, path);
      this.start = start;
      this.metadata = metadata;
      this.entries = new Map(entries.map((e) => [e.name, e]));
      this.tensors = new Map(entries.map((e) => [e.name, { dtype: e.dtype, shape: e.shape }]));
    } catch (e) {
      closeSync(this.fd);
      throw e;
    }
  }

  read(name: string): SafetensorsTensor {
    const e = this.entries.get(name);
    if (!e) throw new Error(`${this.path}: no ${named(name)}`);
    const bytes = new Uint8Array(e.end - e.begin);
    readExactly(this.fd, bytes, this.start + e.begin, this.path);
    return decodeTensor(e.dtype, e.shape, bytes.buffer, `${this.path}: ${named(name)}`);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/**
 * Reads the header, then each tensor straight into its own buffer (no copy of the whole file in memory);
 * `keep` picks the tensors to read (default all): a file's buffers that a loader ignores cost nothing.
 */
export function loadSafetensors(path: string, keep: (name: string) => boolean = () => true): Safetensors {
  const file = new SafetensorsFile(path);
  try {
    const tensors = new Map<string, SafetensorsTensor>();
    for (const name of file.tensors.keys()) if (keep(name)) tensors.set(name, file.read(name));
    return { tensors, metadata: file.metadata };
  } finally {
    file.close();
  }
}

/** Writes atomically: a reader sees the old file or the whole new one. */
export function saveSafetensors(
  path: string,
  tensors: ReadonlyMap<string, SafetensorsTensor>,
  metadata?: Readonly<Record<string, string>>,
): void {
  writeFileAtomic(path, safetensorsPieces(toOut(tensors), metadata));
}
