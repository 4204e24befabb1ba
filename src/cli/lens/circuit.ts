// `jielong lens circuit`: the circuit behind one relation's fact recall, by edge pruning, with ACDC's greedy
// search as the baseline on the same task; the curve of faithfulness against what is kept, and the found
// circuit as a picture.

import { RELATIONS, type Relation } from '../../data/index.js';
import {
  acdcCurve,
  type CircuitScore,
  CircuitScorer,
  circuitAblation,
  circuitGraph,
  circuitSvg,
  factRecallTask,
  MASK_KINDS,
  type MaskKind,
  pruningCurve,
} from '../../lens/index.js';
import { lineChart } from '../../plot/index.js';
import { num, oneOf, type Parsed, str } from '../args.js';
import { COMMON_USAGE, corpusWindows, type LensContext, picturePath, writePicture } from './common.js';

export const CIRCUIT_OPTIONS = {
  relation: { type: 'string' },
  lambdas: { type: 'string' },
  thresholds: { type: 'string' },
  kinds: { type: 'string' },
  ablation: { type: 'string' },
  steps: { type: 'string' },
  seed: { type: 'string' },
} as const;

export const CIRCUIT_USAGE = `usage: jielong lens circuit [--relation R] [--lambdas LIST] [--thresholds LIST] [--kinds LIST]

Finds the circuit that keeps the model's recall of one relation's facts (the facts it gets right, at the
answer's first token): hard-concrete masks over the edges between components, the mixers' heads (a whole
mixer where it has none) and the MLPs' neurons, learned against the KL to the full model plus an L0
penalty, one circuit per penalty. ACDC's greedy edge search runs on the same task as the baseline. Prints
each circuit's KL, recall kept and share kept; draws the curve (<out>-curve.svg) and the circuit of the
largest penalty that still recalls 90% of the facts (<out>.svg).

  --relation R        a functional relation of the world (default born_in)
  --lambdas LIST      L0 penalties (default 0.3,1,3,10)
  --thresholds LIST   ACDC's KL thresholds (default 0.003,0.01,0.03,0.1,0.3)
  --kinds LIST        masks to learn, of ${MASK_KINDS.join(', ')} (default all)
  --ablation zero|mean  what a removed part is replaced by (default mean, over corpus windows)
  --steps N           optimisation steps per penalty (default 150)  --seed N

${COMMON_USAGE}`;

const numbers = (p: Parsed, flag: string, fallback: string) =>
  (str(p, flag) ?? fallback).split(',').map((v) => {
    const x = Number(v);
    if (!Number.isFinite(x) || x < 0) throw new Error(`--${flag}: "${v}" is not a number >= 0`);
    return x;
  });

export function circuitTool(p: Parsed, ctx: LensContext): void {
  const relation = (str(p, 'relation') ?? 'born_in') as Relation;
  if (!RELATIONS[relation]?.functional) {
    const functional = Object.keys(RELATIONS).filter((r) => RELATIONS[r as Relation].functional);
    throw new Error(`--relation: "${relation}" is not one of ${functional.join(', ')}`);
  }
  const kinds = (str(p, 'kinds') ?? MASK_KINDS.join(',')).split(',').map((k) => {
    if (!MASK_KINDS.includes(k as MaskKind))
      throw new Error(`--kinds: "${k}" is not one of ${MASK_KINDS.join(', ')}`);
    return k as MaskKind;
  });
  const ablationKind = oneOf(p, 'ablation', ['zero', 'mean'] as const, 'mean');
  const steps = num(p, 'steps', 150, { integer: true, min: 1 });
  const seed = num(p, 'seed', 0, { integer: true, min: 0 });
  const { model, tokenizer, world } = ctx;
  const task = factRecallTask(
    model,
    tokenizer,
    world.facts.filter((f) => f.relation === relation),
    relation,
  );
  const graph = circuitGraph(model);
  const T = Math.min(64, model.config.blockSize);
  const reference = [1, 2].map((s) => corpusWindows(ctx, 4, T, s));
  const scorer = new CircuitScorer(
    model,
    task,
    graph,
    circuitAblation(model, graph, ablationKind, reference),
  );
  const started = Date.now();
  const pruned = pruningCurve(scorer, numbers(p, 'lambdas', '0.3,1,3,10'), {
    kinds,
    steps,
    seed,
    onProgress: ({ step, steps: n, kl, kept }) => {
      if (!ctx.json && step === n) {
        console.error(
          `circuit: kl ${kl.toFixed(4)}, expected share kept ${kept.toFixed(3)}  ${((Date.now() - started) / 1000).toFixed(1)}s`,
        );
      }
    },
  });
  const greedy = acdcCurve(scorer, numbers(p, 'thresholds', '0.003,0.01,0.03,0.1,0.3'));
  const chosen = [...pruned].reverse().find((c) => c.score.accuracy >= 0.9) ?? pruned[0];
  const kept = (s: CircuitScore) => s.kept.edges;
  const curve = lineChart({
    title: `Circuits for ${relation} recall (${task.prompts.length} facts): recall kept against edges kept`,
    xLabel: 'share of edges kept',
    yLabel: 'share of facts still recalled',
    series: [
      {
        name: `edge pruning (${kinds.join(', ')})`,
        points: pruned.map((c) => [kept(c.score), c.score.accuracy] as const),
      },
      { name: 'ACDC (edges)', points: greedy.map((c) => [kept(c.score), c.score.accuracy] as const) },
    ],
  });
  const curvePath = writePicture(ctx, picturePath(p, 'circuit', 'curve'), curve);
  const s = chosen.score;
  const picture = writePicture(
    ctx,
    picturePath(p, 'circuit'),
    circuitSvg(
      graph,
      chosen.masks,
      `The ${relation} circuit (L0 penalty ${chosen.lambda})`,
      `recall ${pct(s.accuracy)}, KL ${s.kl.toFixed(3)}; kept: ${pct(s.kept.edges)} of edges, ${pct(s.kept.units)} of heads/mixers, ${pct(s.kept.neurons)} of neurons`,
    ),
  );
  const edges = graph.edges
    .filter((_, e) => chosen.masks.edges.data[e] > 0.5)
    .map((e) => `${graph.writers[e.writer].label} -> ${graph.readers[e.reader].label}`);
  if (ctx.json) {
    console.log(
      JSON.stringify({
        task: relation,
        facts: task.prompts.length,
        ablation: ablationKind,
        pruning: pruned.map((c) => ({ lambda: c.lambda, ...c.score })),
        acdc: greedy.map((c) => ({ threshold: c.threshold, ...c.score })),
        circuit: { lambda: chosen.lambda, edges, score: chosen.score },
        pictures: [picture, curvePath],
      }),
    );
    return;
  }
  console.log(`${relation} recall: ${task.prompts.length} facts the model knows; ${ablationKind} ablation`);
  console.log('method           setting     KL  recall  edges  heads  neurons');
  const row = (name: string, setting: number, c: CircuitScore) =>
    console.log(
      `${name.padEnd(15)} ${String(setting).padStart(8)} ${c.kl.toFixed(3).padStart(6)} ${pct(c.accuracy).padStart(7)} ${pct(c.kept.edges).padStart(6)} ${pct(c.kept.units).padStart(6)} ${pct(c.kept.neurons).padStart(8)}`,
    );
  for (const c of pruned) row('edge pruning', c.lambda, c.score);
  for (const c of greedy) row('ACDC', c.threshold, c.score);
  console.log(`the circuit drawn (penalty ${chosen.lambda}): ${edges.join(', ')}`);
}

const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
