// The key-value memory report: one self-contained HTML file with each layer's agreement (the share of a
// neuron's top prefixes followed by its value's top token), then per layer the neurons that agree most,
// each with its keys (prefixes, the trigger token outlined, the token that followed) and what its value
// promotes; and the value-edit figures with every edit's row.
import { escapeXml } from '../plot/index.js';
import type { LayerMemory, NeuronMemory, ValueEditRates } from './kv-memory.js';

const html = (s: string) => escapeXml(s).replaceAll('\n', '⏎');
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function neuronHtml(n: NeuronMemory): string {
  const top = n.promotes[0]?.token;
  const keys = n.keys
    .map((k) => {
      const prefix = k.prefix
        .map((t, i) => (i === k.prefix.length - 1 ? `<b>${html(t)}</b>` : html(t)))
        .join('');
      const next = `<span class="${k.next === top ? 'hit' : 'miss'}">${html(k.next)}</span>`;
      return `<li><code>${prefix}</code> → <code>${next}</code> <small>${k.coefficient.toFixed(2)}</small></li>`;
    })
    .join('');
  const promotes = n.promotes.map((p) => `<code>${html(p.token)}</code> ${p.logit.toFixed(2)}`).join(', ');
  return `<section id="l${n.layer}n${n.neuron}"><h3>layer ${n.layer}, neuron ${n.neuron}: agreement ${pct(n.agreement)}</h3>
<p><b>value promotes</b> ${promotes}</p><ol>${keys}</ol></section>`;
}

export function keyValuePagesHtml(
  title: string,
  layers: readonly LayerMemory[],
  neurons: readonly NeuronMemory[],
  edits: ValueEditRates | null,
): string {
  const summary = layers
    .map(
      (l) =>
        `<tr><td><a href="#layer${l.layer}">${l.layer}</a></td><td>${pct(l.agreement)}</td><td>${pct(l.agreeingNeurons)}</td></tr>`,
    )
    .join('\n');
  const sections = layers
    .map((l) => {
      const mine = neurons.filter((n) => n.layer === l.layer);
      return `<h2 id="layer${l.layer}">Layer ${l.layer}</h2>\n${mine.map(neuronHtml).join('\n')}`;
    })
    .join('\n');
  const editPart = edits
    ? `<h2>Editing one value vector</h2>
<p>${edits.edits} facts the model knows, each swapped for another object of its relation by reflecting one
value vector: the output changed in ${pct(edits.changed)} of edits, to the intended answer in ${pct(edits.intended)}
(the lecture quotes 48% and 34%).</p>
<table><tr><th>prompt</th><th>old</th><th>new</th><th>neuron</th><th>top after</th></tr>
${edits.rows.map((r) => `<tr><td>${html(r.prompt)}</td><td><code>${html(r.old)}</code></td><td><code>${html(r.new)}</code></td><td>${r.layer}.${r.neuron}</td><td><code>${html(r.top)}</code></td></tr>`).join('\n')}
</table>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${html(title)}</title>
<style>body{font-family:sans-serif;max-width:62rem;margin:2rem auto;padding:0 1rem}code{white-space:pre}
table{border-collapse:collapse}td,th{padding:.1rem .6rem;text-align:left}section{border-top:1px solid #ddd}
.hit{background:#bfe3bf}.miss{background:#eee}b{outline:1px solid #a33}</style>
</head><body>
<h1>${html(title)}</h1>
<p>A feed-forward layer is a key-value memory (Geva et al.): each neuron's key matches prefixes, its value
writes tokens. Agreement: the share of a neuron's top prefixes whose next token is its value's top token.</p>
<table><tr><th>layer</th><th>mean agreement</th><th>neurons agreeing at all</th></tr>
${summary}
</table>
${editPart}
${sections}
</body></html>
`;
}
