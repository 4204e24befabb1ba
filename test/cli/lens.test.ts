// `jielong lens` end to end on the shipped model: every tool prints its numbers as JSON and draws its
// picture; bad flags get errors that name them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../../bin/jielong.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'jielong-lens-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function lens(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, 'lens', ...args], {
    encoding: 'utf8',
    env: { ...process.env, JIELONG_THREADS: '1' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs a tool with --json and --out in the temp folder; returns its JSON. */
function tool(name: string, ...args: string[]): Record<string, unknown> {
  const r = lens(name, '--json', '--out', join(dir, `${name}.svg`), ...args);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('lens --help lists every tool; each tool has its own help', () => {
  const r = lens('--help');
  assert.equal(r.status, 0);
  for (const t of [
    'logit',
    'tuned',
    'patch',
    'ablate',
    'steer',
    'probe',
    'sae',
    'circuit',
    'patchscope',
    'backpatch',
  ]) {
    assert.match(r.stdout, new RegExp(`\\n  ${t} +\\S`));
    assert.match(lens(t, '--help').stdout, new RegExp(`usage: jielong lens ${t}`));
  }
  const bad = lens('nope');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown tool "nope"/);
});

test('logit: the last layer is the output; the target is the fact answer', () => {
  const out = tool('logit');
  const layers = out.layers as { layer: string; targetRank: number }[];
  assert.equal(layers.at(-1)?.layer, 'final_post');
  assert.equal(layers.length, 5);
  assert.match(readFileSync(join(dir, 'logit.svg'), 'utf8'), /<svg /);
  assert.notEqual(
    (out.target as { text: string }).text.trim(),
    '',
    'a character model follows the answer past its space',
  );
});

test('tuned: saves the translators and beats the logit lens at the first layer', () => {
  const save = join(dir, 'tuned.safetensors');
  const out = tool('tuned', '--steps', '20', '--save', save);
  assert.ok(existsSync(save));
  const [logit, tuned] = [out.logit as number[], out.tuned as number[]];
  assert.equal(logit.at(-1), 0);
  assert.ok(tuned[0] < logit[0], `tuned ${tuned[0]} vs logit ${logit[0]}`);
});

test('patch: one heatmap per component; restoring the last layer at the last token recovers the answer', () => {
  const out = tool('patch', '--samples', '2');
  for (const c of ['resid', 'mixer', 'mlp']) assert.ok(existsSync(join(dir, `patch-${c}.svg`)), c);
  const prob = out.prob as {
    clean: number;
    corrupt: number;
    grids: Record<string, { recovered: number[][] }>;
  };
  const resid = prob.grids.resid.recovered;
  assert.ok(Math.abs((resid.at(-1)?.at(-1) ?? 0) - 1) < 1e-4);
  const noSubject = lens('patch', '--prompt', 'Ada was born');
  assert.notEqual(noSubject.status, 0);
  assert.match(noSubject.stderr, /--prompt needs --subject/);
});

test('ablate: a sweep ranked by effect', () => {
  const out = tool('ablate', '--components', 'mixer,mlp', '--method', 'zero');
  const rows = out.rows as { component: string; effect: number }[];
  assert.equal(rows.length, 8);
  for (let i = 1; i < rows.length; i++) assert.ok(Math.abs(rows[i - 1].effect) >= Math.abs(rows[i].effect));
  const bad = lens('ablate', '--components', 'mixer,wheel');
  assert.match(bad.stderr, /--components: unknown kind "wheel"/);
});

test('steer: the refusal experiment runs; steering from two prompt files writes plain and steered text', () => {
  // The shipped model never saw requests: the error says how to get one that did.
  assert.match(lens('steer').stderr, /cannot read requests [\s\S]*jielong train --requests N/);
  const model = join(dir, 'requests-model');
  const train = spawnSync(
    process.execPath,
    [
      BIN,
      'train',
      '--requests',
      '200',
      '--iters',
      '10',
      '--n-layer',
      '2',
      '--n-embd',
      '16',
      '--n-head',
      '2',
      '--block-size',
      '64',
      '--batch-size',
      '2',
      '--eval-iters',
      '1',
      '--out',
      model,
    ],
    { encoding: 'utf8', env: { ...process.env, JIELONG_THREADS: '1' } },
  );
  assert.equal(train.status, 0, train.stderr);
  const out = tool('steer', '--model', model, '--limit', '2', '--layer', '1');
  assert.equal((out.declined as { count: number }).count, 2);
  const pos = join(dir, 'pos.txt');
  const neg = join(dir, 'neg.txt');
  writeFileSync(pos, 'Ada Lin enjoys painting.\nThe pet of Ada Lin is a cat.\n');
  writeFileSync(neg, 'Ada Lin lives in Rivermouth.\nAda Lin works as a baker.\n');
  const r = lens(
    'steer',
    '--json',
    '--positive',
    pos,
    '--negative',
    neg,
    '--prompt',
    'Ada',
    '--max-tokens',
    '5',
    '--direction',
    'pca',
    '--scale',
    '4',
  );
  assert.equal(r.status, 0, r.stderr);
  const steered = JSON.parse(r.stdout);
  assert.equal(typeof steered.plain, 'string');
  assert.notEqual(steered.plain, steered.steered);
});

test('probe: faithfulness and causality per layer for a relation the model knows', () => {
  const out = tool('probe', '--relation', 'located_in', '--method', 'least-squares');
  const layers = out.layers as { faithfulness: number }[];
  assert.equal(layers.length, 4);
  for (const l of layers) assert.ok(l.faithfulness >= 0 && l.faithfulness <= 1);
  assert.match(lens('probe', '--relation', 'friend_of').stderr, /--relation must be one of/);
});

test('sae: train saves in SAELens layout and scores itself; eval of the saved one gives the same scores', () => {
  const saved = join(dir, 'sae');
  const trained = tool('sae', 'train', '--steps', '60', '--d-sae', '256', '--sae', saved);
  assert.equal(trained.hook, 'blocks.2.hook_resid_post');
  assert.equal(trained.l0, 8);
  assert.ok((trained.ce_loss_score as number) > 0.5, `ce_loss_score ${trained.ce_loss_score}`);
  assert.ok(existsSync(join(saved, 'cfg.json')) && existsSync(join(saved, 'sae_weights.safetensors')));
  const again = tool('sae', 'eval', '--sae', saved);
  for (const k of ['l0', 'explained_variance', 'ce_loss_score', 'kl_div_score', 'dead_features'])
    assert.equal(again[k], trained[k], k);
  const html = join(dir, 'pages.html');
  const pages = tool('sae', 'pages', '--sae', saved, '--features', '5', '--html', html);
  assert.equal((pages.features as number[]).length, 5);
  assert.equal(readFileSync(html, 'utf8').split('<section').length - 1, 5);
  const truth = tool('sae', 'truth', '--sae', saved);
  assert.equal((truth.concepts as { concept: string }[])[0].concept, 'person');
  for (const [args, message] of [
    [['sae'], /say train, eval, pages or truth/],
    [['sae', 'eval'], /--sae is required/],
    [
      ['sae', 'train', '--architecture', 'gated'],
      /--architecture must be one of standard, topk, jumprelu, got "gated"/,
    ],
    [['sae', 'eval', '--sae', join(dir, 'nowhere')], /cfg\.json: missing/],
  ] as const) {
    const r = lens(...args);
    assert.equal(r.status, 1, args.join(' '));
    assert.match(r.stderr, message);
  }
});

test('circuit: edge pruning and ACDC on born_in recall; the circuit and the curve drawn', () => {
  const out = tool('circuit', '--lambdas', '0.1,5', '--thresholds', '0.01,1', '--steps', '20');
  const pruning = out.pruning as { lambda: number; accuracy: number; kept: { edges: number } }[];
  const acdc = out.acdc as { threshold: number; kept: { edges: number } }[];
  assert.deepEqual(
    pruning.map((c) => c.lambda),
    [0.1, 5],
  );
  assert.ok(acdc[1].kept.edges <= acdc[0].kept.edges, 'a larger threshold keeps no more edges');
  assert.ok((out.facts as number) > 0);
  assert.match(readFileSync(join(dir, 'circuit.svg'), 'utf8'), /logits/);
  assert.match(readFileSync(join(dir, 'circuit-curve.svg'), 'utf8'), /ACDC/);
  const bad = lens('circuit', '--relation', 'friend_of');
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /--relation: "friend_of" is not one of born_in/);
  assert.match(
    lens('circuit', '--kinds', 'layers').stderr,
    /--kinds: "layers" is not one of edges, units, neurons/,
  );
});

test('patchscope: a share per layer for every reading; one source read at every layer', () => {
  const out = tool('patchscope');
  const rows = out.rows as {
    layer: number;
    name: number;
    echo: number;
    attribute: number;
    subjects: number;
  }[];
  assert.equal(rows.length, 5);
  for (const r of rows) {
    assert.equal(r.subjects, 39);
    for (const v of [r.name, r.echo, r.attribute]) assert.ok(v >= 0 && v <= 1);
  }
  const one = tool('patchscope', '--source', 'Jana Coyle', '--max-tokens', '3');
  assert.equal((one.rows as unknown[]).length, 5);
  assert.match(lens('patchscope', '--source', 'Jana', '--source-position', '9').stderr, /--source-position/);
});

test('backpatch: the two-hop questions per split, and every pair of layers', () => {
  const out = tool('backpatch');
  const splits = out.splits as Record<string, { questions: number; failures: number; fixed: number }>;
  assert.equal(splits.taught.questions + splits['held-out'].questions, 80);
  for (const s of Object.values(splits)) assert.ok(s.fixed <= s.failures);
  assert.equal((out.pairs as unknown[]).length, 10);
  assert.match(readFileSync(join(dir, 'backpatch.svg'), 'utf8'), /Back-patching/);
});
