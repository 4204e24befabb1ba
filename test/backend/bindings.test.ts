// The native boundary: the committed bindings are what the kernel table generates, and calls that once
// crashed the process or read outside an array are refused with errors naming the kernel and argument.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fuzz } from '../../scripts/fuzz-kernels.js';
import { GENERATED_DIR, generate } from '../../scripts/gen-bindings.js';
import { nativeAddon } from '../../src/backend/native.js';

// biome-ignore lint/suspicious/noExplicitAny: the raw addon, called with deliberately wrong arguments
const addon = nativeAddon() as Record<string, (...args: any[]) => void> | null;
const f32 = (n: number) => new Float32Array(n);

describe('native bindings', () => {
  test('the committed bindings are what the kernel table generates (npm run gen:bindings)', () => {
    const { header, bindings } = generate();
    assert.equal(readFileSync(`${GENERATED_DIR}kernels.h`, 'utf8'), header);
    assert.equal(readFileSync(`${GENERATED_DIR}bindings.cc`, 'utf8'), bindings);
  });

  test('rows x cols that wraps around 2^64 is refused, not a segfault', { skip: !addon }, () => {
    assert.throws(
      () => addon?.softmax(f32(4), f32(4), 2 ** 16, 2 ** 48),
      /softmax: the length of x, rows \* cols, overflows/,
    );
  });

  test('a negative stride that reaches before the array is refused', { skip: !addon }, () => {
    assert.throws(
      () => addon?.copyStrided(f32(4), f32(4), Int32Array.of(1, 4, -1), 0),
      /copyStrided: the length of x.*reach offset -3, before the start/,
    );
    // The same walk from the last element is fine: a reversed copy.
    const out = f32(4);
    addon?.copyStrided(Float32Array.of(1, 2, 3, 4), out, Int32Array.of(1, 4, -1), 3);
    assert.deepEqual([...out], [4, 3, 2, 1]);
  });

  test('a size past int32 is refused, not truncated (T = 2^32 + 2 once became 2)', { skip: !addon }, () => {
    const n = 2 ** 32 + 2;
    assert.throws(
      () => addon?.['delta.l2Norm'](f32(8), f32(8), 1, n, 1e-6),
      /delta.l2Norm: argument 3 \(D\) must be an integer in \[0, 2147483647\], got 4294967298/,
    );
    const big = f32(16);
    assert.throws(
      () => addon?.['delta.recurrentForward'](big, big, big, f32(4), null, f32(16), f32(4), 1, n, 1, 1, 1, 1),
      /delta.recurrentForward: argument 8 \(T\) must be an integer/,
    );
  });

  test('more arguments than a binding reads are refused, however many', { skip: !addon }, () => {
    assert.throws(
      () => addon?.softmax(...Array.from({ length: 40 }, () => 1)),
      /softmax: takes 4 arguments, got 40/,
    );
    assert.throws(() => addon?.softmax(f32(4), f32(4), 2), /softmax: takes 4 arguments, got 3/);
  });

  test('an output overlapping an input is refused; an allowed in-place update is not', {
    skip: !addon,
  }, () => {
    const x = f32(8);
    assert.throws(
      () => addon?.unary(0, x.subarray(0, 4), x.subarray(2, 6)),
      /unary: out overlaps x in memory/,
    );
    assert.throws(() => addon?.softmax(x, x, 2, 4), /softmax: out overlaps x in memory/);
    // gla.chunkForward may write the final state over the initial one (sOut === s0).
    const s = f32(4);
    addon?.['gla.chunkForward'](f32(6), f32(6), f32(6), null, null, s, f32(6), s, 1, 3, 1, 2, 2, 2, 1);
  });

  test('targets outside [0, cols) are refused, the ignore index is not', { skip: !addon }, () => {
    const call = (t: number[]) => addon?.crossEntropy(f32(4), Int32Array.from(t), 2, 2, -100, f32(2), f32(2));
    assert.throws(() => call([0, 2]), /crossEntropy: targets\[1\] = 2 is out of range \[0, 2\)/);
    call([1, -100]);
  });

  test('2,000 seeded calls with wrong arguments: every refusal names its kernel, none crashes', {
    skip: !addon,
  }, () => {
    const r = fuzz(2000, 7);
    assert.deepEqual(r.unclear, []);
    assert.equal(r.ran + r.refused, 2000);
    assert.ok(r.refused > 1000 && r.ran > 50, `ran ${r.ran}, refused ${r.refused}`);
  });
});
