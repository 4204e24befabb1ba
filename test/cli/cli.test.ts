// The command line end to end: train, resume, fine-tune, generate, eval, plot, Ctrl-C, and errors.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../../bin/jielong.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'jielong-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const small = [
  '--n-layer',
  '1',
  '--n-head',
  '2',
  '--n-embd',
  '16',
  '--block-size',
  '16',
  '--batch-size',
  '4',
  '--eval-iters',
  '2',
];

function jielong(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, JIELONG_THREADS: '1' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('train writes a checkpoint and metrics; resume continues; fine-tune starts from it', () => {
  const out = join(dir, 'run');
  const first = jielong('train', ...small, '--iters', '20', '--eval-interval', '10', '--out', out);
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, /iter +20\/20 +loss \d\.\d+ +lr [\d.e-]+ +[\d.]+k tok\/s +ETA/);
  assert.match(first.stdout, /eval +iter 20: train loss [\d.]+, val loss [\d.]+ \(2 batches of 4x16 each\)/);
  for (const f of [
    'model.safetensors',
    'config.json',
    'tokenizer.json',
    'optimizer.safetensors',
    'trainer.json',
    'checkpoint.json',
    'metrics.jsonl',
  ]) {
    assert.ok(existsSync(join(out, f)), `missing ${f}`);
  }
  const resumed = jielong('train', '--resume', '--iters', '30', '--out', out);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.match(resumed.stdout, /resuming .* at iter 20\/30/);
  assert.match(resumed.stdout, /done: 30 iters, val loss [\d.]+ \(2 batches of 4x16\); checkpoint in /);
  // Every flag is checked on --resume too; those the checkpoint fixes are an error, the rest stated overrides.
  const badFlags = jielong('train', '--out', out, '--resume', '--iters', '41', '--lr', 'abc');
  assert.equal(badFlags.status, 1);
  assert.match(badFlags.stderr, /--lr must be a number >= 0, got "abc"/);
  const fixed = jielong('train', '--out', out, '--resume', '--batch-size', '0', '--data', '/bin/ls');
  assert.equal(fixed.status, 1);
  assert.match(fixed.stderr, /--data cannot change on --resume/);
  const finished = jielong('train', '--out', out, '--resume');
  assert.equal(finished.status, 0);
  assert.match(finished.stdout, /nothing to do: the run in .* is finished \(iter 30 of 30\)/);
  assert.doesNotMatch(finished.stdout, /undefined/);

  const text = join(dir, 'new.txt');
  writeFileSync(text, 'Ada Lin was born in Rivermouth. '.repeat(50));
  const tuned = jielong(
    'train',
    '--init-from',
    out,
    '--data',
    text,
    '--iters',
    '5',
    '--eval-interval',
    '5',
    '--eval-iters',
    '2',
    '--batch-size',
    '4',
    '--out',
    join(dir, 'tuned'),
  );
  assert.equal(tuned.status, 0, tuned.stderr);
  assert.match(tuned.stdout, /fine-tuning .* on .*new\.txt/);
});

test('generate, eval and plot work on the checkpoint', () => {
  const out = join(dir, 'run');
  const gen = jielong('generate', '--model', out, '--prompt', 'Ada', '--max-tokens', '12', '--seed', '3');
  assert.equal(gen.status, 0, gen.stderr);
  assert.ok(gen.stdout.startsWith('Ada') && gen.stdout.length > 'Ada'.length, gen.stdout);
  assert.match(gen.stderr, /12 tokens in/);
  const dice = jielong(
    'generate',
    '--model',
    out,
    '--prompt',
    'Ada',
    '--max-tokens',
    '2',
    '--show-probs',
    '3',
    '--temperature',
    '0',
  );
  assert.match(dice.stdout, /\+ ".*" \(p=0\.\d\d\) +top 3: ".*" [\d.]+% +".*" [\d.]+% +".*" [\d.]+%/);
  const ev = jielong('eval', '--model', out, '--iters', '2', '--batch-size', '2');
  assert.equal(ev.status, 0, ev.stderr);
  assert.match(ev.stdout, /loss [\d.]+ nats\/token, perplexity [\d.]+, [\d.]+ bits\/char/);
  const plot = jielong('plot', out);
  assert.equal(plot.status, 0, plot.stderr);
  assert.match(readFileSync(join(out, 'loss.svg'), 'utf8'), /<svg[\s\S]*validation[\s\S]*<\/svg>/);
});

test('every loss figure says what it averaged; eval repeats the last evaluation of a run on its batches', () => {
  const out = join(dir, 'run');
  const evals = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { type: string; trainLoss: number; valLoss: number })
    .filter((e) => e.type === 'eval');
  const last = evals[evals.length - 1];
  // The run evaluated 2 batches of 4 windows of 16 tokens (--eval-iters 2, --batch-size 4, its context).
  const same = jielong('eval', '--model', out, '--iters', '2', '--batch-size', '4');
  assert.equal(same.status, 0, same.stderr);
  assert.match(same.stdout, /: \d+ train \/ \d+ validation tokens/);
  for (const [split, loss] of [
    ['train', last.trainLoss],
    ['val', last.valLoss],
  ] as const) {
    const line = `${split} loss ${loss.toFixed(4)} nats/token, perplexity [\\d.]+, [\\d.]+ bits/char \\(2 batches of 4x16\\)`;
    assert.match(same.stdout, new RegExp(line));
  }
  const byDefault = jielong('eval', '--model', out);
  assert.match(
    byDefault.stdout,
    /train loss [\d.]+ .* \(50 batches of 12x16\)\nval loss [\d.]+ .* \(50 batches of 12x16\)/,
  );

  const tooLong = jielong('eval', '--model', out, '--block-size', '64');
  assert.equal(tooLong.status, 1);
  assert.match(tooLong.stderr, /--block-size 64 is longer than the model's context \(16 tokens\)/);
  assert.equal(tooLong.stdout, '');
});

test('Ctrl-C saves a checkpoint and exits cleanly, and --resume picks it up', async () => {
  const out = join(dir, 'interrupted');
  const child = spawn(
    process.execPath,
    [BIN, 'train', ...small, '--iters', '100000', '--eval-interval', '100000', '--out', out],
    {
      env: { ...process.env, JIELONG_THREADS: '1' },
    },
  );
  let stdout = '';
  child.stdout.on('data', (d) => {
    stdout += d;
    if (/iter +\d+\/100000/.test(stdout) && !child.killed) child.kill('SIGINT');
  });
  const code = await new Promise((resolve) => child.on('exit', resolve));
  assert.equal(code, 0, stdout);
  assert.match(stdout, /stopped at iter \d+; checkpoint in .* \(continue with --resume\)/);
  const trainer = JSON.parse(readFileSync(join(out, 'trainer.json'), 'utf8')) as { iter: number };
  assert.ok(trainer.iter > 0 && trainer.iter < 100000);
});

test('any mixer trains, checkpoints and generates from the CLI (a Mamba and attention hybrid)', () => {
  const out = join(dir, 'hybrid');
  const trained = jielong(
    'train',
    ...small,
    '--n-layer',
    '2',
    '--mixer',
    'mamba,attention',
    '--iters',
    '4',
    '--eval-interval',
    '4',
    '--out',
    out,
  );
  assert.equal(trained.status, 0, trained.stderr);
  const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { mixer: string[] };
  assert.deepEqual(config.mixer, ['mamba', 'attention']);
  const gen = jielong('generate', '--model', out, '--prompt', 'Ada', '--max-tokens', '8');
  assert.equal(gen.status, 0, gen.stderr);
  assert.match(gen.stderr, /8 tokens in/);
  assert.match(jielong('train', '--mixer', 'transformer').stderr, /--mixer: unknown mixer "transformer"/);
});

test('bad input gets a clear error and a non-zero exit', () => {
  const unknown = jielong('frobnicate');
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /unknown command "frobnicate"/);
  const badNumber = jielong('train', '--iters', 'many');
  assert.equal(badNumber.status, 1);
  assert.match(badNumber.stderr, /--iters must be an integer >= 1, got "many"/);
  const missing = jielong('generate', '--model', join(dir, 'nowhere'));
  assert.match(missing.stderr, /no checkpoint at .*nowhere/);
  const noFile = jielong('train', '--data', join(dir, 'nope.txt'));
  assert.match(noFile.stderr, /nope\.txt/);
  // Negative values reach the checks (not "argument is ambiguous"); one line each, naming the flag.
  for (const [args, re] of [
    [['train', '--iters', '-5'], /^jielong: --iters must be an integer >= 1, got "-5"\n$/],
    [['train', '--seed', '-1'], /^jielong: --seed must be an integer >= 0, got "-1"\n$/],
    [['generate', '--temperature', '-1'], /^jielong: --temperature must be a number >= 0, got "-1"\n$/],
    [['generate', '--top-k', '-1'], /^jielong: --top-k must be an integer >= 0, got "-1"\n$/],
    [['train', '--frob'], /^jielong: unknown option --frob \(jielong train --help lists the options\)\n$/],
  ] as const) {
    const r = jielong(...args);
    assert.equal(r.status, 1);
    assert.match(r.stderr, re);
  }
  const badJson = join(dir, 'bad.json');
  writeFileSync(badJson, '{x');
  assert.match(jielong('train', '--config', badJson).stderr, /--config .*bad\.json: not valid JSON/);
  writeFileSync(badJson, '{"bias": "yes"}');
  assert.match(
    jielong('train', '--config', badJson).stderr,
    /--config .*bad\.json: bias must be true or false/,
  );
  for (const [flag, value, re] of [
    ['--top-p', '2', /--top-p must be a number in \(0, 1\], got "2"/],
    ['--min-p', '2', /--min-p must be a number in \[0, 1\], got "2"/],
    ['--stop', '', /--stop must be non-empty text/],
  ] as const) {
    const r = jielong('generate', '--model', join(dir, 'run'), '--prompt', 'Ada', flag, value);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, ''); // refused before the prompt is echoed
    assert.match(r.stderr, re);
  }
  const empty = join(dir, 'empty.txt');
  writeFileSync(empty, '');
  assert.match(
    jielong('eval', '--model', join(dir, 'run'), '--data', empty).stderr,
    /--data .*empty\.txt: its validation split \(the last 10%\) has 0 tokens/,
  );
  for (const cmd of ['train', 'generate', 'eval', 'plot', 'demo', 'info', 'merge', 'edit']) {
    const help = jielong(cmd, '--help');
    assert.equal(help.status, 0);
    assert.match(help.stdout, new RegExp(`usage: jielong ${cmd}`));
  }
});
