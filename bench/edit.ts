// Changing a model's facts without retraining it (the first and third lectures):
//   1. one value vector per fact (feed-forward layers as key-value memories): the share of edits that
//      change the output and the share that give the intended answer, on models/tiny and on the lens
//      bench's attention model (BPE, every fact of the built-in world written 24 times);
//   2. CounterFact-style rewrites of 1, 10, 100 and 1,000 facts: efficacy, paraphrase, neighbourhood,
//      fluency and their harmonic mean, for ROME applied one edit after another and MEMIT in one batch,
//      against the count. The built-in world of 40 people has 208 functional facts, so these run on a
//      world of --people 400 (1,851 functional facts; every subject is edited once before any twice) and a
//      model trained on it here (out/bench/edit/people-400, about 5 minutes the first time);
//   3. fine-tuning the same facts in as the baseline (every weight, until its efficacy reaches MEMIT's),
//      beside ROME and MEMIT at one count: the measures and the damage to ordinary text (loss on held-out
//      corpus windows).
// Plots go to out/bench/edit-*.svg. Options: --counts 1,10,100,1000 --baseline-count 30 --people 400
// --retrain.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { corpusWindows, generateWorld } from '../src/data/index.js';
import { edit, lossMetric, valueEditRates } from '../src/lens/index.js';
import type { LanguageModel } from '../src/model/index.js';
import { barChart, lineChart, writeSvg } from '../src/plot/index.js';
import { noGrad } from '../src/tensor/index.js';
import { AdamW, loadCheckpoint } from '../src/train/index.js';
import { lensModel } from './_lens-models.js';
import { option, progress, type Row, report, row } from './_report.js';

const OUT = join('out', 'bench');
const counts = option('counts', '1,10,100,1000').split(',').map(Number);
const baselineCount = Number(option('baseline-count', '30'));
const people = Number(option('people', '400'));
const world = generateWorld(1);
const editWorld = generateWorld(1, { people });
const rows: Row[] = [];
const add = (name: string, metric: string, ours: number) =>
  rows.push(row({ bench: 'edit', case: name, metric, ours, peer: null, theirs: null }));

// 1. One value vector per fact.
for (const [name, load] of [
  ['models/tiny', () => loadCheckpoint('models/tiny')],
  ['lens attention model', () => lensModel('lens', 'attention')],
] as const) {
  const { model, tokenizer } = load();
  const r = valueEditRates(model.eval(), tokenizer, world.facts, { limit: 200 });
  progress(
    `${name}: ${r.edits} value edits, changed ${(100 * r.changed).toFixed(1)}%, intended ${(100 * r.intended).toFixed(1)}%`,
  );
  add(`value edit, ${name} (${r.edits} facts)`, 'output changed', r.changed);
  add(`value edit, ${name} (${r.edits} facts)`, 'intended answer', r.intended);
}

const modelDir = join(OUT, 'edit', `people-${people}`);
if (process.argv.includes('--retrain') || !existsSync(join(modelDir, 'checkpoint.json'))) {
  progress(`training a model on a world of ${people} people into ${modelDir}`);
  const r = spawnSync(
    process.execPath,
    [
      'bin/jielong.js',
      ...`train --corpus-seed 1 --people ${people} --fact-passes 24 --tokenizer bpe --vocab-size 1024 --iters 2500 --batch-size 16 --block-size 64 --n-layer 4 --n-head 4 --n-embd 128 --eval-interval 500 --out ${modelDir}`.split(
        ' ',
      ),
    ],
    { stdio: ['ignore', 2, 2] },
  );
  if (r.status !== 0) throw new Error('training the edit bench model failed');
}
const fresh = () => {
  const c = loadCheckpoint(modelDir);
  return { model: c.model.eval(), tokenizer: c.tokenizer };
};
const { tokenizer } = fresh();
const windows = corpusWindows(editWorld, tokenizer, 32, 64, 1);
const heldOut = corpusWindows(editWorld, tokenizer, 16, 64, 7);

/** Mean next-token loss on held-out corpus windows: what an edit costs ordinary text. */
const corpusLoss = (model: LanguageModel) => lossMetric(heldOut)(noGrad(() => model.forward(heldOut)));

const unedited = fresh().model;
const lossBefore = corpusLoss(unedited);

// 2. Scores against the number of edits.
const available = edit.counterfactCases(editWorld).length;
const sweep = [...new Set(counts.map((n) => Math.min(n, available)))];
const curves: Record<string, [number, number][]> = {};
const point = (series: string, n: number, v: number) => {
  curves[series] ??= [];
  curves[series].push([n, v]);
};
const damage: Record<string, [number, number][]> = {};
const results: Record<string, edit.EditScores & { lossDelta: number; seconds: number }> = {};
async function run(
  method: edit.EditMethod,
  n: number,
): Promise<edit.EditScores & { lossDelta: number; seconds: number }> {
  const cases = edit.counterfactCases(editWorld, { count: n, seed: 1 });
  const { model } = fresh();
  const baseline = await edit.subjectEntropy(model, tokenizer, cases);
  const started = performance.now();
  const setup = edit.prepareEdits(model, tokenizer, { method, windows, world: editWorld });
  edit.applyEdits(
    model,
    tokenizer,
    cases.map((c) => c.request),
    setup,
    (done) => {
      if (done % 50 === 0) progress(`  ${method} ${done}/${n}`);
    },
  );
  const seconds = (performance.now() - started) / 1000;
  const s = await edit.evaluateEdits(model, tokenizer, cases, baseline);
  return { ...s, lossDelta: corpusLoss(model) - lossBefore, seconds };
}
for (const n of sweep) {
  for (const method of edit.EDIT_METHODS) {
    const label = method === 'rome' ? 'ROME, one after another' : 'MEMIT, one batch';
    const s = await run(method, n);
    results[`${method} ${n}`] = s;
    progress(
      `${label}, ${n} edits: efficacy ${s.efficacy.toFixed(2)}, paraphrase ${s.paraphrase.toFixed(2)}, neighbourhood ${s.neighbourhood.toFixed(2)}, fluency ${s.fluency.toFixed(2)}, score ${s.score.toFixed(2)} (${s.seconds.toFixed(0)} s)`,
    );
    for (const k of ['efficacy', 'paraphrase', 'neighbourhood', 'fluency', 'score', 'lossDelta'] as const)
      add(`${label}, ${n} edits`, k === 'lossDelta' ? 'corpus loss change' : k, s[k]);
    point(`${method} score`, n, s.score);
    point(`${method} efficacy`, n, s.efficacy);
    point(`${method} neighbourhood`, n, s.neighbourhood);
    damage[method] ??= [];
    damage[method].push([n, s.lossDelta]);
  }
}
const label = (k: string) => k.replace('rome', 'ROME').replace('memit', 'MEMIT');
writeSvg(
  join(OUT, 'edit-damage.svg'),
  lineChart({
    title: 'What the edits cost ordinary text',
    xLabel: 'facts edited',
    yLabel: 'change of the loss on held-out corpus windows (nats)',
    logX: true,
    series: Object.entries(damage).map(([k, points]) => ({ name: label(k), points })),
  }),
);
writeSvg(
  join(OUT, 'edit-scores.svg'),
  lineChart({
    title: 'CounterFact measures: ROME one after another, MEMIT in one batch',
    xLabel: 'facts edited',
    yLabel: 'share (score: harmonic mean)',
    logX: true,
    series: Object.entries(curves).map(([k, points]) => ({ name: label(k), points })),
  }),
);

// 3. Fine-tuning the same facts in, beside ROME and MEMIT.
/** Fine-tunes every weight on the requests' sentences, epoch by epoch, until its efficacy reaches `goal`. */
async function fineTune(n: number, goal: number) {
  const cases = edit.counterfactCases(editWorld, { count: n, seed: 1 });
  const { model } = fresh();
  const baseline = await edit.subjectEntropy(model, tokenizer, cases);
  const started = performance.now();
  const data = cases.map((c) =>
    edit.teacherForced(tokenizer.encode(c.request.prompt), tokenizer.encode(c.request.target)),
  );
  const optimizer = new AdamW(model.parameters(), { lr: 1e-4, betas: [0.9, 0.99], weightDecay: 0 });
  const efficacy = () =>
    cases.filter(
      (c) =>
        edit.answerLogProb(model, tokenizer, c.request.prompt, c.request.target) >
        edit.answerLogProb(model, tokenizer, c.request.prompt, c.old),
    ).length / cases.length;
  let epochs = 0;
  while (epochs < 100 && efficacy() < goal) {
    model.train();
    for (const { x, y } of data) {
      model.loss(x, y).backward();
      optimizer.step();
      optimizer.zeroGrad();
    }
    model.eval();
    epochs++;
  }
  progress(`fine-tuning reached efficacy ${efficacy().toFixed(2)} after ${epochs} epochs`);
  const seconds = (performance.now() - started) / 1000;
  const s = await edit.evaluateEdits(model, tokenizer, cases, baseline);
  return { ...s, lossDelta: corpusLoss(model) - lossBefore, seconds };
}

const nb = Math.min(baselineCount, available);
const romeAt = results[`rome ${nb}`] ?? (await run('rome', nb));
const memitAt = results[`memit ${nb}`] ?? (await run('memit', nb));
const table: [string, edit.EditScores & { lossDelta: number; seconds: number }][] = [
  ['fine-tuning (all weights, to MEMIT efficacy)', await fineTune(nb, memitAt.efficacy)],
  ['ROME, one after another', romeAt],
  ['MEMIT, one batch', memitAt],
];
for (const [name, s] of table) {
  progress(
    `${name}, ${nb} facts: efficacy ${s.efficacy.toFixed(2)}, neighbourhood ${s.neighbourhood.toFixed(2)}, corpus loss ${lossBefore.toFixed(3)} -> ${(lossBefore + s.lossDelta).toFixed(3)}`,
  );
  for (const k of [
    'efficacy',
    'paraphrase',
    'neighbourhood',
    'fluency',
    'score',
    'lossDelta',
    'seconds',
  ] as const)
    add(`baseline table, ${nb} facts: ${name}`, k === 'lossDelta' ? 'corpus loss change' : k, s[k]);
}
writeSvg(
  join(OUT, 'edit-baseline.svg'),
  barChart({
    title: `${nb} facts written in: fine-tuning against ROME and MEMIT`,
    yLabel: 'share (corpus loss: change in nats)',
    groups: ['efficacy', 'paraphrase', 'neighbourhood', 'score', 'corpus loss change'],
    series: table.map(([name, s]) => ({
      name,
      values: [s.efficacy, s.paraphrase, s.neighbourhood, s.score, s.lossDelta],
    })),
  }),
);
report(rows, [
  `edit: a model trained on a world of ${people} people (${modelDir}), corpus loss ${lossBefore.toFixed(3)} before any edit; ${available} functional facts can be rewritten`,
  'plots: out/bench/edit-scores.svg, out/bench/edit-damage.svg, out/bench/edit-baseline.svg',
]);
