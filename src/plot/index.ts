// Charts as SVG documents: line charts for curves, grouped bars for benchmark tables, heatmaps for grids,
// boxes and links for graphs.
export { type BarChartOptions, type BarSeries, barChart } from './bar.js';
export { type GraphBox, type GraphLink, type GraphOptions, graphSvg } from './graph.js';
export { type ColourScale, type HeatmapOptions, heatmap } from './heatmap.js';
export { type LineChartOptions, type LineSeries, lineChart } from './line.js';
export { escapeXml } from './svg.js';
export { type Axis, formatTick, linearAxis, logAxis } from './ticks.js';
export { svgToPng, writeSvg } from './write.js';
