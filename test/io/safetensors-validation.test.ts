import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadSafetensors, parseSafetensors } from '../../src/io/index.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/safetensors/', import.meta.url));
const GOOD = new Uint8Array(readFileSync(join(FIXTURES, 'checkpoint.safetensors')));
const SOURCE = 'bad.safetensors';

/** A file from a header (JSON-encoded unless already a string or bytes) and `dataLength` zero bytes. */
function fileWith(header: unknown, dataLength = 0): Uint8Array {
  const json =
    header instanceof Uint8Array
      ? header
      : Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

function f32(shape: number[], begin: number, end: number) {
  return { dtype: 'F32', shape, data_offsets: [begin, end] };
}

function rejects(bytes: Uint8Array, message: RegExp): void {
  assert.throws(
    () => parseSafetensors(bytes, SOURCE),
    (e: Error) => {
      assert.ok(e.message.startsWith(`${SOURCE}: `), `message names the source: ${e.message}`);
      assert.match(e.message, message);
      return true;
    },
  );
}

const dir = mkdtempSync(join(tmpdir(), 'jielong-safetensors-bad-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('safetensors validation', () => {
  test('the good file parses (so each failure below is the corruption, not the base)', () => {
    assert.ok(parseSafetensors(GOOD).tensors.size > 0);
  });

  test('file shorter than the 8-byte length', () => {
    rejects(GOOD.subarray(0, 5), /5 bytes is shorter than the 8-byte header length/);
    rejects(new Uint8Array(0), /0 bytes is shorter/);
  });

  test('header length past the end of the file, or over the 100 MB limit', () => {
    const past = GOOD.slice();
    new DataView(past.buffer).setBigUint64(0, BigInt(GOOD.length), true);
    rejects(
      past,
      new RegExp(`header length ${GOOD.length} runs past the end of the file \\(${GOOD.length} bytes\\)`),
    );
    const huge = GOOD.slice();
    new DataView(huge.buffer).setBigUint64(0, 100_000_001n, true);
    rejects(huge, /header length 100000001 exceeds the 100000000-byte limit/);
    new DataView(huge.buffer).setBigUint64(0, 2n ** 64n - 1n, true);
    rejects(huge, /header length 18446744073709551615 exceeds/);
  });

  test('header that is not UTF-8, not JSON, or not an object', () => {
    rejects(fileWith(new Uint8Array([0x7b, 0xff, 0x7d])), /header is not valid UTF-8/);
    rejects(fileWith('{"a": '), /header is not valid JSON/);
    for (const header of ['[1, 2]', 'null', '3', '"{}"'])
      rejects(fileWith(header), /header is not a JSON object/);
    rejects(fileWith({ t: [1, 2] }), /tensor "t": entry is not a JSON object/);
    rejects(fileWith({ __metadata__: { step: 3 } }), /__metadata__ value of "step" must be a string, got 3/);
    rejects(fileWith({ __metadata__: ['a'] }), /__metadata__ is not a JSON object/);
  });

  test('unknown or unsupported dtype names the tensor and the dtype', () => {
    rejects(
      fileWith({ w: { dtype: 'F128', shape: [1], data_offsets: [0, 16] } }, 16),
      /tensor "w": unknown or unsupported dtype "F128"/,
    );
    rejects(
      fileWith({ w: { dtype: 'U16', shape: [1], data_offsets: [0, 2] } }, 2),
      /tensor "w": unknown or unsupported dtype "U16"/,
    );
    rejects(
      fileWith({ w: { shape: [1], data_offsets: [0, 4] } }, 4),
      /tensor "w": unknown or unsupported dtype undefined/,
    );
  });

  test('shape that is not a list of non-negative integers', () => {
    for (const shape of [[2, -1], [1.5], '3', null, [[2]]]) {
      rejects(
        fileWith({ w: { dtype: 'F32', shape, data_offsets: [0, 8] } }, 8),
        /tensor "w": shape .* is not a list of non-negative integers/,
      );
    }
    rejects(
      fileWith({ w: f32([2 ** 40, 2 ** 40], 0, 4) }, 4),
      /tensor "w": shape \[1099511627776,1099511627776\] is too large/,
    );
  });

  test('data_offsets that are not [begin, end] with begin <= end', () => {
    for (const offsets of [[8, 4], [0], [0, 4, 8], [-4, 0], [0, '4'], undefined]) {
      rejects(
        fileWith({ w: { dtype: 'F32', shape: [1], data_offsets: offsets } }, 4),
        /tensor "w": data_offsets .* is not \[begin, end\] with 0 <= begin <= end/,
      );
    }
  });

  test('byte length that does not match the dtype and shape', () => {
    rejects(
      fileWith({ w: f32([3], 0, 8) }, 8),
      /tensor "w": data_offsets \[0, 8\] hold 8 bytes but F32 of shape \[3\] needs 12/,
    );
  });

  test('tensors that overlap, leave a hole, or leave trailing bytes', () => {
    rejects(
      fileWith({ a: f32([2], 0, 8), b: f32([2], 4, 12) }, 12),
      /tensor "b" \(bytes 4\.\.12\) overlaps tensor "a" \(bytes 0\.\.8\)/,
    );
    rejects(
      fileWith({ a: f32([2], 0, 8), e: f32([0], 4, 4) }, 8),
      /tensor "e" \(bytes 4\.\.4\) overlaps tensor "a"/,
    );
    rejects(
      fileWith({ a: f32([2], 0, 8), b: f32([2], 12, 20) }, 20),
      /bytes 8\.\.12 of the data buffer, before tensor "b", belong to no tensor/,
    );
    rejects(fileWith({ a: f32([2], 0, 8) }, 12), /bytes 8\.\.12 at the end of the data belong to no tensor/);
    rejects(fileWith({}, 1), /bytes 0\.\.1 at the end of the data belong to no tensor/);
    // Empty tensors may sit anywhere the layout is contiguous, in any header order.
    const ok = parseSafetensors(
      fileWith({ b: f32([2], 8, 16), e: f32([0, 3], 8, 8), a: f32([2], 0, 8) }, 16),
    );
    assert.deepEqual([...ok.tensors.keys()], ['b', 'e', 'a']);
  });

  test('truncated data names the tensor that runs past the end', () => {
    // The I32 tensor "step" (4 values) sorts last, after every F32 tensor.
    const dataLength = GOOD.length - 8 - Number(new DataView(GOOD.buffer).getBigUint64(0, true));
    rejects(
      GOOD.subarray(0, GOOD.length - 4),
      new RegExp(
        `truncated: tensor "step" ends at byte ${dataLength} of the data buffer, which has only ${dataLength - 4} `,
      ),
    );
  });

  test('an I64 value outside the int32 range is an error, not a silent wrap', () => {
    const bytes = fileWith({ ids: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } }, 16);
    new DataView(bytes.buffer).setBigInt64(bytes.length - 8, 2n ** 31n, true);
    rejects(bytes, /tensor "ids": I64 value 2147483648 at index 1 does not fit in an int32 IntTensor/);
  });

  test('loadSafetensors names the file and checks the same things', () => {
    const path = join(dir, 'cut.safetensors');
    writeFileSync(path, GOOD.subarray(0, GOOD.length - 4));
    assert.throws(
      () => loadSafetensors(path),
      (e: Error) => e.message.startsWith(`${path}: truncated: tensor`),
    );
    writeFileSync(path, GOOD.subarray(0, 3));
    assert.throws(
      () => loadSafetensors(path),
      (e: Error) => e.message === `${path}: 3 bytes is shorter than the 8-byte header length`,
    );
    writeFileSync(path, fileWith({ a: f32([2], 0, 8), b: f32([2], 4, 12) }, 12));
    assert.throws(() => loadSafetensors(path), /overlaps tensor "a"/);
  });
});
