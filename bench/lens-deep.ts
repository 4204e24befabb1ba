// The third lecture's deeper tools at small scale, on models trained here on the built-in world with the
// two-hop answers of half its people in the corpus (--two-hop 24): an attention model and a Mamba model
// beside it, same recipe (bench/_lens-models.ts). For each:
//   1. a TopK SAE on the residual stream after every block: l0, explained variance, ce_loss_score,
//      kl_div_score, dead and dense features;
//   2. the ground-truth table: for the middle block's SAE, the best single feature's F1 per entity kind and
//      relation template of the world;
//   3. circuits for one relation's recall: edge pruning at several L0 penalties and ACDC at several
//      thresholds, recall kept against edges kept, and the circuit drawn;
//   4. Patchscopes: per source layer, the share of people whose name and city can be read from the state
//      at the last token of their name;
//   5. back-patching: the two-hop questions answered wrong although both hops are known, and the share that
//      sending a later layer's state back to an earlier layer fixes.
// Plots go to out/bench/lens-deep-*.svg. Options: --mixers attention,mamba --sae-steps N --retrain.
import { join } from 'node:path';
import {
  generateCorpus,
  generateWorld,
  RELATIONS,
  type Relation,
  twoHopQuestions,
  corpusWindows as windowsOf,
} from '../src/data/index.js';
import {
  ActivationBuffer,
  acdcCurve,
  backpatchStudy,
  CircuitScorer,
  checkFacts,
  circuitAblation,
  circuitGraph,
  circuitSvg,
  entityReadout,
  evaluateSae,
  factRecallTask,
  groundTruth,
  pruningCurve,
  recallByRelation,
  type SparseAutoencoder,
  trainSae,
} from '../src/lens/index.js';
import { barChart, heatmap, lineChart, writeSvg } from '../src/plot/index.js';
import { Generator } from '../src/tensor/index.js';
import { lensModel } from './_lens-models.js';
import { option, progress, type Row, report, row } from './_report.js';

const mixers = option('mixers', 'attention,mamba').split(',');
const saeSteps = Number(option('sae-steps', '600'));
const OUT = join('out', 'bench');
const world = generateWorld(1);
const text = generateCorpus(world).text;
const cut = Math.floor(text.length * 0.9);
const rows: Row[] = [];
const add = (name: string, metric: string, ours: number) =>
  rows.push(row({ bench: 'lens-deep', case: name, metric, ours, peer: null, theirs: null }));

const saeRows: Record<string, { layer: number; ev: number; ce: number }[]> = {};
const truthRows: Record<string, Map<string, number>> = {};
const curves: { name: string; points: [number, number][] }[] = [];
const readouts: { name: string; points: [number, number][] }[] = [];
const fixes: { mixer: string; held: number; taught: number }[] = [];

function saes(
  mixer: string,
  model: ReturnType<typeof lensModel>['model'],
  tokenizer: ReturnType<typeof lensModel>['tokenizer'],
): SparseAutoencoder[] {
  const ids = tokenizer.encode(text.slice(0, cut));
  const windows = [windowsOf(world, tokenizer, 8, 64, 3)];
  const out: SparseAutoencoder[] = [];
  saeRows[mixer] = [];
  for (let layer = 0; layer < model.config.nLayer; layer++) {
    const hook = `blocks.${layer}.hook_resid_post`;
    const generator = new Generator(layer);
    const buffer = new ActivationBuffer(model, hook, ids, { contextSize: 32, capacity: 4096, generator });
    const started = Date.now();
    const sae = trainSae(buffer, {
      architecture: 'topk',
      k: 8,
      dSae: 512,
      steps: saeSteps,
      lr: 3e-3,
      generator,
    });
    const m = evaluateSae(model, sae, windows);
    progress(
      `${mixer} SAE on ${hook}: l0 ${m.l0.toFixed(1)}, EV ${m.explained_variance.toFixed(3)}, ce_loss_score ${m.ce_loss_score.toFixed(3)} (${((Date.now() - started) / 1000).toFixed(0)}s)`,
    );
    for (const k of [
      'l0',
      'explained_variance',
      'ce_loss_score',
      'kl_div_score',
      'dead_features',
      'dense_features',
    ] as const) {
      add(`${mixer} SAE ${hook}`, k, m[k]);
    }
    saeRows[mixer].push({ layer, ev: m.explained_variance, ce: m.ce_loss_score });
    out.push(sae);
  }
  return out;
}

function study(mixer: string): void {
  const { model, tokenizer } = lensModel('lens-deep', mixer, ['--two-hop', '24']);
  const L = model.config.nLayer;

  // 1-2. SAEs per layer; the middle one against the world's ground truth.
  const trained = saes(mixer, model, tokenizer);
  const middle = trained[Math.floor(L / 2)];
  const truth = groundTruth(model, tokenizer, middle, world, text.slice(cut, cut + 40_000));
  truthRows[mixer] = new Map(truth.map((t) => [t.concept, t.f1]));
  for (const t of truth)
    add(`${mixer} SAE ${middle.cfg.hook_name} truth ${t.concept}`, 'best feature F1', t.f1);

  // 3. Circuits for the functional relation the model recalls most of.
  const functional = world.facts.filter((f) => RELATIONS[f.relation].functional);
  const recall = recallByRelation(checkFacts(model, tokenizer, functional));
  const [relation] = [...recall.entries()].sort((a, b) => b[1].known - a[1].known)[0] as [Relation, unknown];
  const task = factRecallTask(
    model,
    tokenizer,
    functional.filter((f) => f.relation === relation),
    relation,
  );
  const graph = circuitGraph(model);
  const reference = [1, 2].map((s) => windowsOf(world, tokenizer, 4, 64, s));
  const scorer = new CircuitScorer(model, task, graph, circuitAblation(model, graph, 'mean', reference));
  progress(`${mixer}: circuits for ${relation} recall (${task.prompts.length} facts)`);
  const pruned = pruningCurve(scorer, [0.1, 0.3, 1, 3, 10], { steps: 150 });
  const edgesOnly = pruningCurve(scorer, [0.1, 0.3, 1, 3, 10, 30, 100], { steps: 150, kinds: ['edges'] });
  const greedy = acdcCurve(scorer, [0.001, 0.003, 0.01, 0.03, 0.1, 0.3]);
  for (const c of pruned) {
    add(`${mixer} circuit ${relation} pruning λ=${c.lambda}`, 'recall kept', c.score.accuracy);
    add(`${mixer} circuit ${relation} pruning λ=${c.lambda}`, 'edges kept', c.score.kept.edges);
    add(`${mixer} circuit ${relation} pruning λ=${c.lambda}`, 'units kept', c.score.kept.units);
    add(`${mixer} circuit ${relation} pruning λ=${c.lambda}`, 'neurons kept', c.score.kept.neurons);
    add(`${mixer} circuit ${relation} pruning λ=${c.lambda}`, 'KL', c.score.kl);
  }
  for (const c of edgesOnly) {
    add(`${mixer} circuit ${relation} edge pruning λ=${c.lambda}`, 'recall kept', c.score.accuracy);
    add(`${mixer} circuit ${relation} edge pruning λ=${c.lambda}`, 'edges kept', c.score.kept.edges);
  }
  for (const c of greedy) {
    add(`${mixer} circuit ${relation} ACDC τ=${c.threshold}`, 'recall kept', c.score.accuracy);
    add(`${mixer} circuit ${relation} ACDC τ=${c.threshold}`, 'edges kept', c.score.kept.edges);
  }
  curves.push(
    { name: `${mixer}: edge pruning`, points: edgesOnly.map((c) => [c.score.kept.edges, c.score.accuracy]) },
    { name: `${mixer}: ACDC`, points: greedy.map((c) => [c.score.kept.edges, c.score.accuracy]) },
  );
  const chosen = [...pruned].reverse().find((c) => c.score.accuracy >= 0.9) ?? pruned[0];
  const s = chosen.score;
  writeSvg(
    join(OUT, `lens-deep-${mixer}-circuit.svg`),
    circuitSvg(
      graph,
      chosen.masks,
      `${mixer}: the ${relation} circuit (L0 penalty ${chosen.lambda})`,
      `recall ${(100 * s.accuracy).toFixed(0)}%; kept ${(100 * s.kept.edges).toFixed(0)}% of edges, ${(100 * s.kept.units).toFixed(0)}% of heads/mixers, ${(100 * s.kept.neurons).toFixed(0)}% of neurons`,
    ),
  );

  // 4. Patchscopes.
  const readout = entityReadout(model, tokenizer, world);
  for (const r of readout) {
    add(`${mixer} patchscope layer ${r.layer}`, 'name (identity)', r.name ?? Number.NaN);
    add(`${mixer} patchscope layer ${r.layer}`, 'name (echo)', r.echo ?? Number.NaN);
    add(`${mixer} patchscope layer ${r.layer}`, 'city lived in', r.attribute ?? Number.NaN);
  }
  readouts.push(
    { name: `${mixer}: name (echo)`, points: readout.map((r) => [r.layer, r.echo ?? Number.NaN]) },
    { name: `${mixer}: city lived in`, points: readout.map((r) => [r.layer, r.attribute ?? Number.NaN]) },
  );

  // 5. Back-patching.
  const study = backpatchStudy(model, tokenizer, twoHopQuestions(world));
  for (const [split, v] of Object.entries(study.splits)) {
    add(`${mixer} backpatch ${split}`, 'answered', v.correct / v.questions);
    add(`${mixer} backpatch ${split}`, 'failures (both hops known)', v.failures);
    add(`${mixer} backpatch ${split}`, 'share fixed', v.share);
  }
  for (const p of study.pairs) add(`${mixer} backpatch ${p.from} -> ${p.to}`, 'failures fixed', p.fixed);
  fixes.push({ mixer, held: study.splits['held-out'].share, taught: study.splits.taught.share });
  writeSvg(
    join(OUT, `lens-deep-${mixer}-backpatch.svg`),
    heatmap({
      title: `${mixer}: two-hop failures fixed by back-patching, per layer pair`,
      xLabel: 'from the stream entering layer (later)',
      yLabel: 'into the stream entering layer (earlier)',
      xTicks: Array.from({ length: L }, (_, i) => String(i + 1)),
      yTicks: Array.from({ length: L }, (_, i) => String(i)),
      values: Array.from({ length: L }, (_, to) =>
        Array.from(
          { length: L },
          (_, i) => study.pairs.find((p) => p.to === to && p.from === i + 1)?.fixed ?? Number.NaN,
        ),
      ),
      colourScale: 'sequential',
      min: 0,
      cellText: true,
    }),
  );
}

for (const mixer of mixers) study(mixer);

writeSvg(
  join(OUT, 'lens-deep-sae.svg'),
  lineChart({
    title: 'TopK SAEs (k 8, 512 features) on the residual stream after each block',
    xLabel: 'block',
    yLabel: 'score',
    series: mixers.flatMap((m) => [
      {
        name: `${m}: explained variance`,
        points: saeRows[m].map((r) => [r.layer, r.ev] as [number, number]),
      },
      { name: `${m}: ce_loss_score`, points: saeRows[m].map((r) => [r.layer, r.ce] as [number, number]) },
    ]),
  }),
);
const concepts = [...truthRows[mixers[0]].keys()];
writeSvg(
  join(OUT, 'lens-deep-truth.svg'),
  barChart({
    title: "Which of the world's concepts the middle block's SAE found: the best feature's F1",
    yLabel: 'F1',
    groups: concepts,
    series: mixers.map((m) => ({ name: m, values: concepts.map((c) => truthRows[m].get(c) ?? Number.NaN) })),
  }),
);
writeSvg(
  join(OUT, 'lens-deep-circuit.svg'),
  lineChart({
    title: 'Circuits for fact recall: share of facts still recalled against share of edges kept',
    xLabel: 'share of edges kept',
    yLabel: 'share of facts recalled',
    series: curves,
  }),
);
writeSvg(
  join(OUT, 'lens-deep-patchscope.svg'),
  lineChart({
    title: "Patchscopes: read from the state at a name's last token, per layer",
    xLabel: 'source layer (residual stream entering it)',
    yLabel: 'share of people',
    series: readouts,
  }),
);
writeSvg(
  join(OUT, 'lens-deep-backpatch.svg'),
  barChart({
    title: 'Back-patching: share of two-hop failures (both hops known) fixed by some layer pair',
    yLabel: 'share fixed',
    groups: mixers,
    series: [
      { name: 'held out of the corpus', values: fixes.map((f) => f.held) },
      { name: 'taught in the corpus', values: fixes.map((f) => f.taught) },
    ],
  }),
);
report(rows, [`plots: ${OUT}/lens-deep-*.svg`]);
