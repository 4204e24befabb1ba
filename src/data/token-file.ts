// Token files: a token stream stored flat on disk, as nanoGPT's train.bin, plus a small header so a reader
// knows the width and count and can refuse a file that is not one.
//
// Layout (little-endian): bytes 0-3 magic "JLTK", 4-5 version (1), 6-7 bytes per token (2 = uint16,
// 4 = uint32), 8-15 token count (uint64), then the tokens.
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../io/index.js';

const MAGIC = 'JLTK';
const VERSION = 1;
const HEADER_BYTES = 16;

export type TokenDtype = 'uint16' | 'uint32';

/** Token ids as read from a file, or as any tokenizer output held in an Int32Array. */
export type TokenArray = Uint16Array | Uint32Array | Int32Array;

/** What a tokenizer must offer to fill a token file. */
export interface TokenEncoder {
  encode(text: string): number[];
  readonly vocabSize: number;
}

/** uint16 while every id fits (as nanoGPT stores GPT-2's 50257 ids), else uint32. */
export function tokenDtype(vocabSize: number): TokenDtype {
  if (!Number.isInteger(vocabSize) || vocabSize < 1 || vocabSize > 2 ** 32) {
    throw new Error(`tokenDtype: vocabSize must be an integer in [1, 2^32], got ${vocabSize}`);
  }
  return vocabSize <= 2 ** 16 ? 'uint16' : 'uint32';
}

/** Encodes the text and writes the tokens to `path` atomically; returns what was written. */
export function tokenizeToFile(
  text: string,
  tokenizer: TokenEncoder,
  path: string,
): Uint16Array | Uint32Array {
  return writeTokenFile(path, tokenizer.encode(text), tokenizer.vocabSize);
}

/** Writes token ids (each in [0, vocabSize)) to `path` atomically; returns them as stored. */
export function writeTokenFile(
  path: string,
  tokens: ArrayLike<number>,
  vocabSize: number,
): Uint16Array | Uint32Array {
  const dtype = tokenDtype(vocabSize);
  const stored = dtype === 'uint16' ? new Uint16Array(tokens.length) : new Uint32Array(tokens.length);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (!Number.isInteger(t) || t < 0 || t >= vocabSize) {
      throw new Error(`writeTokenFile: token ${i} of ${path} is ${t}, outside [0, ${vocabSize})`);
    }
    stored[i] = t;
  }
  const width = stored.BYTES_PER_ELEMENT;
  const header = new Uint8Array(HEADER_BYTES);
  const view = new DataView(header.buffer);
  for (let i = 0; i < MAGIC.length; i++) header[i] = MAGIC.charCodeAt(i);
  view.setUint16(4, VERSION, true);
  view.setUint16(6, width, true);
  view.setBigUint64(8, BigInt(stored.length), true);
  const body = new Uint8Array(stored.length * width);
  const out = new DataView(body.buffer);
  // DataView fixes the byte order whatever the machine's, so files move between machines unchanged.
  if (width === 2) for (let i = 0; i < stored.length; i++) out.setUint16(2 * i, stored[i], true);
  else for (let i = 0; i < stored.length; i++) out.setUint32(4 * i, stored[i], true);
  writeFileAtomic(path, [header, body]);
  return stored;
}

export function readTokenFile(path: string): Uint16Array | Uint32Array {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new Error(`readTokenFile: cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  const fail = (why: string): never => {
    throw new Error(`readTokenFile: ${path} ${why}`);
  };
  if (bytes.length < HEADER_BYTES) fail(`is truncated: ${bytes.length} bytes, shorter than the header`);
  const magic = bytes.toString('latin1', 0, 4);
  if (magic !== MAGIC) fail(`is not a token file: magic ${JSON.stringify(magic)}, expected "${MAGIC}"`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const version = view.getUint16(4, true);
  if (version !== VERSION) fail(`has version ${version}; this reader knows version ${VERSION}`);
  const width = view.getUint16(6, true);
  if (width !== 2 && width !== 4) fail(`has ${width} bytes per token; expected 2 (uint16) or 4 (uint32)`);
  const count = view.getBigUint64(8, true);
  const expected = BigInt(HEADER_BYTES) + count * BigInt(width);
  const actual = BigInt(bytes.length);
  if (actual < expected) {
    fail(`is truncated: the header promises ${count} tokens (${expected} bytes), the file has ${actual}`);
  }
  if (actual > expected) {
    fail(`has the wrong size: ${actual} bytes where ${count} tokens take ${expected}`);
  }
  const n = Number(count);
  if (width === 2) {
    const tokens = new Uint16Array(n);
    for (let i = 0; i < n; i++) tokens[i] = view.getUint16(HEADER_BYTES + 2 * i, true);
    return tokens;
  }
  const tokens = new Uint32Array(n);
  for (let i = 0; i < n; i++) tokens[i] = view.getUint32(HEADER_BYTES + 4 * i, true);
  return tokens;
}
