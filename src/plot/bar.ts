// Grouped bar charts (e.g. recall accuracy per mixer, one group per setting), bars measured from zero.
import { frame, yAt } from './frame.js';
import { el, escapeXml, seriesStyle, svgDocument, text, textWidth } from './svg.js';
import { linearAxis } from './ticks.js';

export interface BarSeries {
  name: string;
  /** One value per group; NaN or infinite values leave a gap. */
  values: readonly number[];
}

export interface BarChartOptions {
  title: string;
  yLabel: string;
  groups: readonly string[];
  series: readonly BarSeries[];
  width?: number;
  height?: number;
}

const GROUP_FONT = 12;

/** An SVG document with one cluster of bars per group, one bar (and colour) per series. */
export function barChart(options: BarChartOptions): string {
  const { groups, series, width = 720, height = 440 } = options;
  if (groups.length === 0) throw new RangeError('barChart: no groups to draw');
  let [min, max] = [0, 0];
  for (const s of series) {
    if (s.values.length !== groups.length)
      throw new RangeError(
        `barChart: series '${s.name}' has ${s.values.length} values for ${groups.length} groups`,
      );
    for (const v of s.values) if (Number.isFinite(v)) [min, max] = [Math.min(min, v), Math.max(max, v)];
  }
  const y = linearAxis(min, max);
  // Labels wider than their slot are slanted; the slot is estimated before the margins are known.
  const labelWidth = Math.max(...groups.map((g) => textWidth(g, GROUP_FONT)));
  const slotGuess = (width - 200) / groups.length;
  const slanted = labelWidth > slotGuess - 6;
  const { plot, parts } = frame({
    width,
    height,
    title: options.title,
    yLabel: options.yLabel,
    y,
    legend: series.map((s) => s.name),
    swatch: 'box',
    xTickRoom: slanted ? Math.min(labelWidth * 0.5 + 24, height / 3) : 22,
    // The first slanted label reaches left of its slot by its run (cos 30 of its width).
    minLeft: slanted ? textWidth(groups[0], GROUP_FONT) * 0.87 - slotGuess / 2 + 8 : 0,
  });
  const slot = plot.width / groups.length;
  const barWidth = (slot * 0.8) / Math.max(1, series.length);
  const zero = yAt(plot, y, 0);
  const bottom = plot.top + plot.height;
  const bars: string[] = [];
  series.forEach((s, i) => {
    const { colour } = seriesStyle(i);
    s.values.forEach((v, g) => {
      if (!Number.isFinite(v)) return;
      const top = yAt(plot, y, v);
      const tip = el('title', {}, escapeXml(`${s.name} / ${groups[g]}: ${v}`));
      bars.push(
        el(
          'rect',
          {
            x: plot.left + g * slot + slot * 0.1 + i * barWidth,
            y: Math.min(top, zero),
            width: barWidth,
            height: Math.abs(zero - top),
            fill: colour,
          },
          tip,
        ),
      );
    });
  });
  const labels = groups.map((g, k) => {
    const x = plot.left + (k + 0.5) * slot;
    return slanted
      ? text(x, bottom + 14, g, {
          'text-anchor': 'end',
          'font-size': GROUP_FONT,
          transform: `rotate(-30 ${x} ${bottom + 14})`,
        })
      : text(x, bottom + 17, g, { 'text-anchor': 'middle', 'font-size': GROUP_FONT });
  });
  parts.push(el('g', { class: 'bars' }, bars.join('')));
  parts.push(el('line', { x1: plot.left, x2: plot.left + plot.width, y1: zero, y2: zero, stroke: '#333' }));
  parts.push(el('g', { class: 'groups' }, labels.join('')));
  return svgDocument(width, height, parts);
}
