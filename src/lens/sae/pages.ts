// Feature pages: what one SAE feature is, in the three views the field uses (Neuronpedia, SAELens's
// dashboards): the contexts that excite it most, each token shaded by the feature's activation; the
// distribution of its non-zero activations; and the tokens its decoder direction promotes and suppresses
// when read straight through the unembedding (the direct effect on the logits, no final norm). One
// self-contained HTML file holds an index and a page per feature.
import type { LanguageModel } from '../../model/index.js';
import { escapeXml } from '../../plot/index.js';
import { type IntTensor, noGrad, Tensor } from '../../tensor/index.js';
import { type Tokenizer, tokenPiece } from '../../tokenizer/index.js';
import { runWithCache } from '../cache.js';
import type { SparseAutoencoder } from './sae.js';

export interface FeatureContext {
  /** The tokens around the peak, as text pieces, and the feature's activation on each. */
  tokens: string[];
  activations: number[];
  /** Index of the peak token in `tokens`. */
  peak: number;
}

export interface FeatureReport {
  feature: number;
  /** Share of tokens it fires on, and its largest activation. */
  frequency: number;
  max: number;
  contexts: FeatureContext[];
  /** Counts of non-zero activations in `bins` equal bins from 0 to `max`. */
  histogram: number[];
  promoted: { token: string; logit: number }[];
  suppressed: { token: string; logit: number }[];
}

export interface FeatureReportOptions {
  /** Which features (default: every one that fires, most frequent first). */
  features?: readonly number[];
  /** Contexts per feature (default 8), tokens either side of the peak (default 10), bins (default 20). */
  contexts?: number;
  around?: number;
  bins?: number;
  /** Tokens promoted and suppressed (default 8 each). */
  tokens?: number;
}

/** Reports for features of `sae` over `windows` ([B, T] token ids the model reads). */
export function featureReports(
  model: LanguageModel,
  tokenizer: Tokenizer,
  sae: SparseAutoencoder,
  windows: IntTensor,
  options: FeatureReportOptions = {},
): FeatureReport[] {
  const { contexts = 8, around = 10, bins = 20, tokens: nTokens = 8 } = options;
  const d = sae.cfg.d_sae;
  const [B, T] = windows.shape;
  const f = noGrad(() => {
    const { cache } = runWithCache(model, windows, { names: [sae.cfg.hook_name] });
    return sae.encode(cache.get(sae.cfg.hook_name));
  });
  const fires = new Float64Array(d);
  for (let i = 0; i < f.data.length; i++) if (f.data[i] > 0) fires[i % d]++;
  const chosen =
    options.features ??
    [...fires.keys()].filter((i) => fires[i] > 0).sort((a, b) => fires[b] - fires[a] || a - b);
  for (const i of chosen)
    if (!Number.isInteger(i) || i < 0 || i >= d)
      throw new Error(`featureReports: no feature ${i} (0..${d - 1})`);
  const pieces = Array.from(windows.data, (id) => tokenPiece(tokenizer, id));
  return chosen.map((feature) => {
    const acts = Array.from({ length: B * T }, (_, p) => f.data[p * d + feature]);
    const max = Math.max(0, ...acts);
    const peaks = [...acts.keys()]
      .filter((p) => acts[p] > 0)
      .sort((a, b) => acts[b] - acts[a] || a - b)
      .slice(0, contexts);
    const histogram = new Array(bins).fill(0);
    for (const a of acts) if (a > 0) histogram[Math.min(bins - 1, Math.floor((a / max) * bins))]++;
    const logits = noGrad(() =>
      model.unembed(
        new Tensor(sae.W_dec.data.slice(feature * sae.cfg.d_in, (feature + 1) * sae.cfg.d_in), [
          1,
          sae.cfg.d_in,
        ]),
      ),
    ).data;
    const order = [...logits.keys()]
      .filter((id) => id < tokenizer.vocabSize)
      .sort((a, b) => logits[b] - logits[a]);
    const entry = (id: number) => ({ token: tokenPiece(tokenizer, id), logit: logits[id] });
    return {
      feature,
      frequency: fires[feature] / (B * T),
      max,
      contexts: peaks.map((p) => {
        const row = Math.floor(p / T);
        const [from, to] = [Math.max(row * T, p - around), Math.min((row + 1) * T, p + around + 1)];
        return {
          tokens: pieces.slice(from, to),
          activations: acts.slice(from, to),
          peak: p - from,
        };
      }),
      histogram,
      promoted: order.slice(0, nTokens).map(entry),
      suppressed: order.slice(-nTokens).reverse().map(entry),
    };
  });
}

const html = (s: string) => escapeXml(s).replaceAll('\n', '⏎');

function contextHtml(c: FeatureContext, max: number): string {
  return c.tokens
    .map((t, i) => {
      const a = c.activations[i];
      const alpha = max > 0 ? (a / max).toFixed(2) : '0';
      const style = `background:rgba(230,120,40,${alpha})${i === c.peak ? ';outline:1px solid #a33' : ''}`;
      return `<span style="${style}" title="${a.toFixed(3)}">${html(t)}</span>`;
    })
    .join('');
}

function histogramSvg(counts: number[], max: number): string {
  const top = Math.max(1, ...counts);
  const w = 240 / counts.length;
  const bars = counts
    .map(
      (c, i) =>
        `<rect x="${(i * w).toFixed(1)}" y="${(60 - (c / top) * 60).toFixed(1)}" width="${(w - 1).toFixed(1)}" height="${((c / top) * 60).toFixed(1)}" fill="#e67828"/>`,
    )
    .join('');
  return `<svg width="240" height="76" viewBox="0 0 240 76" role="img"><title>activations 0 to ${max.toFixed(2)}</title>${bars}<text x="0" y="74" font-size="10">0</text><text x="240" y="74" font-size="10" text-anchor="end">${max.toFixed(2)}</text></svg>`;
}

const tokenList = (xs: { token: string; logit: number }[]) =>
  xs.map((x) => `<code>${html(x.token)}</code> ${x.logit.toFixed(2)}`).join(', ');

/** One self-contained HTML file: an index of the features, then a section per feature. */
export function featurePagesHtml(reports: readonly FeatureReport[], title: string): string {
  const index = reports
    .map(
      (r) =>
        `<tr><td><a href="#f${r.feature}">${r.feature}</a></td><td>${(100 * r.frequency).toFixed(2)}%</td><td>${r.max.toFixed(2)}</td><td>${tokenList(r.promoted.slice(0, 3))}</td></tr>`,
    )
    .join('\n');
  const pages = reports
    .map(
      (r) => `<section id="f${r.feature}">
<h2>Feature ${r.feature}</h2>
<p>fires on ${(100 * r.frequency).toFixed(2)}% of tokens; largest activation ${r.max.toFixed(3)}</p>
${histogramSvg(r.histogram, r.max)}
<p><b>promotes</b> ${tokenList(r.promoted)}</p>
<p><b>suppresses</b> ${tokenList(r.suppressed)}</p>
<ol class="contexts">${r.contexts.map((c) => `<li>${contextHtml(c, r.max)}</li>`).join('\n')}</ol>
</section>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${html(title)}</title>
<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}.contexts li{font-family:monospace;white-space:pre-wrap;margin:.3rem 0}table{border-collapse:collapse}td,th{padding:.1rem .6rem;text-align:left}section{border-top:1px solid #ccc;margin-top:1.5rem}</style>
</head><body>
<h1>${html(title)}</h1>
<table><tr><th>feature</th><th>fires</th><th>max</th><th>promotes</th></tr>
${index}
</table>
${pages}
</body></html>
`;
}
