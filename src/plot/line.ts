// Line charts (loss curves, scaling results): one path per series, broken where points are unusable.
import { frame, xAt, yAt } from './frame.js';
import { el, px, seriesStyle, svgDocument } from './svg.js';
import { type Axis, linearAxis, logAxis } from './ticks.js';

export interface LineSeries {
  name: string;
  points: readonly (readonly [number, number])[];
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly LineSeries[];
  logX?: boolean;
  logY?: boolean;
  width?: number;
  height?: number;
}

/** Series this short get a marker on every point, so sparse results (a few benchmark sizes) are visible. */
const MARK_ALL_BELOW = 30;

/**
 * An SVG document charting each series as a line. Points with NaN or infinite coordinates, or with a
 * coordinate <= 0 on a log axis, are skipped, and the line breaks there; isolated points get a marker.
 */
export function lineChart(options: LineChartOptions): string {
  const { logX = false, logY = false, width = 720, height = 440 } = options;
  const usable = ([u, v]: readonly [number, number]): boolean =>
    Number.isFinite(u) && Number.isFinite(v) && (!logX || u > 0) && (!logY || v > 0);
  const runs = options.series.map((s, i) => {
    if (!Array.isArray(s.points))
      throw new TypeError(`lineChart: series ${i} (${s.name}) has no points array`);
    return splitRuns(s.points, usable);
  });
  const all = runs.flat(2);
  const axisOf = (k: 0 | 1, log: boolean, pad: number): Axis => {
    // A loop, not Math.min(...): long training curves would overflow the argument stack.
    let [min, max] = [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
    for (const p of all) [min, max] = [Math.min(min, p[k]), Math.max(max, p[k])];
    if (log) return logAxis(min, max);
    // Room so a line does not hide in the border, without crossing zero (a loss axis should not go negative).
    const room = pad * (max - min);
    return linearAxis(
      min >= 0 ? Math.max(0, min - room) : min - room,
      max <= 0 ? Math.min(0, max + room) : max + room,
    );
  };
  // x starts and ends at the data (step 0 to the last step); y gets a little room.
  const x = axisOf(0, logX, 0);
  const y = axisOf(1, logY, 0.03);
  const { plot, parts } = frame({
    width,
    height,
    title: options.title,
    xLabel: options.xLabel,
    yLabel: options.yLabel,
    x,
    y,
    legend: options.series.map((s) => s.name),
    swatch: 'line',
    xTickRoom: 22,
  });
  runs.forEach((seriesRuns, i) => {
    const { colour, dash } = seriesStyle(i);
    const at = ([u, v]: readonly [number, number]): [number, number] => [xAt(plot, x, u), yAt(plot, y, v)];
    const d = seriesRuns
      .filter((run) => run.length > 1)
      .map((run) =>
        run
          .map(at)
          .map(([u, v], k) => `${k === 0 ? 'M' : 'L'}${px(u)} ${px(v)}`)
          .join(''),
      )
      .join('');
    const count = seriesRuns.reduce((n, run) => n + run.length, 0);
    const marked = seriesRuns.filter((run) => run.length === 1 || count < MARK_ALL_BELOW).flat();
    const marks = marked.map((p) => {
      const [cx, cy] = at(p);
      return el('circle', { cx, cy, r: 3, fill: colour });
    });
    const path = d
      ? el('path', {
          d,
          fill: 'none',
          stroke: colour,
          'stroke-width': 2,
          'stroke-dasharray': dash,
          'stroke-linejoin': 'round',
        })
      : '';
    parts.push(el('g', { class: 'series' }, path + marks.join('')));
  });
  return svgDocument(width, height, parts);
}

/** Consecutive usable points, split wherever one is not. */
function splitRuns<P>(points: readonly P[], usable: (p: P) => boolean): P[][] {
  const runs: P[][] = [[]];
  for (const p of points) {
    if (usable(p)) runs[runs.length - 1].push(p);
    else if (runs[runs.length - 1].length > 0) runs.push([]);
  }
  return runs.filter((run) => run.length > 0);
}
