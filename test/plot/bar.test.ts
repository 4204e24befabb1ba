// Grouped bars: heights measured from zero, negative bars downwards, gaps for missing values.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { barChart } from '../../src/plot/index.js';
import { byClass, findAll, num, parseXml } from './xml.js';

const groups = ['seq 64', 'seq 128', 'seq 256'];

test('bars are grouped, coloured per series, and scaled from zero', () => {
  const svg = parseXml(
    barChart({
      title: 'Recall',
      yLabel: 'accuracy',
      groups,
      series: [
        { name: 'attention', values: [1, 0.8, 0.6] },
        { name: 'mamba', values: [0.5, 0.4, Number.NaN] },
      ],
    }),
  );
  const texts = findAll(svg, 'text').map((t) => t.text);
  for (const want of ['Recall', 'accuracy', 'attention', 'mamba', ...groups])
    assert.ok(texts.includes(want), want);
  const bars = findAll(byClass(svg, 'bars')[0], 'rect');
  assert.equal(bars.length, 5, 'the NaN value leaves a gap');
  const height = bars.map((b) => num(b, 'height'));
  assert.ok(Math.abs(height[1] / height[0] - 0.8) < 1e-3 && Math.abs(height[3] / height[0] - 0.5) < 1e-3);
  const bottoms = bars.map((b) => num(b, 'y') + num(b, 'height'));
  for (const b of bottoms) assert.ok(Math.abs(b - bottoms[0]) < 0.02, 'all bars stand on zero');
  assert.equal(new Set(bars.map((b) => b.attrs.fill)).size, 2);
  // Series side by side within a group, groups left to right.
  const x = bars.map((b) => num(b, 'x'));
  assert.ok(x[0] < x[3] && x[3] < x[1] && x[1] < x[4] && x[4] < x[2], `${x}`);
  const ticks = findAll(byClass(svg, 'y-axis')[0], 'text').map((t) => Number(t.text));
  assert.ok(ticks[0] === 0 && ticks[ticks.length - 1] >= 1, `y ticks ${ticks}`);
});

test('negative values hang below the zero line', () => {
  const svg = parseXml(
    barChart({
      title: 'Delta',
      yLabel: 'change',
      groups: ['a', 'b'],
      series: [{ name: 'x', values: [2, -1] }],
    }),
  );
  const [up, down] = findAll(byClass(svg, 'bars')[0], 'rect');
  const zero = num(up, 'y') + num(up, 'height');
  assert.ok(Math.abs(num(down, 'y') - zero) < 0.02, 'the negative bar starts at zero');
  assert.ok(Math.abs(num(down, 'height') / num(up, 'height') - 0.5) < 1e-3);
});

test('group names and series names are escaped', () => {
  const doc = barChart({ title: 'T', yLabel: 'y', groups: ['<b>&'], series: [{ name: 'x"y', values: [1] }] });
  const texts = findAll(parseXml(doc), 'text').map((t) => t.text);
  assert.ok(texts.includes('<b>&') && texts.includes('x"y'));
  assert.equal(findAll(parseXml(doc), 'b').length, 0);
});

test('mismatched or empty input is rejected', () => {
  assert.throws(
    () => barChart({ title: 't', yLabel: 'y', groups, series: [{ name: 'short', values: [1, 2] }] }),
    /barChart: series 'short' has 2 values for 3 groups/,
  );
  assert.throws(() => barChart({ title: 't', yLabel: 'y', groups: [], series: [] }), /no groups/);
});
