// Multi-query associative recall (Zoology) for every mixer: a 2-layer model is trained on MQAR and its
// recall accuracy at the query positions is measured on fresh sequences, for widths 64 and 128 and
// sequence lengths 64/128/256 with seqLen/8 key-value pairs. The known ordering to look for: attention
// solves it, DeltaNet comes close, linear attention fails once the pairs outgrow its state.
// Writes out/bench/mqar.svg (grouped bars) and prints a table. Defaults (3,000 steps, lr 1e-3) give
// attention time to form its induction circuit; the whole grid takes hours on 2 cores: --quick runs
// width 64 and seq 64 only; --steps, --lr, --widths, --seqs, --mixers narrow it down further.
import { join } from 'node:path';
import { type MqarOptions, mqarBatch } from '../src/data/index.js';
import type { MixerKind } from '../src/model/index.js';
import { barChart, writeSvg } from '../src/plot/index.js';
import { crossEntropy, Generator, noGrad } from '../src/tensor/index.js';
import { clipGradNorm, cosineLr, DEFAULT_TRAIN_OPTIONS, makeOptimizer } from '../src/train/index.js';
import { mixersToRun, outputDir, smallModel } from './_mixers.js';
import { option, progress, type Row, report, row } from './_report.js';

const quick = process.argv.includes('--quick');
const widths = option('widths', quick ? '64' : '64,128')
  .split(',')
  .map(Number);
const seqs = option('seqs', quick ? '64' : '64,128,256')
  .split(',')
  .map(Number);
const steps = Number(option('steps', '3000'));
const batch = Number(option('batch', '32'));
const vocabSize = Number(option('vocab', '128'));
const lr = Number(option('lr', '1e-3'));

function recall(kind: MixerKind, width: number, task: MqarOptions): number {
  const model = smallModel(kind, { vocabSize, width, layers: 2, heads: 2, blockSize: task.seqLen });
  const opt = makeOptimizer(model, { ...DEFAULT_TRAIN_OPTIONS, lr, weightDecay: 0.1 });
  const g = new Generator(1);
  for (let step = 0; step < steps; step++) {
    for (const group of opt.paramGroups)
      group.lr = cosineLr(step, { lr, minLr: lr / 10, warmupIters: 20, decayIters: steps });
    const { x, y } = mqarBatch(batch, task, g);
    const logits = model.forward(x);
    crossEntropy(logits.reshape(-1, vocabSize), y.reshape(-1)).backward();
    clipGradNorm(model.parameters(), 1);
    opt.step();
    opt.zeroGrad();
  }
  // Accuracy on fresh sequences: argmax at every query position.
  const test = mqarBatch(64, task, new Generator(999));
  let right = 0;
  let total = 0;
  noGrad(() => {
    const logits = model.forward(test.x).data;
    test.y.data.forEach((want, i) => {
      if (want < 0) return;
      let best = 0;
      for (let v = 1; v < vocabSize; v++)
        if (logits[i * vocabSize + v] > logits[i * vocabSize + best]) best = v;
      total++;
      if (best === want) right++;
    });
  });
  return (100 * right) / total;
}

const mixers = mixersToRun();
const settings = widths.flatMap((w) =>
  seqs.map((t) => ({ width: w, task: { vocabSize, seqLen: t, pairs: t / 8 } })),
);
const rows: Row[] = [];
const values = new Map<MixerKind, number[]>();
for (const kind of mixers) {
  values.set(kind, []);
  for (const { width, task } of settings) {
    const start = performance.now();
    const acc = recall(kind, width, task);
    progress(
      `${kind} d${width} T${task.seqLen} pairs ${task.pairs}: recall ${acc.toFixed(1)}% (${((performance.now() - start) / 1000).toFixed(0)}s)`,
    );
    values.get(kind)!.push(acc);
    rows.push(
      row({
        bench: 'mqar',
        case: `${kind} d${width} T${task.seqLen} N${task.pairs}`,
        metric: 'recall %',
        ours: acc,
        peer: null,
        theirs: null,
      }),
    );
  }
}
report(rows);
const svg = barChart({
  title: `MQAR recall after ${steps} steps (2 layers, vocab ${vocabSize})`,
  yLabel: 'recall accuracy (%)',
  groups: settings.map((s) => `d${s.width} T${s.task.seqLen} N${s.task.pairs}`),
  series: mixers.map((k) => ({ name: k, values: values.get(k)! })),
});
const path = join(outputDir(), 'mqar.svg');
writeSvg(path, svg);
progress(`wrote ${path}`);
