// GGUF reading and writing: float16 and the block codecs on hand-computed blocks, the reader against files
// written by llama.cpp's own Python package (test/fixtures/gguf/, scripts/fixtures/make_gguf_fixtures.py),
// the writer read back, and hostile headers, each refused with an error naming the file and the field.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { halfToFloat } from '../../src/io/dtypes.js';
import {
  dequantize,
  floatToHalf,
  GGML_TYPES,
  type GGUFValue,
  gguf,
  isGGUF,
  MetadataReader,
  quantize,
  readGGUFHeader,
  readGGUFTensor,
  readGGUFTensors,
  writeGGUF,
} from '../../src/io/index.js';
import { Generator } from '../../src/tensor/index.js';
import { ggufBytes, info, kv, str, u32, u64, writeBytes } from './gguf-bytes.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/gguf/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'jielong-gguf-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const half = halfToFloat();

describe('float16', () => {
  test('known values, ties to even, overflow and underflow', () => {
    const cases: [number, number][] = [
      [1, 0x3c00],
      [-2, 0xc000],
      [0.5, 0x3800],
      [65504, 0x7bff],
      [65520, 0x7c00], // halfway to the next step rounds up into infinity
      [1e6, 0x7c00],
      [-Infinity, 0xfc00],
      [2 ** -24, 0x0001],
      [2 ** -25, 0x0000], // a tie with zero goes to even
      [3 * 2 ** -26, 0x0001],
      [1 + 2 ** -11, 0x3c00], // halfway between 1 and the next half: even
      [1 + 3 * 2 ** -11, 0x3c02],
      [-0, 0x8000],
    ];
    for (const [x, h] of cases) assert.equal(floatToHalf(x), h, `floatToHalf(${x})`);
    assert.equal(floatToHalf(Number.NaN) & 0x7e00, 0x7e00);
  });

  test('every finite half reads back as itself', () => {
    for (let h = 0; h < 65536; h++) {
      if (((h >> 10) & 31) === 31) continue;
      assert.equal(floatToHalf(half[h]), h, `half ${h.toString(16)}`);
    }
  });
});

describe('blocks with known answers', () => {
  test('Q8_0: scale from the largest magnitude, values rounded half away from zero', () => {
    const x = new Float32Array(32);
    x[0] = 127;
    x[1] = -127;
    x[2] = 2.5;
    x[3] = -2.5;
    x[4] = 0.4;
    const bytes = quantize(GGML_TYPES.Q8_0, x);
    assert.deepEqual([...bytes.subarray(0, 7)], [0x00, 0x3c, 127, 129, 3, 253, 0]); // d = 1: f16 0x3c00
    assert.deepEqual([...dequantize(GGML_TYPES.Q8_0, bytes, 32).subarray(0, 5)], [127, -127, 3, -3, 0]);
    assert.deepEqual([...quantize(GGML_TYPES.Q8_0, new Float32Array(32))], new Array(34).fill(0));
  });

  test('Q4_0: low nibbles are the first half, high nibbles the second, offset by 8', () => {
    const bytes = new Uint8Array(18);
    bytes.set([0x00, 0x38]); // d = 0.5
    for (let j = 0; j < 16; j++) bytes[2 + j] = (j << 4) | (15 - j);
    const x = dequantize(GGML_TYPES.Q4_0, bytes, 32);
    for (let j = 0; j < 16; j++) {
      assert.equal(x[j], (15 - j - 8) * 0.5);
      assert.equal(x[j + 16], (j - 8) * 0.5);
    }
  });

  test('Q4_K: eight 6-bit scales and mins, sub-blocks from alternating nibbles', () => {
    const scales = [1, 11, 21, 31, 41, 51, 61, 63];
    const mins = [63, 55, 47, 39, 31, 23, 15, 7];
    // The packing written out from the layout: bytes 0-3 and 4-7 hold scales and mins 0-3 in their low
    // 6 bits and the top 2 bits of scales and mins 4-7; bytes 8-11 their low 4 bits.
    const packed = new Uint8Array(12);
    for (let j = 0; j < 4; j++) {
      packed[j] = scales[j] | ((scales[j + 4] >> 4) << 6);
      packed[j + 4] = mins[j] | ((mins[j + 4] >> 4) << 6);
      packed[j + 8] = (scales[j + 4] & 15) | ((mins[j + 4] & 15) << 4);
    }
    const bytes = new Uint8Array(144);
    bytes.set([0x00, 0x3c, 0x00, 0x38]); // d = 1, dmin = 0.5
    bytes.set(packed, 4);
    for (let l = 0; l < 128; l++) bytes[16 + l] = ((l % 16) << 4) | (l % 7);
    const x = dequantize(GGML_TYPES.Q4_K, bytes, 256);
    for (let j = 0; j < 8; j++) {
      for (let l = 0; l < 32; l++) {
        const byte = bytes[16 + 32 * (j >> 1) + l];
        const q = j % 2 === 0 ? byte & 15 : byte >> 4;
        assert.equal(x[32 * j + l], scales[j] * q - 0.5 * mins[j], `sub-block ${j} value ${l}`);
      }
    }
  });
});

describe('files written by gguf-py (llama.cpp)', () => {
  const header = readGGUFHeader(join(FIXTURES, 'quants.gguf'));

  test('metadata of every value type', () => {
    const value = (key: string) => header.metadata.get(key);
    assert.deepEqual(value('test.u8'), { type: 'u8', value: 200 });
    assert.deepEqual(value('test.i8'), { type: 'i8', value: -100 });
    assert.deepEqual(value('test.u16'), { type: 'u16', value: 60000 });
    assert.deepEqual(value('test.i16'), { type: 'i16', value: -1234 });
    assert.deepEqual(value('test.u32'), { type: 'u32', value: 4000000000 });
    assert.deepEqual(value('test.i32'), { type: 'i32', value: -2000000000 });
    assert.deepEqual(value('test.f32'), { type: 'f32', value: 0.25 });
    assert.deepEqual(value('test.bool'), { type: 'bool', value: true });
    assert.deepEqual(value('test.string'), { type: 'string', value: 'jiēlóng 接龍 ✓' });
    assert.deepEqual(value('test.u64'), { type: 'u64', value: 2n ** 60n + 1n });
    assert.deepEqual(value('test.i64'), { type: 'i64', value: -(2n ** 62n) });
    assert.deepEqual(value('test.f64'), { type: 'f64', value: 1 / 3 });
    assert.deepEqual(value('test.array_i32'), { type: 'array', itemType: 'i32', value: [1, -2, 3] });
    assert.deepEqual(value('test.array_string'), {
      type: 'array',
      itemType: 'string',
      value: ['a', '', 'ü'],
    });
    assert.equal(header.version, 3);
    assert.equal(header.alignment, 32);
  });

  for (const type of ['Q8_0', 'Q4_0', 'F16', 'Q4_K'] as const) {
    test(`${type} decodes as gguf-py decodes it`, () => {
      const [raw, expected] = readGGUFTensors(header, [`${type}.raw`, `${type}.expected`]);
      assert.equal(header.tensors.get(`${type}.raw`)?.type, GGML_TYPES[type]);
      assert.deepEqual(raw.shape, [2, 256]);
      assert.deepEqual(raw.data, expected.data);
    });
  }

  test('Q8_0 encodes as gguf-py encodes it, byte for byte', () => {
    const input = readGGUFTensor(header, 'Q8_0.input');
    const raw = header.tensors.get('Q8_0.raw')!;
    const theirs = readFileSync(header.path).subarray(raw.start, raw.start + raw.bytes);
    assert.deepEqual(Buffer.from(quantize(GGML_TYPES.Q8_0, input.data)), theirs);
  });

  test('isGGUF tells GGUF from anything else', () => {
    assert.equal(isGGUF(header.path), true);
    assert.equal(isGGUF(join(FIXTURES, 'llama-gqa.json')), false);
    assert.equal(isGGUF(join(dir, 'missing.gguf')), false);
  });
});

describe('writer', () => {
  const g = new Generator(4);
  const values = (n: number) => Float32Array.from({ length: n }, () => g.normal());
  const metadata = new Map<string, GGUFValue>([
    ['general.architecture', gguf.string('test')],
    ['a.u8', { type: 'u8', value: 255 }],
    ['a.i16', { type: 'i16', value: -32768 }],
    ['a.u64', { type: 'u64', value: 2n ** 64n - 1n }],
    ['a.i64', { type: 'i64', value: -5n }],
    ['a.f64', { type: 'f64', value: Math.PI }],
    ['a.f32', gguf.f32(1e-6)],
    ['a.bool', gguf.bool(false)],
    ['a.strings', gguf.array('string', ['x', '接', ''])],
    ['a.empty', gguf.array('u32', [])],
  ]);
  const tensors = [
    { name: 'w32', shape: [3, 64], type: GGML_TYPES.F32, values: values(192) },
    { name: 'b', shape: [5], type: GGML_TYPES.F32, values: values(5) },
    { name: 'w16', shape: [2, 3, 32], type: GGML_TYPES.F16, values: values(192) },
    { name: 'w8', shape: [4, 64], type: GGML_TYPES.Q8_0, values: values(256) },
  ];
  const path = join(dir, 'written.gguf');
  writeGGUF(path, metadata, tensors);
  const header = readGGUFHeader(path);

  test('metadata reads back with its types', () => {
    assert.deepEqual(
      [...header.metadata],
      [...metadata].map(([k, v]) => [
        k,
        v.type === 'f32' ? { ...v, value: Math.fround(v.value as number) } : v,
      ]),
    );
    assert.equal(new MetadataReader(header.metadata, path).number('a.f32'), 1e-6);
  });

  test('tensors read back in row-major shape, at aligned offsets, within each type’s rounding', () => {
    for (const t of tensors) {
      const info = header.tensors.get(t.name)!;
      assert.deepEqual(info.shape, t.shape);
      assert.deepEqual(info.dims, [...t.shape].reverse());
      assert.equal(info.start % 32, 0);
      const back = readGGUFTensor(header, t.name).data;
      for (let i = 0; i < back.length; i++) {
        const x = t.values[i];
        // F16: half a unit in the last place of 10 bits; Q8_0: half a step of a block's scale (<= 4/127).
        const tol =
          t.type === GGML_TYPES.F32
            ? 0
            : t.type === GGML_TYPES.F16
              ? Math.abs(x) * 2 ** -11
              : 4 / 127 / 2 + 1e-3;
        assert.ok(Math.abs(back[i] - x) <= tol, `${t.name}[${i}]: ${back[i]} vs ${x}`);
      }
    }
  });

  test('refuses what it cannot write', () => {
    const bad = { name: 'x', shape: [2, 33], type: GGML_TYPES.Q8_0, values: values(66) };
    assert.throws(
      () => writeGGUF(join(dir, 'bad.gguf'), metadata, [bad]),
      /rows of 33 are not whole Q8_0 blocks/,
    );
    const q4 = { name: 'x', shape: [32], type: GGML_TYPES.Q4_0, values: values(32) };
    assert.throws(
      () => writeGGUF(join(dir, 'bad.gguf'), metadata, [q4]),
      /writes F32, F16 and Q8_0, not Q4_0/,
    );
  });
});

describe('hostile files fail naming the file and the field', () => {
  const f32Data = Buffer.alloc(64);
  const good = { infos: [info('t', [16], 0, 0)], data: f32Data };
  const cases: [string, Buffer, RegExp][] = [
    ['wrong magic', ggufBytes({ ...good, magic: 'GGUG' }), /not a GGUF file/],
    ['version 1', ggufBytes({ ...good, version: 1 }), /version 1 .* not supported/],
    ['big-endian', ggufBytes({ ...good, version: 3 << 24 }), /big-endian/],
    ['unknown version', ggufBytes({ ...good, version: 7 }), /unknown GGUF version 7/],
    [
      'tensor count lies',
      ggufBytes({ ...good, tensorCount: 10n ** 15n }),
      /tensor count .* (exceeds|cannot fit)/,
    ],
    ['metadata count lies', ggufBytes({ ...good, kvCount: 1000 }), /metadata count 1000 cannot fit/],
    [
      'string length lies',
      ggufBytes({ kvs: [Buffer.concat([u64(2n ** 40n), Buffer.from('k')])] }),
      /metadata #0: key: string length .* (exceeds|cannot fit)/,
    ],
    [
      'unknown value type',
      ggufBytes({ kvs: [kv('k', 13, Buffer.alloc(4))] }),
      /metadata k has unknown value type 13/,
    ],
    [
      'array length lies',
      ggufBytes({ kvs: [kv('k', 9, Buffer.concat([u32(4), u64(10n ** 9n)]))] }),
      /metadata k: array length .* (exceeds|cannot fit)/,
    ],
    [
      'nested arrays',
      ggufBytes({ kvs: [kv('k', 9, Buffer.concat([u32(9), u64(0)]))] }),
      /metadata k is an array of arrays/,
    ],
    ['bad bool', ggufBytes({ kvs: [kv('k', 7, Buffer.from([2]))] }), /metadata k is a bool of value 2/],
    [
      'bad UTF-8',
      ggufBytes({ kvs: [kv('k', 8, str(Buffer.from([0xff, 0xfe])))] }),
      /metadata k is not valid UTF-8/,
    ],
    [
      'duplicate key',
      ggufBytes({ kvs: [kv('k', 4, u32(1)), kv('k', 4, u32(2))] }),
      /metadata k appears twice/,
    ],
    [
      'alignment 0',
      ggufBytes({ ...good, kvs: [kv('general.alignment', 4, u32(0))] }),
      /general.alignment must be a u32 power of two/,
    ],
    ['alignment 48', ggufBytes({ ...good, kvs: [kv('general.alignment', 4, u32(48))] }), /power of two/],
    [
      'alignment as string',
      ggufBytes({ ...good, kvs: [kv('general.alignment', 8, str('32'))] }),
      /power of two, got string/,
    ],
    ['5 dimensions', ggufBytes({ infos: [info('t', [1, 1, 1, 1, 1], 0, 0)] }), /tensor "t" has 5 dimensions/],
    ['zero dimension', ggufBytes({ infos: [info('t', [4, 0], 0, 0)] }), /tensor "t": dimension 1 is 0/],
    [
      '2^64 elements',
      ggufBytes({ infos: [info('t', [2n ** 40n, 2n ** 40n], 0, 0)] }),
      /tensor "t" has more than 2\^53 elements/,
    ],
    [
      'unknown type',
      ggufBytes({ infos: [info('t', [32], 99, 0)], data: f32Data }),
      /tensor "t": unknown ggml type 99 is not supported/,
    ],
    [
      'unsupported type',
      ggufBytes({ infos: [info('t', [256], 14, 0)], data: f32Data }),
      /ggml type 14 \(Q6_K\) is not supported/,
    ],
    [
      'partial block',
      ggufBytes({ infos: [info('t', [48], 8, 0)], data: f32Data }),
      /rows of 48 values are not whole Q8_0 blocks of 32/,
    ],
    [
      'misaligned',
      ggufBytes({ infos: [info('t', [4], 0, 8)], data: f32Data }),
      /tensor "t": offset 8 is not a multiple of the alignment 32/,
    ],
    [
      'past the end',
      ggufBytes({ infos: [info('t', [32], 0, 0)], data: f32Data }),
      /tensor "t": its 128 bytes at offset 0 .* run past its end \(64 bytes\)/,
    ],
    [
      'offset past the end',
      ggufBytes({ infos: [info('t', [4], 0, 2n ** 62n)], data: f32Data }),
      /run past its end/,
    ],
    [
      'overlap',
      ggufBytes({ infos: [info('a', [16], 0, 0), info('b', [8], 0, 32)], data: f32Data }),
      /tensor "b" \(bytes 32..64\) overlaps tensor "a" \(bytes 0..64\)/,
    ],
    [
      'duplicate tensor',
      ggufBytes({ infos: [info('t', [8], 0, 0), info('t', [8], 0, 32)], data: f32Data }),
      /tensor "t" appears twice/,
    ],
    [
      'truncated header',
      ggufBytes(good).subarray(0, 40),
      /tensor "t": dimension 0 needs 8 bytes at offset 37 but the file ends at 40/,
    ],
  ];
  for (const [name, bytes, message] of cases) {
    test(name, () => {
      const path = writeBytes(join(dir, `${name.replaceAll(' ', '-')}.gguf`), bytes);
      assert.throws(
        () => readGGUFHeader(path),
        (e: Error) => e.message.startsWith(`${path}: `) && message.test(e.message),
      );
    });
  }

  test('the unbroken file reads', () => {
    const path = writeBytes(join(dir, 'good.gguf'), ggufBytes(good));
    assert.deepEqual(readGGUFTensor(readGGUFHeader(path), 't').data, new Float32Array(16));
  });
});
