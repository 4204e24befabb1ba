// Multi-query associative recall (Zoology, Arora et al. 2023), the lecture's contest between attention and
// its recurrent competitors. Every mixer gets a 2-layer model of width 64 with 2 heads, and every matrix
// memory the same size: 2048 floats per layer, keys of 32 dims per head (GLA and RetNet with expandK /
// expandV 1, Gated DeltaNet with expandV 1, Mamba's d_inner 128 x dState 16; the LSTM keeps h and c, 128).
// Linear attention, RetNet and GLA get short convolutions (convSize 4, as Zoology gives attention-free
// models; DeltaNet and Mamba have theirs built in): without one a sum-memory cannot bind a value to the
// key before it. Sequences are 4 tokens per pair (the pairs, then as many queries among as many slots).
//   1. Learning rates, Zoology style: each mixer at 8 pairs for every --lrs value; its best run counts.
//   2. Capacity: each mixer at its best rate for every --pairs count. Attention keeps every pair; a memory
//      with 32-dim keys per head holds about 32 before the keys can no longer be told apart.
// Every step sees 256 queries (32 sequences of 8 pairs, 4 of 64), so a longer sequence costs about the
// same per step. A cell stops once its training loss says solved: only the cells that fail pay for the
// full --steps (2000: attention at lr 1e-3 needs about 1,400 to form its induction circuit; 3e-4 learns
// nothing in that budget, hence the default rates). Cells run --jobs 2 at a time, one thread each.
// Writes out/bench/mqar-lr.svg and out/bench/mqar-capacity.svg. --quick: 4 mixers, 2 rates, 1000 steps,
// pairs 8 and 32. Options: --steps, --lrs, --pairs, --mixers, --conv (0: no short convolutions), --jobs.
import { join } from 'node:path';
import type { MixerKind } from '../src/model/index.js';
import { lineChart, writeSvg } from '../src/plot/index.js';
import { mixersToRun, outputDir } from './_mixers.js';
import { type Cell, type CellResult, runCells } from './_mqar.js';
import { option, progress, type Row, report, row } from './_report.js';

const quick = process.argv.includes('--quick');
const list = (name: string, fallback: string) => option(name, fallback).split(',').map(Number);
const lrs = list('lrs', quick ? '1e-3,3e-3' : '1e-3,3e-3,1e-2');
const pairsList = list('pairs', quick ? '8,32' : '4,8,16,32,64');
const steps = Number(option('steps', quick ? '1000' : '2000'));
const conv = Number(option('conv', '4'));
const jobs = Number(option('jobs', '2'));
const QUERIES = 256;
const SWEEP_PAIRS = 8;
const WIDTH = 64;
const HEADS = 2;

/** Settings that give every matrix memory 2 heads x 32 x 32 floats per layer at width 64. */
function settings(kind: MixerKind): Record<string, number> {
  const table: Partial<Record<MixerKind, Record<string, number>>> = {
    'linear-attention': { convSize: conv },
    retnet: { convSize: conv, expandV: 1 },
    gla: { convSize: conv, expandK: 1 },
    'gated-deltanet': { expandV: 1 },
  };
  return table[kind] ?? {};
}

function cell(kind: MixerKind, lr: number, pairs: number): Cell {
  // Keys and values from a vocabulary with room for 64 distinct keys.
  const task = { vocabSize: 160, seqLen: 4 * pairs, pairs };
  const batch = Math.max(1, Math.round(QUERIES / pairs));
  return { kind, width: WIDTH, heads: HEADS, mixerOptions: settings(kind), task, lr, steps, batch };
}

const rows: Row[] = [];
const finalLoss = (r: CellResult) => r.losses[r.losses.length - 1];
/** Trains the cells, printing each as it finishes and keeping its rows. */
async function train(cells: Cell[]): Promise<CellResult[]> {
  return runCells(cells, jobs, (i, r) => {
    const c = cells[i];
    const name = `${c.kind} N${c.task.pairs} T${c.task.seqLen} lr ${c.lr}`;
    progress(
      `${name}: recall ${r.recall.toFixed(1)}%, loss ${finalLoss(r).toFixed(3)} ` +
        `(${r.verdict} after ${r.stepsRun} steps, ${r.seconds.toFixed(0)}s; state ${r.stateFloats} floats)`,
    );
    const base = { bench: 'mqar', case: `${name} ${r.verdict}@${r.stepsRun}`, peer: null, theirs: null };
    rows.push(row({ ...base, metric: 'recall %', ours: r.recall }));
    rows.push(row({ ...base, metric: 'train loss', ours: finalLoss(r) }));
  });
}

const start = performance.now();
const mixers =
  quick && option('mixers', '') === ''
    ? (['attention', 'linear-attention', 'mamba', 'deltanet'] as MixerKind[])
    : mixersToRun();
const sweep = new Map<MixerKind, CellResult[]>();
const best = new Map<MixerKind, { lr: number; result: CellResult }>();
const capacity = new Map<MixerKind, [number, number][]>();
// One mixer at a time (its rates, then its capacity at the best one), so an interrupted run still has
// whole mixers to show.
for (const kind of mixers) {
  const results = await train(lrs.map((lr) => cell(kind, lr, SWEEP_PAIRS)));
  sweep.set(kind, results);
  // The best rate: highest recall, then lowest final loss (it separates runs that all solved or all failed).
  const runs = lrs.map((lr, i) => ({ lr, result: results[i] }));
  runs.sort((a, b) => b.result.recall - a.result.recall || finalLoss(a.result) - finalLoss(b.result));
  const { lr, result } = runs[0];
  best.set(kind, runs[0]);
  const more = pairsList.filter((p) => p !== SWEEP_PAIRS);
  const grown = await train(more.map((pairs) => cell(kind, lr, pairs)));
  capacity.set(
    kind,
    pairsList.map((p) => [p, p === SWEEP_PAIRS ? result.recall : grown[more.indexOf(p)].recall]),
  );
}

for (const kind of mixers) {
  const { lr, result } = best.get(kind)!;
  const base = { bench: 'mqar', peer: null, theirs: null, metric: 'recall %' };
  rows.push(row({ ...base, case: `${kind} best lr ${lr}, N${SWEEP_PAIRS}`, ours: result.recall }));
  for (const [pairs, recall] of capacity.get(kind)!)
    rows.push(row({ ...base, case: `${kind} capacity N${pairs} (lr ${lr})`, ours: recall }));
}
report(rows);

const dir = outputDir();
const shape = `2 layers, width ${WIDTH}, 2048-float memories, up to ${steps} steps of ${QUERIES} queries`;
writeSvg(
  join(dir, 'mqar-lr.svg'),
  lineChart({
    title: `MQAR recall at ${SWEEP_PAIRS} pairs by learning rate (${shape})`,
    xLabel: 'peak learning rate',
    yLabel: 'recall (%)',
    series: mixers.map((k) => ({
      name: k,
      points: lrs.map((lr, i) => [lr, sweep.get(k)![i].recall] as [number, number]),
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
    series: mixers.map((k) => ({ name: `${k} (lr ${best.get(k)!.lr})`, points: capacity.get(k)! })),
    logX: true,
  }),
);
progress(
  `wrote ${join(dir, 'mqar-lr.svg')} and ${join(dir, 'mqar-capacity.svg')} ` +
    `(${((performance.now() - start) / 60000).toFixed(1)} min)`,
);
