// Heatmaps (a value per row and column: causal-tracing grids, attention patterns), with a colour bar.
// Row 0 is drawn at the top, as a matrix is written.
import { el, escapeXml, px, svgDocument, text, textWidth } from './svg.js';
import { linearAxis } from './ticks.js';

/**
 * 'sequential': white at min to dark purple at max. 'diverging': blue through white (at 0) to red, over
 * [-m, m] with m the larger of |min| and |max|, so equal colours mean equal sizes on both sides.
 */
export type ColourScale = 'sequential' | 'diverging';

export interface HeatmapOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  /** One label per column. */
  xTicks: readonly string[];
  /** One label per row. */
  yTicks: readonly string[];
  /** Rows (y) of columns (x); NaN or infinite cells are drawn hatched. */
  values: readonly (readonly number[])[];
  colourScale?: ColourScale;
  /** The ends of the scale (default the finite data's); values beyond are drawn in the end colour. */
  min?: number;
  max?: number;
  /** Write each value in its cell. */
  cellText?: boolean;
  width?: number;
  height?: number;
}

type Rgb = readonly [number, number, number];
const WHITE: Rgb = [255, 255, 255];
// ColorBrewer's darkest Purples, and RdBu's ends.
const DARK: Rgb = [63, 0, 125];
const BLUE: Rgb = [33, 102, 172];
const RED: Rgb = [178, 24, 43];

const TICK_FONT = 11;
const BAR_WIDTH = 14;
const MISSING = 'heatmap-missing';

const hex = (c: Rgb) => `#${c.map((v) => Math.round(v).toString(16).padStart(2, '0')).join('')}`;
const mix = (a: Rgb, b: Rgb, f: number): Rgb => [
  a[0] + (b[0] - a[0]) * f,
  a[1] + (b[1] - a[1]) * f,
  a[2] + (b[2] - a[2]) * f,
];

/** The scale's colour at fraction f of its range (0 = min, 1 = max; clamped). */
function scaleColour(scale: ColourScale, f: number): string {
  const t = Math.min(1, Math.max(0, f));
  if (scale === 'sequential') return hex(mix(WHITE, DARK, t));
  return hex(t < 0.5 ? mix(BLUE, WHITE, t * 2) : mix(WHITE, RED, (t - 0.5) * 2));
}

/** The range the colours span: the options' ends, or the finite data's, made symmetric when diverging. */
function scaleRange(options: HeatmapOptions, scale: ColourScale): [number, number] {
  for (const k of ['min', 'max'] as const) {
    const v = options[k];
    if (v !== undefined && !Number.isFinite(v))
      throw new RangeError(`heatmap: ${k} must be finite, got ${v}`);
  }
  let [lo, hi] = [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
  for (const row of options.values)
    for (const v of row) if (Number.isFinite(v)) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  if (lo > hi) [lo, hi] = [0, 1]; // nothing finite to draw
  lo = options.min ?? lo;
  hi = options.max ?? hi;
  if (options.min !== undefined && options.max !== undefined && !(lo < hi))
    throw new RangeError(`heatmap: min ${lo} must be below max ${hi}`);
  if (scale === 'diverging') {
    const m = Math.max(Math.abs(lo), Math.abs(hi));
    return m > 0 ? [-m, m] : [-1, 1];
  }
  if (lo < hi) return [lo, hi];
  // One value everywhere (or one end given past the data): give the scale some width.
  const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
  return options.max !== undefined ? [hi - pad, hi] : [lo, lo + pad];
}

function check(options: HeatmapOptions): void {
  const { values, xTicks, yTicks } = options;
  if (xTicks.length === 0 || yTicks.length === 0)
    throw new RangeError(
      `heatmap: ${xTicks.length} x ticks and ${yTicks.length} y ticks; need at least one each`,
    );
  if (values.length !== yTicks.length)
    throw new RangeError(`heatmap: ${values.length} rows of values for ${yTicks.length} y ticks`);
  values.forEach((row, i) => {
    if (row.length !== xTicks.length)
      throw new RangeError(`heatmap: row ${i} has ${row.length} values for ${xTicks.length} x ticks`);
  });
}

/** A compact label for a value written inside its cell. */
const cellLabel = (v: number) =>
  Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-2) ? v.toExponential(1) : v.toPrecision(2);

/** An SVG document drawing `values` as coloured cells, with labelled rows and columns and a colour bar. */
export function heatmap(options: HeatmapOptions): string {
  check(options);
  const { xTicks, yTicks, values, width = 720, height = 440 } = options;
  const scale = options.colourScale ?? 'sequential';
  const [lo, hi] = scaleRange(options, scale);
  const bar = linearAxis(lo, hi, 5);
  // linearAxis widens to round ticks; the bar spans exactly the scale, so ticks beyond it are dropped.
  const barTicks = bar.ticks
    .map((t, i) => ({ t, label: bar.labels[i] }))
    .filter(({ t }) => t >= lo - 1e-9 * (hi - lo) && t <= hi + 1e-9 * (hi - lo));

  const xLabelWidth = Math.max(...xTicks.map((s) => textWidth(s, TICK_FONT)));
  const labelled =
    10 + (options.yLabel ? 22 : 0) + Math.max(...yTicks.map((s) => textWidth(s, TICK_FONT))) + 8;
  const right = 16 + BAR_WIDTH + 6 + Math.max(0, ...barTicks.map((b) => textWidth(b.label, TICK_FONT))) + 10;
  // Labels wider than their column are slanted, as bar charts do.
  const slotGuess = (width - labelled - right) / xTicks.length;
  const slanted = xLabelWidth > slotGuess - 4;
  // The first slanted label reaches left of its column by its run (cos 30 of its width).
  const left = Math.max(labelled, slanted ? textWidth(xTicks[0], TICK_FONT) * 0.87 - slotGuess / 2 + 8 : 0);
  const xTickRoom = slanted ? Math.min(xLabelWidth * 0.5 + 24, height / 3) : 22;
  const top = options.title ? 40 : 14;
  const bottom = xTickRoom + (options.xLabel ? 24 : 0) + 10;
  const plot = { left, top, width: width - left - right, height: height - top - bottom };
  if (!(plot.width >= 20 && plot.height >= 20))
    throw new RangeError(
      `heatmap: ${width}x${height} leaves no room for the cells after labels; make it larger`,
    );

  const cw = plot.width / xTicks.length;
  const ch = plot.height / yTicks.length;
  const fraction = (v: number) => (v - lo) / (hi - lo);
  const font = Math.min(11, ch * 0.45, cw * 0.3);
  const cells: string[] = [];
  values.forEach((row, r) => {
    row.forEach((v, c) => {
      const finite = Number.isFinite(v);
      const fill = finite ? scaleColour(scale, fraction(v)) : `url(#${MISSING})`;
      const tip = el('title', {}, escapeXml(`${yTicks[r]} / ${xTicks[c]}: ${v}`));
      const [x, y] = [plot.left + c * cw, plot.top + r * ch];
      cells.push(el('rect', { x, y, width: cw, height: ch, fill }, tip));
      if (options.cellText && finite) {
        // Dark text on light cells, white on dark ones (the scale's ends are dark).
        const f = fraction(v);
        const dark = scale === 'sequential' ? f > 0.55 : Math.abs(f - 0.5) > 0.35;
        cells.push(
          text(x + cw / 2, y + ch / 2 + font * 0.35, cellLabel(v), {
            'text-anchor': 'middle',
            'font-size': font,
            fill: dark ? 'white' : '#222',
          }),
        );
      }
    });
  });

  const parts: string[] = [defs(scale)];
  if (options.title)
    parts.push(
      text(width / 2, 24, options.title, { 'text-anchor': 'middle', 'font-size': 16, 'font-weight': 'bold' }),
    );
  parts.push(el('g', { class: 'cells' }, cells.join('')));
  parts.push(
    el('rect', {
      x: plot.left,
      y: plot.top,
      width: plot.width,
      height: plot.height,
      fill: 'none',
      stroke: '#333',
    }),
  );
  const rowLabels = yTicks.map((s, r) =>
    text(plot.left - 6, plot.top + (r + 0.5) * ch + 4, s, { 'text-anchor': 'end', 'font-size': TICK_FONT }),
  );
  parts.push(el('g', { class: 'y-ticks' }, rowLabels.join('')));
  const below = plot.top + plot.height;
  const columnLabels = xTicks.map((s, c) => {
    const x = plot.left + (c + 0.5) * cw;
    return slanted
      ? text(x, below + 14, s, {
          'text-anchor': 'end',
          'font-size': TICK_FONT,
          transform: `rotate(-30 ${px(x)} ${px(below + 14)})`,
        })
      : text(x, below + 16, s, { 'text-anchor': 'middle', 'font-size': TICK_FONT });
  });
  parts.push(el('g', { class: 'x-ticks' }, columnLabels.join('')));
  if (options.xLabel)
    parts.push(
      text(plot.left + plot.width / 2, height - 12, options.xLabel, {
        'text-anchor': 'middle',
        'font-size': 13,
      }),
    );
  if (options.yLabel) {
    const cy = plot.top + plot.height / 2;
    parts.push(
      text(18, cy, options.yLabel, {
        'text-anchor': 'middle',
        'font-size': 13,
        transform: `rotate(-90 18 ${px(cy)})`,
      }),
    );
  }
  parts.push(
    colourBar(
      scale,
      { x: plot.left + plot.width + 16, top: plot.top, height: plot.height },
      barTicks,
      fraction,
    ),
  );
  return svgDocument(width, height, parts);
}

/** The colour bar's gradient and the hatching that marks missing cells. */
function defs(scale: ColourScale): string {
  const stops = [0, 0.5, 1]
    .filter((f) => scale === 'diverging' || f !== 0.5)
    .map((f) => el('stop', { offset: f, 'stop-color': scaleColour(scale, f) }));
  const gradient = el(
    'linearGradient',
    { id: `heatmap-${scale}`, x1: 0, y1: 1, x2: 0, y2: 0 },
    stops.join(''),
  );
  const hatch = el(
    'pattern',
    { id: MISSING, width: 6, height: 6, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' },
    el('rect', { width: 6, height: 6, fill: 'white' }) +
      el('line', { x1: 0, y1: 0, x2: 0, y2: 6, stroke: '#bbb' }),
  );
  return el('defs', {}, gradient + hatch);
}

function colourBar(
  scale: ColourScale,
  at: { x: number; top: number; height: number },
  ticks: { t: number; label: string }[],
  fraction: (v: number) => number,
): string {
  const body = [
    el('rect', {
      x: at.x,
      y: at.top,
      width: BAR_WIDTH,
      height: at.height,
      fill: `url(#heatmap-${scale})`,
      stroke: '#333',
    }),
    ...ticks.map(({ t, label }) => {
      const y = at.top + at.height * (1 - fraction(t));
      return (
        el('line', { x1: at.x + BAR_WIDTH, x2: at.x + BAR_WIDTH + 4, y1: y, y2: y, stroke: '#333' }) +
        text(at.x + BAR_WIDTH + 6, y + 4, label, { 'font-size': TICK_FONT })
      );
    }),
  ];
  return el('g', { class: 'colour-bar' }, body.join(''));
}
