// GGUF files byte by byte, for tests that need a header to lie in one precise place.
import { writeFileSync } from 'node:fs';

export const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
export const u64 = (n: number | bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
};
export const str = (s: string | Buffer) => {
  const b = typeof s === 'string' ? Buffer.from(s) : s;
  return Buffer.concat([u64(b.length), b]);
};

/** A metadata pair: key, value type id, the value's bytes. */
export const kv = (key: string, type: number, value: Buffer) => Buffer.concat([str(key), u32(type), value]);

/** A tensor info: name, dims (ggml order), ggml type id, offset in the data section. */
export const info = (name: string, dims: (number | bigint)[], type: number, offset: number | bigint) =>
  Buffer.concat([str(name), u32(dims.length), ...dims.map(u64), u32(type), u64(offset)]);

export interface Parts {
  magic?: string;
  version?: number;
  /** Counts as written (default: the number of kvs and infos given). */
  tensorCount?: number | bigint;
  kvCount?: number | bigint;
  kvs?: Buffer[];
  infos?: Buffer[];
  data?: Buffer;
}

/** A file: the header from parts, padded to 32, then the data. */
export function ggufBytes(p: Parts): Buffer {
  const kvs = p.kvs ?? [];
  const infos = p.infos ?? [];
  const head = Buffer.concat([
    Buffer.from(p.magic ?? 'GGUF', 'latin1'),
    u32(p.version ?? 3),
    u64(p.tensorCount ?? infos.length),
    u64(p.kvCount ?? kvs.length),
    ...kvs,
    ...infos,
  ]);
  const pad = Buffer.alloc((32 - (head.length % 32)) % 32);
  return Buffer.concat([head, pad, p.data ?? Buffer.alloc(0)]);
}

export function writeBytes(path: string, bytes: Uint8Array): string {
  writeFileSync(path, bytes);
  return path;
}
