// What line and bar charts share: margins sized to their labels, title, axis labels, the y axis with
// gridlines, and the legend on the right.
import { el, seriesStyle, text, textWidth } from './svg.js';
import { type Axis, axisFraction } from './ticks.js';

export interface Rect {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface FrameSpec {
  width: number;
  height: number;
  title: string;
  xLabel?: string;
  yLabel?: string;
  /** A numeric x axis, drawn with gridlines; bar charts label their groups themselves. */
  x?: Axis;
  y: Axis;
  /** Series names, in colour order. */
  legend: string[];
  /** How legend entries are drawn: a line sample or a filled box. */
  swatch: 'line' | 'box';
  /** Height below the plot taken by x tick labels. */
  xTickRoom: number;
  /** Room slanted x labels need left of the plot. */
  minLeft?: number;
}

const TICK_FONT = 11;
const LEGEND_FONT = 12;
const LEGEND_ROW = 18;

function check(name: string, v: number, min: number): void {
  if (!(Number.isFinite(v) && v >= min))
    throw new RangeError(`plot: ${name} must be a number >= ${min}, got ${v}`);
}

/** The plot area left once labels and legend have their room, and the SVG for the frame around it. */
export function frame(spec: FrameSpec): { plot: Rect; parts: string[] } {
  check('width', spec.width, 100);
  check('height', spec.height, 80);
  const legendWidth = spec.legend.length
    ? 38 + Math.max(...spec.legend.map((s) => textWidth(s, LEGEND_FONT)))
    : 0;
  const left = Math.max(
    spec.minLeft ?? 0,
    10 + (spec.yLabel ? 22 : 0) + Math.max(...spec.y.labels.map((s) => textWidth(s, TICK_FONT))) + 8,
  );
  const top = spec.title ? 40 : 14;
  const right = legendWidth + 18;
  const bottom = spec.xTickRoom + (spec.xLabel ? 24 : 0) + 10;
  const plot = { left, top, width: spec.width - left - right, height: spec.height - top - bottom };
  if (plot.width < 20 || plot.height < 20)
    throw new RangeError(
      `plot: ${spec.width}x${spec.height} leaves no room to plot after labels and legend; make the chart larger`,
    );
  const parts: string[] = [];
  if (spec.title)
    parts.push(
      text(spec.width / 2, 24, spec.title, {
        'text-anchor': 'middle',
        'font-size': 16,
        'font-weight': 'bold',
      }),
    );
  if (spec.xLabel)
    parts.push(
      text(plot.left + plot.width / 2, spec.height - 12, spec.xLabel, {
        'text-anchor': 'middle',
        'font-size': 13,
      }),
    );
  if (spec.yLabel) {
    const cx = 18;
    const cy = plot.top + plot.height / 2;
    parts.push(
      text(cx, cy, spec.yLabel, {
        'text-anchor': 'middle',
        'font-size': 13,
        transform: `rotate(-90 ${cx} ${cy})`,
      }),
    );
  }
  parts.push(yAxis(plot, spec.y));
  if (spec.x) parts.push(xAxis(plot, spec.x));
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
  if (spec.legend.length) parts.push(legend(plot, spec.legend, spec.swatch));
  return { plot, parts };
}

/** Vertical position of y on the plot (SVG y grows downwards). */
export function yAt(plot: Rect, axis: Axis, v: number): number {
  return plot.top + plot.height * (1 - axisFraction(axis, v));
}

/** Horizontal position of x on the plot. */
export function xAt(plot: Rect, axis: Axis, v: number): number {
  return plot.left + plot.width * axisFraction(axis, v);
}

function yAxis(plot: Rect, axis: Axis): string {
  const lines = axis.ticks.map((t, i) => {
    const y = yAt(plot, axis, t);
    return (
      el('line', { x1: plot.left, x2: plot.left + plot.width, y1: y, y2: y, stroke: '#e3e3e3' }) +
      el('line', { x1: plot.left - 4, x2: plot.left, y1: y, y2: y, stroke: '#333' }) +
      text(plot.left - 7, y + 4, axis.labels[i], { 'text-anchor': 'end', 'font-size': TICK_FONT })
    );
  });
  return el('g', { class: 'y-axis' }, lines.join(''));
}

function xAxis(plot: Rect, axis: Axis): string {
  const bottom = plot.top + plot.height;
  const lines = axis.ticks.map((t, i) => {
    const x = xAt(plot, axis, t);
    return (
      el('line', { x1: x, x2: x, y1: plot.top, y2: bottom, stroke: '#e3e3e3' }) +
      el('line', { x1: x, x2: x, y1: bottom, y2: bottom + 4, stroke: '#333' }) +
      text(x, bottom + 17, axis.labels[i], { 'text-anchor': 'middle', 'font-size': TICK_FONT })
    );
  });
  return el('g', { class: 'x-axis' }, lines.join(''));
}

function legend(plot: Rect, names: string[], swatch: 'line' | 'box'): string {
  const x = plot.left + plot.width + 14;
  const rows = names.map((name, i) => {
    const y = plot.top + 10 + i * LEGEND_ROW;
    const { colour, dash } = seriesStyle(i);
    const sample =
      swatch === 'line'
        ? el('line', {
            x1: x,
            x2: x + 22,
            y1: y,
            y2: y,
            stroke: colour,
            'stroke-width': 2.5,
            'stroke-dasharray': dash,
          })
        : el('rect', { x: x + 5, y: y - 6, width: 12, height: 12, fill: colour });
    return sample + text(x + 28, y + 4, name, { 'font-size': LEGEND_FONT });
  });
  return el('g', { class: 'legend' }, rows.join(''));
}
