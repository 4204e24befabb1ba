// Multi-query associative recall (Zoology, Arora et al. 2023), the lecture's contest between attention and
// its recurrent competitors. Every mixer gets a 2-layer model of width 64 with 2 heads, and every matrix
// memory the same size: 2048 floats per layer, keys of 32 dims per head (GLA and RetNet with expandK /
// expandV 1, Gated DeltaNet with expandV 1, Mamba's d_inner 128 x dState 16; the LSTM keeps h and c, 128).
// Linear attention, RetNet and GLA get short convolutions (convSize 4, as Zoology gives attention-free
// models; DeltaNet and Mamba have theirs built in): without one a sum-memory cannot bind a value to the
// key before it. Sequences are 4 tokens per pair (the pairs, then as many queries among as many slots).
// Each run trains on all --pairs counts in turn (Zoology's mixed training) and is tested on each, so one
// run per mixer and rate gives both:
//   1. the learning-rate sweep, Zoology style: every --lrs value, the best (mean recall) kept;
//   2. capacity: the best run's recall against the number of pairs. Attention keeps every pair; a memory
//      with 32-dim keys per head holds about 32 before the keys can no longer be told apart.
// Every step sees 256 queries (32 sequences of 8 pairs, 4 of 64), so a longer sequence costs about the
// same per step. A run stops once its training loss says everything is solved; otherwise it takes
// --steps (3000: attention at lr 1e-3 forms its induction circuit after about 1,400 steps, and a shorter
// cosine schedule decays the rate before it does). Runs go --jobs 2 at a time, one thread each.
// Writes out/bench/mqar-lr.svg and out/bench/mqar-capacity.svg. --quick: attention, linear attention,
// DeltaNet and Mamba at lr 1e-3, pairs 8 and 32.
// Options: --steps, --lrs, --pairs, --mixers, --conv (0: no short convolutions), --jobs.
import { join } from 'node:path';
import type { MixerKind, MixerSettingsByKind } from '../src/mixers/index.js';
import { lineChart, writeSvg } from '../src/plot/index.js';
import { mixersToRun, outputDir } from './_mixers.js';
import { type Cell, type CellResult, runCells } from './_mqar.js';
import { option, progress, type Row, report, row } from './_report.js';

const quick = process.argv.includes('--quick');
const list = (name: string, fallback: string) => option(name, fallback).split(',').map(Number);
const lrs = list('lrs', quick ? '1e-3' : '3e-4,1e-3,3e-3,1e-2');
const pairsList = list('pairs', quick ? '8,32' : '4,8,16,32,64');
const steps = Number(option('steps', '3000'));
const conv = Number(option('conv', '4'));
const jobs = Number(option('jobs', '2'));
const WIDTH = 64;
const HEADS = 2;

/** Settings that give every matrix memory 2 heads x 32 x 32 floats per layer at width 64. */
function settings(kind: MixerKind): MixerSettingsByKind {
  const table: MixerSettingsByKind = {
    'linear-attention': { convSize: conv },
    retnet: { convSize: conv, expandV: 1 },
    gla: { convSize: conv, expandK: 1 },
    'gated-deltanet': { expandV: 1 },
  };
  return table[kind] ? { [kind]: table[kind] } : {};
}

const mixers =
  quick && option('mixers', '') === ''
    ? (['attention', 'linear-attention', 'mamba', 'deltanet'] as MixerKind[])
    : mixersToRun();
// Keys and values from a vocabulary with room for 64 distinct keys.
const tasks = pairsList.map((pairs) => ({ vocabSize: 160, seqLen: 4 * pairs, pairs }));
const grid = mixers.flatMap((kind) => lrs.map((lr) => ({ kind, lr })));
const cells: Cell[] = grid.map(({ kind, lr }) => ({
  kind,
  width: WIDTH,
  heads: HEADS,
  mixerOptions: settings(kind),
  tasks,
  queries: 256,
  lr,
  steps,
}));

const rows: Row[] = [];
const finalLoss = (r: CellResult) => r.losses[r.losses.length - 1];
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const start = performance.now();
const results = await runCells(cells, jobs, (i, r) => {
  const { kind, lr } = grid[i];
  const at = pairsList.map((p, j) => `${p}: ${r.recall[j].toFixed(1)}%`).join(', ');
  progress(
    `${kind} lr ${lr}: recall at ${at}; loss ${finalLoss(r).toFixed(3)} (${r.verdict} after ` +
      `${r.stepsRun} steps, ${r.seconds.toFixed(0)}s; state ${r.stateFloats} floats)`,
  );
  const base = { bench: 'mqar', peer: null, theirs: null };
  const name = `${kind} lr ${lr} ${r.verdict}@${r.stepsRun}`;
  rows.push(row({ ...base, case: name, metric: 'train loss', ours: finalLoss(r) }));
  pairsList.forEach((p, j) => {
    rows.push(row({ ...base, case: `${name} N${p}`, metric: 'recall %', ours: r.recall[j] }));
  });
});

// The best rate: highest mean recall, then lowest final loss (it separates runs that all solved or failed).
const best = new Map(
  mixers.map((kind) => {
    const runs = grid.map((g, i) => ({ ...g, result: results[i] })).filter((g) => g.kind === kind);
    runs.sort(
      (a, b) => mean(b.result.recall) - mean(a.result.recall) || finalLoss(a.result) - finalLoss(b.result),
    );
    return [kind, runs[0]] as const;
  }),
);
for (const kind of mixers) {
  const { lr, result } = best.get(kind)!;
  pairsList.forEach((p, j) => {
    rows.push(
      row({
        bench: 'mqar',
        case: `${kind} best (lr ${lr}) N${p}`,
        metric: 'recall %',
        ours: result.recall[j],
        peer: null,
        theirs: null,
      }),
    );
  });
}
report(rows);

const dir = outputDir();
const shape = `2 layers, width ${WIDTH}, 2048-float memories, up to ${steps} steps`;
writeSvg(
  join(dir, 'mqar-lr.svg'),
  lineChart({
    title: `MQAR mean recall over ${pairsList.join('/')} pairs by learning rate (${shape})`,
    xLabel: 'peak learning rate',
    yLabel: 'mean recall (%)',
    series: mixers.map((k) => ({
      name: k,
      points: grid.flatMap((g, i) =>
        g.kind === k ? [[g.lr, mean(results[i].recall)] as [number, number]] : [],
      ),
    })),
    logX: true,
  }),
);
writeSvg(
  join(dir, 'mqar-capacity.svg'),
  lineChart({
    title: `MQAR recall by number of key-value pairs, each mixer at its best rate (${shape})`,
    xLabel: 'key-value pairs (sequence length 4x)',
    yLabel: 'recall (%)',
    series: mixers.map((k) => {
      const { lr, result } = best.get(k)!;
      return {
        name: `${k} (lr ${lr})`,
        points: pairsList.map((p, j) => [p, result.recall[j]] as [number, number]),
      };
    }),
    logX: true,
  }),
);
progress(
  `wrote ${join(dir, 'mqar-lr.svg')} and ${join(dir, 'mqar-capacity.svg')} ` +
    `(${((performance.now() - start) / 60000).toFixed(1)} min)`,
);
