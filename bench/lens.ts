// The third lecture's figures at small scale, on models trained here on the built-in world (which knows every
// fact's ground truth): an attention model and a Mamba model beside it, same recipe. For each:
//   1. recall per relation (canonical prompts, and the phrasing the analyses use); analyses run on the
//      relations recalled >= 90% and on the facts the model gets right, as ROME filters;
//   2. where facts become decodable: the share of known facts whose answer is the top token of the logit
//      lens and of a tuned lens at each layer (at the prompt's last position);
//   3. causal tracing (ROME): noise on the subject's embeddings, one state restored per (layer, position),
//      the recovered probability averaged over facts by ROME's token categories, as heatmaps;
//   4. the refusal direction: refusal rates on held-out requests, plain / ablated / added, and the loss;
//   5. linear relational probes per relation and layer: faithfulness on held-out subjects and causality;
//   6. the three components whose mean ablation costs the most loss;
//   7. hook overhead: a forward with read-only hooks on every residual, mixer and MLP point vs a plain one.
// Models are trained once into out/bench/lens/<mixer> (bench/_lens-models.ts) and reused; --retrain trains
// them again. Plots go to out/bench/lens-*.svg. Options: --mixers attention,mamba.
import { join } from 'node:path';
import { generateWorld, RELATIONS, type Relation, corpusWindows as windowsOf } from '../src/data/index.js';
import {
  ablationSweep,
  bestPhrasings,
  causality,
  causalTrace,
  checkFacts,
  faithfulness,
  fitLRE,
  fitTunedLens,
  type LabelledCase,
  listComponents,
  logitLens,
  lossMetric,
  prepareTrace,
  recallByRelation,
  refusalExperiment,
  subjectSpan,
  type TraceComponent,
} from '../src/lens/index.js';
import { HookContext } from '../src/nn/index.js';
import { barChart, heatmap, lineChart, writeSvg } from '../src/plot/index.js';
import { IntTensor, noGrad } from '../src/tensor/index.js';
import type { Tokenizer } from '../src/tokenizer/index.js';
import { window } from './_compare.js';
import { lensModel } from './_lens-models.js';
import { option, progress, type Row, report, row } from './_report.js';

const mixers = option('mixers', 'attention,mamba').split(',');
const OUT = join('out', 'bench');
const world = generateWorld(1);
const rows: Row[] = [];
const add = (name: string, metric: string, ours: number) =>
  rows.push(row({ bench: 'lens', case: name, metric, ours, peer: null, theirs: null }));

const modelFor = (mixer: string) => lensModel('lens', mixer);

const ids1 = (ids: readonly number[]) => new IntTensor(Int32Array.from(ids), [1, ids.length]);

const corpusWindows = (tokenizer: Tokenizer, rowsN: number, T: number, seed: number) =>
  windowsOf(world, tokenizer, rowsN, T, seed);

const CATEGORIES = [
  'first subject',
  'middle subject',
  'last subject',
  'first after',
  'further',
  'last',
  'whole subject',
] as const;
const WHOLE = CATEGORIES.length - 1; // every subject token restored at once: not one of ROME's columns

/** ROME's token categories of a prompt with the subject at `span`. */
function categoryOf(p: number, span: number[], T: number): number[] {
  const [s0, s1] = [span[0], span[span.length - 1]];
  const out: number[] = [];
  if (p === s0) out.push(0);
  if (p > s0 && p < s1) out.push(1);
  if (p === s1) out.push(2);
  if (p === s1 + 1) out.push(3);
  if (p > s1 + 1 && p < T - 1) out.push(4);
  if (p === T - 1) out.push(5);
  return out;
}

async function study(mixer: string): Promise<void> {
  const { model, tokenizer } = modelFor(mixer);
  const L = model.config.nLayer;
  const functional = world.facts.filter((f) => RELATIONS[f.relation].functional);

  // 1. Recall.
  const canonical = recallByRelation(checkFacts(model, tokenizer, functional));
  const phrasings = bestPhrasings(model, tokenizer, functional);
  const analysed: Relation[] = [];
  for (const [relation, { checks, phrasing }] of phrasings) {
    const known = checks.filter((c) => c.known).length;
    const c = canonical.get(relation)!;
    add(`${mixer} recall ${relation}`, 'canonical prompt', c.known / c.total);
    add(`${mixer} recall ${relation}`, `phrasing ${phrasing}`, known / checks.length);
    if (known / checks.length >= 0.9) analysed.push(relation);
  }
  const known = analysed.flatMap((r) => phrasings.get(r)!.checks.filter((c) => c.known));
  progress(
    `${mixer}: ${known.length} known facts over ${analysed.length} relations (${analysed.join(', ')})`,
  );

  // 2. Where the answer becomes the top token: logit lens and tuned lens.
  const T = Math.min(64, model.config.blockSize);
  const tuned = fitTunedLens(
    model,
    Array.from({ length: 8 }, (_, i) => corpusWindows(tokenizer, 8, T, i + 1)),
    { steps: 200 },
  );
  const topAt = { logit: new Array(L + 1).fill(0), tuned: new Array(L + 1).fill(0) };
  for (const c of known) {
    const ids = ids1(c.promptIds);
    const lens = logitLens(model, ids, { k: 1, target: c.answerIds[0] });
    const last = lens.entries.filter((e) => e.position === c.promptIds.length - 1);
    last.forEach((e, l) => {
      if (e.target!.rank === 0) topAt.logit[l]++;
    });
    const resid = noGrad(() => {
      const acts = new Map();
      model.forward(ids, { hooks: new HookContext(new Map(), acts, (n) => n.endsWith('hook_resid_pre')) });
      return acts;
    });
    for (let l = 0; l < L; l++) {
      const logits = noGrad(() => tuned.logits(model, l, resid.get(`blocks.${l}.hook_resid_pre`)));
      const V = logits.shape[2];
      const row = logits.data.subarray(logits.data.length - V);
      if (row.every((v) => v <= row[c.answerIds[0]])) topAt.tuned[l]++;
    }
    topAt.tuned[L] = topAt.logit[L];
  }
  const share = (xs: number[]) => xs.map((x) => x / Math.max(1, known.length));
  const labels = [...Array.from({ length: L }, (_, i) => `${i}_pre`), 'final'];
  for (const [l, label] of labels.entries()) {
    add(`${mixer} decodable ${label}`, 'logit lens top-1 share', share(topAt.logit)[l]);
    add(`${mixer} decodable ${label}`, 'tuned lens top-1 share', share(topAt.tuned)[l]);
  }
  writeSvg(
    join(OUT, `lens-${mixer}-decodable.svg`),
    lineChart({
      title: `${mixer}: share of known facts whose answer is the top token, by layer`,
      xLabel: 'layer (residual stream entering it; last = output)',
      yLabel: 'share of facts',
      series: [
        { name: 'logit lens', points: share(topAt.logit).map((v, l) => [l, v]) },
        { name: 'tuned lens', points: share(topAt.tuned).map((v, l) => [l, v]) },
      ],
    }),
  );

  // 3. Causal tracing over facts whose subject is a person or a city (the prompt starts with it).
  const components: TraceComponent[] = ['resid', 'mixer', 'mlp'];
  const sums = Object.fromEntries(
    components.map((c) => [c, CATEGORIES.map(() => new Array(L).fill(0))]),
  ) as Record<TraceComponent, number[][]>;
  const counts = CATEGORIES.map(() => 0);
  const traced = known.filter((_, i) => i % Math.max(1, Math.floor(known.length / 24)) === 0).slice(0, 24);
  for (const c of traced) {
    const span = subjectSpan(tokenizer, c.prompt, c.fact.subject);
    const trace = causalTrace(model, ids1(c.promptIds), {
      answer: c.answerIds[0],
      corruption: { kind: 'noise', positions: span, samples: 5, seed: 1 },
    });
    // Restoring every subject token together says whether the subject's states carry the fact at all.
    const target = {
      answer: c.answerIds[0],
      corruption: { kind: 'noise', positions: span, samples: 5, seed: 1 },
    } as const;
    const tracer = prepareTrace(model, ids1(c.promptIds), target);
    counts[WHOLE]++;
    for (const comp of components) {
      for (let l = 0; l < L; l++) {
        const p = tracer.restore(comp, l, span).prob;
        sums[comp][WHOLE][l] += (p - tracer.corrupt.prob) / (tracer.clean.prob - tracer.corrupt.prob);
      }
    }
    const Tp = c.promptIds.length;
    for (let p = 0; p < Tp; p++) {
      for (const k of categoryOf(p, span, Tp)) {
        counts[k]++;
        for (const comp of components) {
          for (let l = 0; l < L; l++) sums[comp][k][l] += trace.prob.grids[comp].recovered[l][p];
        }
      }
    }
  }
  for (const comp of components) {
    // Rows = layers, columns = categories, as ROME draws it.
    const grid = Array.from({ length: L }, (_, l) => CATEGORIES.map((_, k) => sums[comp][k][l] / counts[k]));
    writeSvg(
      join(OUT, `lens-${mixer}-trace-${comp}.svg`),
      heatmap({
        title: `${mixer}: causal trace, ${comp} restored (mean recovered share of p(answer), ${traced.length} facts)`,
        xLabel: 'token',
        yLabel: 'layer',
        xTicks: [...CATEGORIES],
        yTicks: Array.from({ length: L }, (_, l) => String(l)),
        values: grid,
        colourScale: 'diverging',
        cellText: true,
      }),
    );
    const best = (k: number) => Math.max(...grid.map((r) => r[k]));
    add(`${mixer} trace ${comp}`, 'best layer, last subject token', best(2));
    add(`${mixer} trace ${comp}`, 'best layer, last token', best(5));
    add(`${mixer} trace ${comp}`, 'best layer, whole subject', best(WHOLE));
  }

  // 4. The refusal direction at the middle layer (fixed in advance, not chosen on the held-out set).
  const refusal = await refusalExperiment(model, tokenizer, world, {
    layer: Math.floor(L / 2),
    text: corpusWindows(tokenizer, 8, T, 0),
  });
  add(`${mixer} refusal declined`, 'refusal rate plain', refusal.declined.baseline);
  add(`${mixer} refusal declined`, 'refusal rate ablated', refusal.declined.ablated);
  add(`${mixer} refusal answered`, 'refusal rate plain', refusal.answered.baseline);
  add(`${mixer} refusal answered`, 'refusal rate added', refusal.answered.added);
  add(`${mixer} refusal loss`, 'loss plain', refusal.loss.baseline);
  add(`${mixer} refusal loss`, 'loss ablated', refusal.loss.ablated);
  writeSvg(
    join(OUT, `lens-${mixer}-refusal.svg`),
    barChart({
      title: `${mixer}: refusal direction after layer ${refusal.layer}, held-out requests`,
      yLabel: 'refusal rate',
      groups: ['declined requests', 'answered requests'],
      series: [
        { name: 'plain', values: [refusal.declined.baseline, refusal.answered.baseline] },
        { name: 'ablated / added', values: [refusal.declined.ablated, refusal.answered.added] },
      ],
    }),
  );

  // 5. Linear relational probes: fitted on 8 known facts, measured on the others.
  const probeRelations = analysed.filter(
    (r) => new Set(phrasings.get(r)!.checks.map((c) => c.fact.object)).size >= 3,
  );
  const faith: number[][] = [];
  const cause: number[][] = [];
  for (const relation of probeRelations) {
    const checks = phrasings.get(relation)!.checks.filter((c) => c.known);
    const cases: LabelledCase[] = checks.map((c) => {
      const span = subjectSpan(tokenizer, c.prompt, c.fact.subject);
      return { ids: ids1(c.promptIds), subjectPos: span[span.length - 1], object: c.answerIds[0] };
    });
    const candidates = [...new Set(cases.map((c) => c.object))];
    const [train, test] = [cases.slice(0, 8), cases.slice(8)];
    if (test.length < 2) continue;
    add(`${mixer} probe ${relation}`, 'chance (1 / candidates)', 1 / candidates.length);
    const f: number[] = [];
    const k: number[] = [];
    for (let l = 0; l < L; l++) {
      // beta 2.5: the paper's finding that the mean Jacobian undershoots, and its usual setting.
      const probe = fitLRE(model, `blocks.${l}.hook_resid_post`, train, { beta: 2.5 });
      f.push(faithfulness(model, probe, test, { candidates }).candidates ?? Number.NaN);
      const edited = test.slice(0, 8);
      k.push(
        new Set(edited.map((c) => c.object)).size >= 2
          ? causality(model, probe, edited, { candidates }).success
          : Number.NaN,
      );
      add(`${mixer} probe ${relation} L${l}`, 'faithfulness', f[l]);
      add(`${mixer} probe ${relation} L${l}`, 'causality', k[l]);
    }
    faith.push(f);
    cause.push(k);
    progress(
      `${mixer} probe ${relation}: faithfulness ${f.map((v) => v.toFixed(2))} causality ${k.map((v) => v.toFixed(2))}`,
    );
  }
  for (const [what, grid] of [
    ['faithfulness', faith],
    ['causality', cause],
  ] as const) {
    if (grid.length === 0) continue;
    writeSvg(
      join(OUT, `lens-${mixer}-probe-${what}.svg`),
      heatmap({
        title: `${mixer}: linear relational probe ${what} (held-out subjects)`,
        xLabel: 'layer the subject is read at (resid_post)',
        yLabel: 'relation',
        xTicks: Array.from({ length: L }, (_, l) => String(l)),
        yTicks: probeRelations.slice(0, grid.length),
        values: grid,
        colourScale: 'sequential',
        min: 0,
        max: 1,
        cellText: true,
      }),
    );
  }

  // 6. Which components the loss needs most.
  const windows = corpusWindows(tokenizer, 8, T, 0);
  const sweep = ablationSweep(model, windows, {
    components: listComponents(model, ['mixer', 'mlp']),
    method: 'mean',
    metric: lossMetric(windows),
    reference: { ids: [1, 2, 3].map((s) => corpusWindows(tokenizer, 4, T, s)) },
  });
  for (const r of sweep.rows.slice(0, 3))
    add(`${mixer} ablate ${r.label}`, 'loss change (mean ablation)', r.effect);

  // 7. Hook overhead: read-only hooks on every residual, mixer and MLP point.
  const x = corpusWindows(tokenizer, 8, T, 5);
  const names = [...model.hookPoints().keys()].filter((n) =>
    /hook_(resid_\w+|attn_out|mlp_out|embed)$/.test(n),
  );
  const readers = new Map(names.map((n) => [n, [() => undefined]]));
  const plain = () => {
    noGrad(() => model.forward(x));
    return undefined;
  };
  const hooked = () => {
    noGrad(() => model.forward(x, { hooks: new HookContext(readers, null) }));
    return undefined;
  };
  const best = { plain: Infinity, hooked: Infinity };
  for (let i = 0; i < 10; i++) {
    best.plain = Math.min(best.plain, await window(plain, 300));
    best.hooked = Math.min(best.hooked, await window(hooked, 300));
  }
  rows.push(
    row({
      bench: 'lens',
      case: `${mixer} hook overhead (${names.length} read-only hooks, B8 T${T})`,
      metric: 'forward ms, plain vs hooked',
      ours: best.hooked * 1e3,
      peer: 'plain forward',
      theirs: best.plain * 1e3,
    }),
  );
}

for (const mixer of mixers) await study(mixer);
report(rows, [
  'lens: the third lecture on models trained on the built-in world (recipe in bench/lens.ts); plots in out/bench/lens-*.svg',
  'hook overhead ratio = hooked / plain forward time (best of 10 alternating windows each)',
]);
