import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  loadSafetensors,
  parseSafetensors,
  type SafetensorsTensor,
  saveSafetensors,
  serializeSafetensors,
} from '../../src/io/index.js';
import { IntTensor, Tensor } from '../../src/tensor/index.js';

// Written by scripts/fixtures/make_safetensors_fixtures.py with PyTorch (see there for the layout rules).
const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/safetensors/', import.meta.url));

interface Expected {
  metadata: Record<string, string>;
  tensors: Record<string, { dtype: string; shape: number[]; values: (number | string)[] }>;
}
const EXPECTED: Record<string, Expected> = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8'));

const FLOAT_DTYPES = ['F64', 'F32', 'F16', 'BF16'];

/** The fixture's tensors as ours: non-finite values are stored as strings ("NaN", "-Infinity"). */
function expectedTensors(file: string): Map<string, SafetensorsTensor> {
  return new Map(
    Object.entries(EXPECTED[file].tensors).map(([name, { dtype, shape, values }]) => {
      const numbers = values.map(Number);
      const t = FLOAT_DTYPES.includes(dtype)
        ? new Tensor(Float32Array.from(numbers), shape)
        : new IntTensor(Int32Array.from(numbers), shape);
      return [name, t];
    }),
  );
}

/** Same names, classes, shapes and values (NaN equals NaN; -0 differs from 0). */
function assertSameTensors(
  actual: ReadonlyMap<string, SafetensorsTensor>,
  expected: ReadonlyMap<string, SafetensorsTensor>,
): void {
  assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort());
  for (const [name, want] of expected) {
    const got = actual.get(name)!;
    assert.equal(got.constructor, want.constructor, `${name}: class`);
    assert.deepEqual(got.shape, want.shape, `${name}: shape`);
    assert.deepEqual(Array.from(got.data), Array.from(want.data), `${name}: values`);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'jielong-safetensors-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('safetensors', () => {
  test('serialize then parse gives back values, shapes, classes and metadata', () => {
    const tensors = new Map<string, SafetensorsTensor>([
      ['scalar', new Tensor(new Float32Array([-1.25]), [])],
      ['empty', new Tensor(new Float32Array(0), [2, 0, 3])],
      [
        'w',
        new Tensor(
          Float32Array.from({ length: 24 }, (_, i) => i / 7 - 1),
          [2, 3, 4],
        ),
      ],
      ['ids', new IntTensor(new Int32Array([5, -9, 2147483647]), [3])],
    ]);
    const metadata = { format: 'pt', '1': 'integer-like key', ü: 'non-ASCII' };
    const bytes = serializeSafetensors(tensors, metadata);
    const parsed = parseSafetensors(bytes);
    assertSameTensors(parsed.tensors, tensors);
    assert.deepEqual(parsed.metadata, metadata);

    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assert.equal(n % 8, 0, 'header length is a multiple of 8');
    const header = Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8');
    assert.match(header, /^\{.*\} *$/, 'header is JSON padded with spaces');
  });

  test("no tensors and no metadata is the reference writer's 16-byte file", () => {
    // From the reference implementation's own test of an empty file.
    const want = [8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32];
    assert.deepEqual(Array.from(serializeSafetensors(new Map())), want);
    assert.deepEqual(parseSafetensors(new Uint8Array(want)), { tensors: new Map(), metadata: {} });
  });

  test("our bytes equal the PyTorch script's for the same tensors (reference layout and order)", () => {
    const file = 'checkpoint.safetensors';
    const ours = Buffer.from(serializeSafetensors(expectedTensors(file), EXPECTED[file].metadata));
    const theirs = readFileSync(join(FIXTURES, file));
    assert.equal(ours.length, theirs.length, 'file length');
    assert.ok(ours.equals(theirs), `bytes differ from offset ${ours.findIndex((b, i) => b !== theirs[i])}`);
  });

  for (const file of Object.keys(EXPECTED)) {
    test(`parsing ${file} gives torch's values`, () => {
      const parsed = parseSafetensors(readFileSync(join(FIXTURES, file)), file);
      assertSameTensors(parsed.tensors, expectedTensors(file));
      assert.deepEqual(parsed.metadata, EXPECTED[file].metadata);
    });

    test(`loading ${file} from disk matches parsing it`, () => {
      const path = join(FIXTURES, file);
      const loaded = loadSafetensors(path);
      assertSameTensors(loaded.tensors, parseSafetensors(readFileSync(path)).tensors);
      assert.deepEqual(loaded.metadata, EXPECTED[file].metadata);
    });
  }

  test('parsed tensors own their storage, even when the input is a Node Buffer', () => {
    const bytes = readFileSync(join(FIXTURES, 'checkpoint.safetensors'));
    const w = parseSafetensors(bytes).tensors.get('wte.weight') as Tensor;
    const before = Array.from(w.data);
    bytes.fill(0);
    assert.deepEqual(Array.from(w.data), before);
    assert.equal(w.data.byteOffset, 0);
    assert.equal(w.data.buffer.byteLength, w.data.byteLength);
  });

  test('reads data at any alignment: odd buffer offset, and an F32 tensor at data offset 3', () => {
    const good = readFileSync(join(FIXTURES, 'dtypes.safetensors'));
    const shifted = new Uint8Array(good.length + 1);
    shifted.set(good, 1);
    assertSameTensors(parseSafetensors(shifted.subarray(1)).tensors, parseSafetensors(good).tensors);

    // The reference writer never produces this layout, but other writers may.
    const header = JSON.stringify({
      u: { dtype: 'U8', shape: [3], data_offsets: [0, 3] },
      f: { dtype: 'F32', shape: [2], data_offsets: [3, 11] },
    });
    const data = new Uint8Array(11);
    data.set([1, 2, 3]);
    new DataView(data.buffer).setFloat32(3, 1.5, true);
    new DataView(data.buffer).setFloat32(7, -2.75, true);
    const file = Buffer.concat([Buffer.alloc(8), Buffer.from(header), data]);
    file.writeBigUInt64LE(BigInt(header.length));
    const parsed = parseSafetensors(file).tensors;
    assert.deepEqual(Array.from(parsed.get('u')!.data), [1, 2, 3]);
    assert.deepEqual(Array.from(parsed.get('f')!.data), [1.5, -2.75]);
  });

  test('saveSafetensors writes a file loadSafetensors reads back, leaving no temp files', () => {
    const path = join(dir, 'model.safetensors');
    const tensors = expectedTensors('checkpoint.safetensors');
    saveSafetensors(path, tensors, { step: '3' });
    const loaded = loadSafetensors(path);
    assertSameTensors(loaded.tensors, tensors);
    assert.deepEqual(loaded.metadata, { step: '3' });
    assert.deepEqual(readdirSync(dir), ['model.safetensors']);
  });

  test('serialize rejects the reserved name and non-string metadata', () => {
    const t = new Tensor(new Float32Array([1]), [1]);
    assert.throws(() => serializeSafetensors(new Map([['__metadata__', t]])), /"__metadata__" is reserved/);
    assert.throws(
      () => serializeSafetensors(new Map([['t', t]]), { step: 3 as unknown as string }),
      /metadata "step" must be a string, got number/,
    );
  });
});
