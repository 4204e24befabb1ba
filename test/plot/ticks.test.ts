// Tick steps of 1, 2 or 5 x 10^k that cover the data, powers of ten on log axes, and readable labels.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatTick, linearAxis, logAxis } from '../../src/plot/index.js';
import { Generator } from '../../src/tensor/index.js';

/** The mantissa of a step, which must be 1, 2 or 5. */
function mantissa(step: number): number {
  return Number((step / 10 ** Math.floor(Math.log10(step) + 1e-9)).toPrecision(6));
}

test('linear ticks have a 1-2-5 step, cover the range tightly, and read back exactly', () => {
  const g = new Generator(9);
  for (let trial = 0; trial < 500; trial++) {
    const scale = 10 ** (g.random() * 16 - 7);
    const a = (g.random() * 2 - 1) * scale;
    const b = a + g.random() * scale;
    const axis = linearAxis(a, b);
    const { ticks } = axis;
    assert.ok(ticks.length >= 4 && ticks.length <= 12, `${ticks.length} ticks for [${a}, ${b}]`);
    const step = (ticks[ticks.length - 1] - ticks[0]) / (ticks.length - 1);
    assert.ok([1, 2, 5].includes(mantissa(step)), `step ${step} for [${a}, ${b}]`);
    for (let i = 1; i < ticks.length; i++)
      assert.ok(
        Math.abs(ticks[i] - ticks[i - 1] - step) <= 1e-9 * Math.abs(step) * ticks.length,
        'even steps',
      );
    assert.ok(axis.lo <= a && axis.hi >= b, `[${axis.lo}, ${axis.hi}] misses [${a}, ${b}]`);
    assert.ok(axis.lo > a - step && axis.hi < b + step, `[${axis.lo}, ${axis.hi}] is loose on [${a}, ${b}]`);
    assert.deepEqual([axis.lo, axis.hi], [ticks[0], ticks[ticks.length - 1]]);
    axis.labels.forEach((label, i) => {
      assert.ok(label.length <= 12, `label ${label}`);
      assert.ok(
        Math.abs(Number(label) - ticks[i]) <= 1e-9 * Math.abs(step),
        `label ${label} for ${ticks[i]}`,
      );
    });
  }
});

test('linear ticks on hand-worked ranges', () => {
  const unit = linearAxis(0, 1);
  assert.deepEqual(unit.ticks, [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(unit.labels, ['0.0', '0.2', '0.4', '0.6', '0.8', '1.0']);
  assert.deepEqual(linearAxis(0.1, 0.3).ticks, [0.1, 0.15, 0.2, 0.25, 0.3]);
  assert.deepEqual(linearAxis(0, 2000).labels, ['0', '500', '1000', '1500', '2000']);
  assert.deepEqual(linearAxis(-3, 7).ticks, [-4, -2, 0, 2, 4, 6, 8]);
  assert.deepEqual(linearAxis(2e6, 4e6).labels, ['2e6', '2.5e6', '3e6', '3.5e6', '4e6']);
});

test('degenerate ranges still get an axis', () => {
  const flat = linearAxis(5, 5);
  assert.ok(flat.lo < 5 && flat.hi > 5 && flat.ticks.length >= 2, JSON.stringify(flat));
  const zero = linearAxis(0, 0);
  assert.ok(zero.lo < 0 && zero.hi > 0, JSON.stringify(zero));
  const none = linearAxis(Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY);
  assert.deepEqual([none.lo, none.hi], [0, 1]);
  assert.deepEqual(
    [logAxis(Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY).lo, logAxis(1, 0).hi],
    [1, 10],
  );
});

test('log ticks sit on powers of ten spanning the data', () => {
  const axis = logAxis(0.013, 420);
  assert.deepEqual(axis.ticks, [0.01, 0.1, 1, 10, 100, 1000]);
  assert.deepEqual(axis.labels, ['0.01', '0.1', '1', '10', '100', '1000']);
  assert.deepEqual([axis.lo, axis.hi, axis.log], [0.01, 1000, true]);
  assert.deepEqual(logAxis(1, 1e4).ticks, [1, 10, 100, 1000, 1e4], 'data on powers of ten');
  assert.deepEqual(logAxis(2, 9).ticks, [1, 2, 5, 10], 'a single decade adds 2 and 5');
  assert.deepEqual(
    logAxis(100, 100).ticks.filter((t) => Number.isInteger(Math.log10(t))),
    [10, 100, 1000],
  );
  const wide = logAxis(1e-12, 3e11);
  assert.ok(wide.ticks.length <= 9, `${wide.ticks.length} ticks over 24 decades`);
  for (const t of wide.ticks) assert.ok(Number.isInteger(Math.log10(t)), `${t} is not a power of ten`);
  assert.ok(wide.lo <= 1e-12 && wide.hi >= 3e11);
  assert.equal(wide.labels[0], '1e-12');
});

test('tick labels: decimals from the step, exponents for the very large and small', () => {
  assert.equal(formatTick(1500, 2), '1500');
  assert.equal(formatTick(0.05, -2), '0.05');
  assert.equal(formatTick(0.5, -2), '0.50');
  assert.equal(formatTick(-0.25, -2), '-0.25');
  assert.equal(formatTick(1e6, 6), '1e6');
  assert.equal(formatTick(2.5e-5, -6), '2.5e-5');
  assert.equal(formatTick(0, -1), '0.0');
  assert.equal(formatTick(0, -6), '0');
});
