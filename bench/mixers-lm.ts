// Every mixer as a language model on the same text at (about) the same parameter count: validation loss
// against training compute, in one plot (a small-scale version of the Mamba paper's scaling figure).
// Width is chosen per mixer so that non-embedding parameters come closest to the attention model's.
// Compute is estimated as 6 * N * D (N non-embedding parameters, D tokens seen), plus attention's
// 6 * L * T * d per token for the score and value products. Writes out/bench/mixers-lm.svg.
// --conv N gives linear attention, RetNet and GLA short convolutions of N taps (fla's use_short_conv; off by
// default, as in fla): linear attention's memory is a sum blind to token order, and the conv restores it.
// Options: --data FILE (default the built-in corpus), --iters 600, --mixers, --layers 4, --width 128, --conv 0.
import { join } from 'node:path';
import { generateCorpus, generateWorld, readTextFile, trainValSplit } from '../src/data/index.js';
import type { MixerKind } from '../src/mixers/index.js';
import type { LanguageModel } from '../src/model/index.js';
import { lineChart, writeSvg } from '../src/plot/index.js';
import { CharTokenizer } from '../src/tokenizer/index.js';
import { DEFAULT_TRAIN_OPTIONS, train } from '../src/train/index.js';
import { mixersToRun, outputDir, smallModel } from './_mixers.js';
import { option, progress, type Row, report, row } from './_report.js';

const dataPath = option('data', '');
const text = dataPath ? readTextFile(dataPath) : generateCorpus(generateWorld(1)).text;
const tokenizer = CharTokenizer.fromText(text);
const { train: trainIds, val } = trainValSplit(Uint16Array.from(tokenizer.encode(text)), 0.1);
const iters = Number(option('iters', '600'));
const layers = Number(option('layers', '4'));
const baseWidth = Number(option('width', '128'));
const heads = 4;
const blockSize = 128;
const batch = 16;
const conv = Number(option('conv', '0'));
const SHORT_CONV_KINDS: MixerKind[] = ['linear-attention', 'retnet', 'gla'];

const nonEmbedding = (m: LanguageModel) =>
  m.numParameters() - m.transformer.wte.weight.numel() - (m.lm_head ? m.lm_head.weight.numel() : 0);
const build = (kind: MixerKind, width: number) =>
  smallModel(kind, {
    vocabSize: tokenizer.vocabSize,
    width,
    layers,
    heads,
    blockSize,
    mixerOptions: SHORT_CONV_KINDS.includes(kind) ? { [kind]: { convSize: conv } } : {},
  });

/** The width (a multiple of 16, so heads stay even) whose model has the parameter count nearest the target. */
function matchedWidth(kind: MixerKind, target: number): number {
  let best = baseWidth;
  let bestGap = Number.POSITIVE_INFINITY;
  for (let w = 32; w <= 2 * baseWidth; w += 16) {
    const gap = Math.abs(nonEmbedding(build(kind, w)) - target);
    if (gap < bestGap) [best, bestGap] = [w, gap];
  }
  return best;
}

const target = nonEmbedding(build('attention', baseWidth));
const rows: Row[] = [];
const series: { name: string; points: [number, number][] }[] = [];
for (const kind of mixersToRun()) {
  const width = matchedWidth(kind, target);
  const model = build(kind, width);
  const n = nonEmbedding(model);
  const perToken = 6 * n + (kind === 'attention' ? 6 * layers * blockSize * width : 0);
  const points: [number, number][] = [];
  const start = performance.now();
  await train({
    model,
    tokenizer,
    train: trainIds,
    val,
    options: {
      ...DEFAULT_TRAIN_OPTIONS,
      maxIters: iters,
      batchSize: batch,
      blockSize,
      evalInterval: Math.max(1, Math.floor(iters / 6)),
      evalIters: 10,
    },
    onLog: (e) => {
      if (e.type === 'eval') points.push([perToken * e.iter * batch * blockSize, e.valLoss]);
    },
  });
  const seconds = (performance.now() - start) / 1000;
  const [flops, last] = points[points.length - 1];
  progress(
    `${kind}: width ${width}, ${n} non-embedding parameters, val loss ${last.toFixed(3)} after ` +
      `${flops.toExponential(2)} FLOPs in ${seconds.toFixed(0)}s (val loss at each eval: ` +
      `${points.map((p) => p[1].toFixed(2)).join(' ')})`,
  );
  series.push({ name: `${kind} (d${width})`, points });
  rows.push(
    row({
      bench: 'mixers-lm',
      case: `${kind} d${width} N${n}`,
      metric: 'val loss',
      ours: last,
      peer: null,
      theirs: null,
    }),
  );
  rows.push(
    row({
      bench: 'mixers-lm',
      case: `${kind} d${width} N${n}`,
      metric: 'train TFLOP',
      ours: flops / 1e12,
      peer: null,
      theirs: null,
    }),
  );
  rows.push(
    row({
      bench: 'mixers-lm',
      case: `${kind} d${width} N${n}`,
      metric: 'train s',
      ours: seconds,
      peer: null,
      theirs: null,
    }),
  );
}
report(rows);
const path = join(outputDir(), 'mixers-lm.svg');
writeSvg(
  path,
  lineChart({
    title: `Validation loss vs training compute (${layers} layers, ~${(target / 1e6).toFixed(2)}M parameters)`,
    xLabel: 'training FLOPs (estimated)',
    yLabel: 'validation loss (nats/char)',
    series,
    logX: true,
  }),
);
progress(`wrote ${path}`);
