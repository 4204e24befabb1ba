// Heatmaps: each cell coloured as its scale says, missing cells hatched, labels escaped, a colour bar with
// round ticks, and refused input.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { heatmap } from '../../src/plot/index.js';
import { byClass, findAll, num, parseXml, type XmlElement } from './xml.js';

const cells = (svg: XmlElement) => findAll(byClass(svg, 'cells')[0], 'rect');

test('a sequential scale runs from white at min to dark purple at max, linearly between', () => {
  const svg = parseXml(
    heatmap({
      title: 'Grid',
      xLabel: 'position',
      yLabel: 'layer',
      xTicks: ['a', 'b', 'c'],
      yTicks: ['0', '1'],
      values: [
        [0, 5, 10],
        [Number.NaN, 2.5, 20],
      ],
      min: 0,
      max: 10,
    }),
  );
  const fills = cells(svg).map((c) => c.attrs.fill);
  // #3f007d is (63, 0, 125); halfway to white is (159, 127.5, 190), rounded.
  assert.deepEqual(fills, ['#ffffff', '#9f80be', '#3f007d', 'url(#heatmap-missing)', '#cfbfdf', '#3f007d']);
  assert.ok(
    findAll(svg, 'pattern').some((p) => p.attrs.id === 'heatmap-missing'),
    'the hatching is defined',
  );
  // Row 0 at the top, columns left to right, cells tiling the plot.
  const rects = cells(svg);
  assert.ok(num(rects[0], 'y') < num(rects[3], 'y') && num(rects[0], 'x') < num(rects[1], 'x'));
  assert.ok(Math.abs(num(rects[0], 'x') + num(rects[0], 'width') - num(rects[1], 'x')) < 0.02);
  const texts = findAll(svg, 'text').map((t) => t.text);
  for (const want of ['Grid', 'position', 'layer', 'a', 'b', 'c', '0', '1'])
    assert.ok(texts.includes(want), want);
});

test('a diverging scale is blue below zero, white at zero and red above, symmetric about zero', () => {
  const svg = parseXml(
    heatmap({
      title: 'Δ',
      xLabel: 'x',
      yLabel: 'y',
      xTicks: ['p', 'q', 'r', 's'],
      yTicks: ['row'],
      values: [[-4, 0, 2, 4]],
      colourScale: 'diverging',
    }),
  );
  // #2166ac and #b2182b are RdBu's ends; 2 is halfway from white to red.
  assert.deepEqual(
    cells(svg).map((c) => c.attrs.fill),
    ['#2166ac', '#ffffff', '#d98c95', '#b2182b'],
  );
  // With only a positive maximum given, the scale still spans [-max, max]: -1 of 2 is halfway to blue.
  const halfBlue = parseXml(
    heatmap({
      title: '',
      xLabel: '',
      yLabel: '',
      xTicks: ['a', 'b'],
      yTicks: ['r'],
      values: [[-1, 9]],
      colourScale: 'diverging',
      min: -1,
      max: 2,
    }),
  );
  assert.deepEqual(
    cells(halfBlue).map((c) => c.attrs.fill),
    ['#90b3d6', '#b2182b'],
  );
});

test('the colour bar has round ticks inside the scale, placed by value', () => {
  const svg = parseXml(
    heatmap({
      title: 't',
      xLabel: 'x',
      yLabel: 'y',
      xTicks: ['a'],
      yTicks: ['b'],
      values: [[0]],
      min: 0,
      max: 1,
    }),
  );
  const bar = byClass(svg, 'colour-bar')[0];
  const labels = findAll(bar, 'text').map((t) => Number(t.text));
  assert.deepEqual(labels, [0, 0.2, 0.4, 0.6, 0.8, 1]);
  const [frame] = findAll(bar, 'rect');
  assert.equal(frame.attrs.fill, 'url(#heatmap-sequential)');
  const ys = findAll(bar, 'line').map((l) => num(l, 'y1'));
  assert.ok(Math.abs(ys[0] - (num(frame, 'y') + num(frame, 'height'))) < 0.02, '0 at the bottom');
  assert.ok(Math.abs(ys[5] - num(frame, 'y')) < 0.02, '1 at the top');
});

test('labels are escaped, long column labels slant, and cell text is written on request', () => {
  const long = ['<subject> & friends', 'the "answer" token', "it's"];
  const doc = heatmap({
    title: 'a < b',
    xLabel: 'x',
    yLabel: 'y',
    xTicks: long,
    yTicks: ['<0>'],
    values: [[0.125, 0.5, 1]],
    cellText: true,
    width: 300,
  });
  const svg = parseXml(doc);
  const texts = findAll(svg, 'text').map((t) => t.text);
  for (const want of [...long, '<0>', 'a < b', '0.13', '0.50', '1.0']) assert.ok(texts.includes(want), want);
  assert.equal(findAll(svg, 'subject').length, 0);
  const columns = findAll(byClass(svg, 'x-ticks')[0], 'text');
  assert.ok(
    columns.every((t) => t.attrs.transform?.startsWith('rotate(-30')),
    'slanted',
  );
});

test('ragged rows, tick counts that do not match, and bad scale ends are refused', () => {
  const base = { title: 't', xLabel: 'x', yLabel: 'y', xTicks: ['a', 'b'], yTicks: ['0', '1'] };
  assert.throws(
    () => heatmap({ ...base, values: [[1, 2], [3]] }),
    /heatmap: row 1 has 1 values for 2 x ticks/,
  );
  assert.throws(() => heatmap({ ...base, values: [[1, 2]] }), /heatmap: 1 rows of values for 2 y ticks/);
  assert.throws(() => heatmap({ ...base, xTicks: [], yTicks: [], values: [] }), /need at least one each/);
  const values = [
    [1, 2],
    [3, 4],
  ];
  assert.throws(() => heatmap({ ...base, values, min: 2, max: 2 }), /min 2 must be below max 2/);
  assert.throws(() => heatmap({ ...base, values, max: Number.NaN }), /max must be finite/);
  assert.throws(() => heatmap({ ...base, values, width: 60 }), /leaves no room/);
});
