// Line charts: well-formed SVG, text escaped, data placed on the ticks, unusable points skipped.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type LineChartOptions, type LineSeries, lineChart } from '../../src/plot/index.js';
import { byClass, findAll, num, parseXml, type XmlElement } from './xml.js';

const chart = (series: LineSeries[], extra: Partial<LineChartOptions> = {}): XmlElement =>
  parseXml(lineChart({ title: 'Loss', xLabel: 'step', yLabel: 'nats', series, ...extra }));

const texts = (node: XmlElement): string[] => findAll(node, 'text').map((t) => t.text);

/** Each tick label of an axis group with the pixel position of its gridline. */
function gridOf(svg: XmlElement, axis: 'x-axis' | 'y-axis'): Map<string, number> {
  const group = byClass(svg, axis)[0];
  const grid = findAll(group, 'line').filter((l) => l.attrs.stroke === '#e3e3e3');
  const labels = findAll(group, 'text');
  assert.equal(grid.length, labels.length, 'one gridline per label');
  return new Map(labels.map((t, i) => [t.text, num(grid[i], axis === 'x-axis' ? 'x1' : 'y1')]));
}

/** Vertices of a path's d attribute, as [x, y]. */
function vertices(d: string): number[][] {
  return [...d.matchAll(/[ML](-?[\d.]+) (-?[\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
}

test('a chart is well-formed SVG holding the title, axis labels and every series name', () => {
  const svg = chart([
    {
      name: 'transformer',
      points: [
        [0, 4.2],
        [100, 2.5],
        [200, 1.9],
      ],
    },
    {
      name: 'mamba2',
      points: [
        [0, 4.1],
        [100, 2.7],
        [200, 2.0],
      ],
    },
  ]);
  assert.equal(svg.name, 'svg');
  assert.equal(svg.attrs.xmlns, 'http://www.w3.org/2000/svg');
  for (const want of ['Loss', 'step', 'nats', 'transformer', 'mamba2'])
    assert.ok(texts(svg).includes(want), want);
  const colours = byClass(svg, 'series').map((g) => findAll(g, 'path')[0].attrs.stroke);
  assert.equal(new Set(colours).size, 2, 'distinct colours');
});

test('ticks are nice numbers covering the data, and points sit where the ticks say', () => {
  const svg = chart([
    {
      name: 'a',
      points: [
        [0, 0.5],
        [30, 1.5],
        [70, 2.25],
      ],
    },
  ]);
  const x = gridOf(svg, 'x-axis');
  const y = gridOf(svg, 'y-axis');
  const xs = [...x.keys()].map(Number);
  const ys = [...y.keys()].map(Number);
  const step = xs[1] - xs[0];
  assert.ok([1, 2, 5, 10, 20, 50].includes(step), `x step ${step}`);
  assert.ok(xs[0] <= 0 && xs[xs.length - 1] >= 70, `x ticks ${xs}`);
  assert.ok(ys[0] <= 0.5 && ys[ys.length - 1] >= 2.25, `y ticks ${ys}`);
  const circles = findAll(byClass(svg, 'series')[0], 'circle');
  assert.equal(circles.length, 3, 'short series get a marker per point');
  // x = 0 lies on the "0" gridline; y = 1.5 lies on the "1.5" gridline; y = 2.25 between 2.0 and 2.5.
  assert.equal(num(circles[0], 'cx'), x.get('0'));
  assert.equal(num(circles[1], 'cy'), y.get('1.5'));
  const mid = num(circles[2], 'cy');
  assert.ok(Math.abs(mid - (y.get('2.0')! + y.get('2.5')!) / 2) < 0.02, 'linear between ticks');
});

test('log axes put powers of ten on the gridlines and place data by its logarithm', () => {
  const svg = chart(
    [
      {
        name: 'time',
        points: [
          [16, 0.002],
          [100, 1],
          [1000, 1600],
          [0, 5],
          [50, -1],
        ],
      },
    ],
    { logX: true, logY: true },
  );
  const x = gridOf(svg, 'x-axis');
  const y = gridOf(svg, 'y-axis');
  assert.deepEqual([...x.keys()], ['10', '20', '50', '100', '200', '500', '1000']);
  assert.deepEqual([...y.keys()], ['0.001', '0.01', '0.1', '1', '10', '100', '1000', '10000']);
  const circles = findAll(byClass(svg, 'series')[0], 'circle');
  assert.equal(circles.length, 3, 'points <= 0 are skipped on log axes');
  assert.equal(num(circles[1], 'cx'), x.get('100'));
  assert.equal(num(circles[1], 'cy'), y.get('1'));
  // log10(16) = 1.204: a fifth of the way from 10 to 100.
  const frac = (num(circles[0], 'cx') - x.get('10')!) / (x.get('100')! - x.get('10')!);
  assert.ok(Math.abs(frac - Math.log10(16) + 1) < 1e-3, `x fraction ${frac}`);
});

test('NaN and infinite points are skipped and break the line', () => {
  const doc = lineChart({
    title: 't',
    xLabel: 'x',
    yLabel: 'y',
    series: [
      {
        name: 'gappy',
        points: [
          [0, 1],
          [1, Number.NaN],
          [2, Number.POSITIVE_INFINITY],
          [3, 2],
          [4, 3],
          [Number.NaN, 1],
          [6, 2],
          [7, 1],
        ],
      },
    ],
  });
  assert.ok(!/NaN|Infinity/.test(doc), 'no NaN or Infinity written');
  const series = byClass(parseXml(doc), 'series')[0];
  const d = findAll(series, 'path')[0].attrs.d;
  assert.equal(d.match(/M/g)?.length, 2, `two runs of two or more points: ${d}`);
  assert.equal(vertices(d).length, 4);
  assert.equal(findAll(series, 'circle').length, 5, 'every usable point marked');
});

test('a single point and all-equal values draw without dividing by zero', () => {
  for (const series of [
    [{ name: 'one', points: [[3, 7]] as [number, number][] }],
    [
      {
        name: 'flat',
        points: [
          [0, 5],
          [1, 5],
          [2, 5],
        ] as [number, number][],
      },
    ],
    [
      {
        name: 'zeros',
        points: [
          [1, 0],
          [1, 0],
        ] as [number, number][],
      },
    ],
    [],
  ]) {
    const doc = lineChart({ title: 'edge', xLabel: 'x', yLabel: 'y', series });
    assert.ok(!/NaN|Infinity/.test(doc), `NaN in ${JSON.stringify(series)}`);
    const svg = parseXml(doc);
    const ys = [...gridOf(svg, 'y-axis').keys()].map(Number);
    const values = series.flatMap((s) => s.points.map((p) => p[1]));
    for (const v of values) assert.ok(ys[0] < v && v < ys[ys.length - 1], `${v} inside ${ys}`);
  }
  const single = chart([{ name: 'one', points: [[3, 7]] }]);
  assert.equal(findAll(single, 'circle').length, 1);
  assert.equal(findAll(byClass(single, 'series')[0], 'path').length, 0, 'no line through one point');
});

test('text is escaped for XML', () => {
  const nasty = 'a < b & "c" \'d\' </text><script>x</script>';
  const doc = lineChart({
    title: nasty,
    xLabel: '>',
    yLabel: '&amp;',
    series: [{ name: nasty, points: [[0, 1]] }],
  });
  const svg = parseXml(doc);
  assert.equal(findAll(svg, 'script').length, 0);
  assert.equal(texts(svg).filter((t) => t === nasty).length, 2, 'title and legend read back as given');
  assert.ok(texts(svg).includes('>') && texts(svg).includes('&amp;'));
  assert.ok(!doc.includes('<script'));
});

test('many series stay distinguishable: colour or dash differs for every pair', () => {
  const series = Array.from({ length: 14 }, (_, i) => ({
    name: `s${i}`,
    points: [
      [0, i],
      [1, i + 1],
    ] as [number, number][],
  }));
  const styles = byClass(chart(series), 'series').map((g) => {
    const p = findAll(g, 'path')[0].attrs;
    return `${p.stroke}/${p['stroke-dasharray'] ?? 'solid'}`;
  });
  assert.equal(new Set(styles).size, 14);
});

test('bad sizes are rejected', () => {
  assert.throws(
    () => lineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [], width: 10 }),
    /plot: width/,
  );
});
