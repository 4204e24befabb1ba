// `jielong plot DIR`: the loss curves of a training run (DIR/metrics.jsonl) as DIR/loss.svg (and a PNG
// when rsvg-convert or ImageMagick is installed).
import { join } from 'node:path';
import { lineChart, svgToPng, writeSvg } from '../plot/index.js';
import { readLog } from '../train/index.js';
import { parse, str } from './args.js';

const USAGE = `usage: jielong plot DIR [--out FILE.svg]

Draws train and validation loss against iteration from DIR/metrics.jsonl (written by jielong train).`;

export function plotCommand(args: string[]): void {
  const p = parse(args, { out: { type: 'string' } }, USAGE);
  if (!p) return;
  const dir = p.positionals[0];
  if (!dir) throw new Error(`plot: which run? give its folder\n\n${USAGE}`);
  const log = readLog(join(dir, 'metrics.jsonl'));
  const train = log.flatMap((e) => (e.type === 'train' ? [[e.iter, e.loss] as [number, number]] : []));
  const evalTrain = log.flatMap((e) =>
    e.type === 'eval' ? [[e.iter, e.trainLoss] as [number, number]] : [],
  );
  const evalVal = log.flatMap((e) => (e.type === 'eval' ? [[e.iter, e.valLoss] as [number, number]] : []));
  const svg = lineChart({
    title: `Loss of ${dir}`,
    xLabel: 'iteration',
    yLabel: 'cross-entropy (nats/token)',
    series: [
      { name: 'train (batch)', points: train },
      { name: 'train (eval)', points: evalTrain },
      { name: 'validation', points: evalVal },
    ],
  });
  const out = str(p, 'out') ?? join(dir, 'loss.svg');
  writeSvg(out, svg);
  const png = out.replace(/\.svg$/, '.png');
  console.log(svgToPng(svg, png) ? `wrote ${out} and ${png}` : `wrote ${out}`);
}
