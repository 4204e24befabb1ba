// A causal trace drawn as ROME draws it: one heatmap per component, a row per layer and a column per
// token, the corrupted tokens starred.
import { heatmap } from '../plot/index.js';
import type { CausalTrace, TraceComponent } from './tracing.js';

const NAMES: Record<TraceComponent, string> = {
  resid: 'residual stream',
  mixer: 'mixer output',
  mlp: 'MLP output',
};

export interface TraceHeatmapOptions {
  /** One label per prompt token. */
  tokens: readonly string[];
  title: string;
  /** Which measure to draw (default the answer's probability). */
  metric?: 'prob' | 'logitDiff';
  /**
   * 'recovered' (default): the share of the clean metric restored, on a diverging scale around 0 that
   * spans at least [-1, 1]. 'patched': the metric itself, on a sequential scale.
   */
  show?: 'recovered' | 'patched';
  width?: number;
  height?: number;
}

/** One SVG document per traced component. */
export function traceHeatmap<C extends TraceComponent>(
  trace: CausalTrace<C>,
  options: TraceHeatmapOptions,
): Record<C, string> {
  const { tokens, metric = 'prob', show = 'recovered' } = options;
  if (tokens.length !== trace.positions)
    throw new Error(
      `traceHeatmap: ${tokens.length} token labels for a trace over ${trace.positions} positions`,
    );
  const m = trace[metric];
  if (!m) throw new Error('traceHeatmap: this trace has no logit difference (trace with a foil)');
  const xTicks = tokens.map((t, p) => (trace.corrupted.includes(p) ? `${t}*` : t));
  const measure = metric === 'prob' ? 'p(answer)' : 'logit difference';
  const out = {} as Record<C, string>;
  for (const c of trace.components) {
    const values = m.grids[c][show];
    let extent = 1;
    for (const row of values)
      for (const v of row) if (Number.isFinite(v)) extent = Math.max(extent, Math.abs(v));
    out[c] = heatmap({
      title: `${options.title}: ${NAMES[c]}, ${show === 'recovered' ? `share of ${measure} recovered` : measure}`,
      xLabel: trace.corrupted.length ? 'token (* corrupted)' : 'token',
      yLabel: 'layer',
      xTicks,
      yTicks: values.map((_, l) => String(l)),
      values,
      ...(show === 'recovered' ? { colourScale: 'diverging', min: -extent, max: extent } : {}),
      width: options.width,
      height: options.height,
    });
  }
  return out;
}
