// `jielong lens neurons`: feed-forward layers as key-value memories (each neuron's top prefixes and the
// tokens its value promotes, their agreement per layer), and one value vector edited to swap a fact.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../../io/index.js';
import { keyValueMemories, keyValuePagesHtml, valueEditRates } from '../../lens/index.js';
import { barChart } from '../../plot/index.js';
import { num, type Parsed, str } from '../args.js';
import { COMMON_USAGE, corpusWindows, type LensContext, picturePath, writePicture } from './common.js';

export const NEURONS_OPTIONS = {
  layers: { type: 'string' },
  neurons: { type: 'string' },
  keys: { type: 'string' },
  windows: { type: 'string' },
  edits: { type: 'string' },
  html: { type: 'string' },
} as const;

export const NEURONS_USAGE = `usage: jielong lens neurons [--layers LIST] [--neurons N] [--edits N] [--html FILE]

Reads each MLP neuron as a key-value memory (Geva et al.): its keys are the prefixes of the built-in
corpus that excite it most, its value the tokens its output vector promotes through the unembedding; the
agreement is the share of its top prefixes followed by its value's top token, per layer. Then swaps facts
the model knows by editing one value vector each, and reports the share of edits that changed the output
and the share that produced the intended answer. Writes a browsable HTML report and a bar chart of the
agreement by layer.

  --layers LIST      layers to read (default all)
  --neurons N        neurons per layer in the report, those that agree most (default 16)
  --keys N           top prefixes per neuron (default 10)
  --windows N        corpus windows of 64 tokens to read (default 32)
  --edits N          facts to edit one value vector for (default 100; 0 skips)
  --html FILE        the report (default out/lens/neurons.html)

${COMMON_USAGE}`;

export function neuronsTool(p: Parsed, ctx: LensContext): void {
  const nLayer = ctx.model.config.nLayer;
  const layers = str(p, 'layers')
    ? str(p, 'layers')!
        .split(',')
        .map((s) => {
          const l = Number(s);
          if (!Number.isInteger(l) || l < 0 || l >= nLayer)
            throw new Error(`--layers: "${s}" is not a layer (0..${nLayer - 1})`);
          return l;
        })
    : undefined;
  const perLayer = num(p, 'neurons', 16, { integer: true, min: 1 });
  const T = Math.min(64, ctx.model.config.blockSize);
  const windows = corpusWindows(ctx, num(p, 'windows', 32, { integer: true, min: 1 }), T, 0);
  const memories = keyValueMemories(ctx.model, ctx.tokenizer, windows, {
    layers,
    keys: num(p, 'keys', 10, { integer: true, min: 1 }),
  });
  const shown = memories.layers.flatMap((l) =>
    memories.neurons
      .filter((n) => n.layer === l.layer)
      .sort(
        (a, b) => b.agreement - a.agreement || (b.keys[0]?.coefficient ?? 0) - (a.keys[0]?.coefficient ?? 0),
      )
      .slice(0, perLayer),
  );
  const nEdits = num(p, 'edits', 100, { integer: true, min: 0 });
  const edits =
    nEdits > 0 ? valueEditRates(ctx.model, ctx.tokenizer, ctx.world.facts, { limit: nEdits }) : null;
  const htmlOut = str(p, 'html') ?? join('out', 'lens', 'neurons.html');
  mkdirSync(dirname(htmlOut), { recursive: true });
  writeFileAtomic(
    htmlOut,
    keyValuePagesHtml(`Key-value memories of ${ctx.dir}`, memories.layers, shown, edits),
  );
  const picture = writePicture(
    ctx,
    picturePath(p, 'neurons'),
    barChart({
      title: 'Feed-forward keys and values agree more in upper layers',
      yLabel: "share of top prefixes followed by the value's top token",
      groups: memories.layers.map((l) => `layer ${l.layer}`),
      series: [{ name: 'mean agreement', values: memories.layers.map((l) => l.agreement) }],
    }),
  );
  if (ctx.json) {
    console.log(
      JSON.stringify({
        layers: memories.layers,
        edits: edits && { edits: edits.edits, changed: edits.changed, intended: edits.intended },
        html: htmlOut,
        picture,
      }),
    );
    return;
  }
  console.log('layer  mean agreement  neurons agreeing at all');
  for (const l of memories.layers)
    console.log(
      `${String(l.layer).padStart(5)}  ${(100 * l.agreement).toFixed(1).padStart(13)}%  ${(100 * l.agreeingNeurons).toFixed(1).padStart(22)}%`,
    );
  if (edits)
    console.log(
      `one value vector edited per fact (${edits.edits} facts): output changed ${(100 * edits.changed).toFixed(1)}%, to the intended answer ${(100 * edits.intended).toFixed(1)}% (the lecture: 48%, 34%)`,
    );
  console.log(`report: ${htmlOut}\npicture: ${picture}`);
}
