// Each hostile checkpoint or training state of issue 9, reproduced: every one is refused in milliseconds
// with an error naming the file and the field, and nothing good is overwritten.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { safetensorsHeader, serializeSafetensors } from '../../src/io/index.js';
import { LanguageModel, makeConfig } from '../../src/model/index.js';
import { Tensor } from '../../src/tensor/index.js';
import { CharTokenizer } from '../../src/tokenizer/index.js';
import {
  DEFAULT_TRAIN_OPTIONS,
  loadCheckpoint,
  readLog,
  saveCheckpoint,
  type TrainOptions,
  train,
} from '../../src/train/index.js';

const root = mkdtempSync(join(tmpdir(), 'jielong-trust-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(root, `c${n++}`);

const text = 'the cat sat on the mat. the dog sat on the log. '.repeat(40);
const tokenizer = CharTokenizer.fromText(text);
const ids = Uint16Array.from(tokenizer.encode(text));
const [trainTokens, val] = [ids.subarray(0, 1600), ids.subarray(1600)];
const newModel = () =>
  new LanguageModel(
    makeConfig({ vocabSize: tokenizer.vocabSize, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 16 }),
    { seed: 3 },
  );
const options = (outDir: string, extra: Partial<TrainOptions> = {}): TrainOptions => ({
  ...DEFAULT_TRAIN_OPTIONS,
  maxIters: 4,
  batchSize: 2,
  blockSize: 16,
  warmupIters: 1,
  evalInterval: 4,
  evalIters: 1,
  outDir,
  ...extra,
});

/** A checkpoint saved by a 4-iteration run (every file, a 2-line log). */
async function trained(): Promise<string> {
  const dir = fresh();
  await train({ model: newModel(), tokenizer, train: trainTokens, val, options: options(dir) });
  return dir;
}

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** Replaces a file and its manifest entry, as a hand edit that recomputes the checksum would. */
function rewrite(dir: string, name: string, data: Buffer | string): void {
  writeFileSync(join(dir, name), data);
  const manifest = JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8'));
  manifest.files[name] = { bytes: Buffer.byteLength(data), sha256: sha(data) };
  writeFileSync(join(dir, 'checkpoint.json'), JSON.stringify(manifest));
}

function editJson(dir: string, name: string, edit: (v: Record<string, unknown>) => unknown): void {
  const v = JSON.parse(readFileSync(join(dir, name), 'utf8'));
  const out = edit(v);
  rewrite(dir, name, JSON.stringify(out === undefined ? v : out));
}

/** Throws matching `re` within `ms`. */
function refusedFast(fn: () => unknown, re: RegExp, ms = 2000): void {
  const t = performance.now();
  assert.throws(fn, re);
  assert.ok(performance.now() - t < ms, `took ${performance.now() - t} ms`);
}

test('config bombs are refused from the safetensors header, before anything is allocated', async () => {
  const good = await trained();
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ blockSize: 10_000_000 }, /config\.json: blockSize must be a positive integer up to/],
    [{ blockSize: 1000 }, /config\.json: describes a model larger .* \(config\.json blockSize 1000\)/],
    [{ nLayer: 1e9 }, /config\.json: nLayer must be a positive integer up to 1024/],
    [{ nLayer: 1000 }, /config\.json: describes a model larger .* nLayer 1000/],
    [{ vocabSize: 1e7 }, /config\.json: describes a model larger .* \(config\.json vocabSize 10000000\)/],
    [{ vocabSize: 1e8 }, /config\.json: vocabSize must be a positive integer up to/],
    [{ nEmbd: 32 }, /config\.json: describes a model larger .* \(config\.json nEmbd 32\)/],
    [
      { mlpHidden: 32 },
      /model\.safetensors: transformer\.h\.0\.mlp\.c_fc\.weight has shape \[64, 16\] but config\.json implies \[32, 16\]/,
    ],
    [{ mixer: 'mamba', mixerOptions: { mamba: { dState: 1e9 } } }, /config\.json: describes a model larger/],
  ];
  for (const [fields, re] of cases) {
    const dir = fresh();
    await train({
      model: newModel(),
      tokenizer,
      train: trainTokens,
      val,
      options: options(dir, { maxIters: 1, evalInterval: 1 }),
    });
    editJson(dir, 'config.json', (c) => Object.assign(c, fields));
    refusedFast(() => loadCheckpoint(dir), re, 500);
  }
  assert.ok(loadCheckpoint(good));
});

test('config.json is checked by its schema: types, ranges, required and unknown fields', async () => {
  const dir = await trained();
  const original = readFileSync(join(dir, 'config.json'), 'utf8');
  const cases: [(c: Record<string, unknown>) => void, RegExp][] = [
    [
      (c) => {
        c.bias = 'yes';
      },
      /config\.json: bias must be true or false, got "yes"/,
    ],
    [
      (c) => {
        c.tieEmbeddings = 'no';
      },
      /config\.json: tieEmbeddings must be true or false, got "no"/,
    ],
    [
      (c) => {
        c.mixerOptions = 'x';
      },
      /config\.json: mixerOptions must be settings per kind, got "x"/,
    ],
    [
      (c) => {
        delete c.normEps;
      },
      /config\.json: normEps must be a positive number, it is missing/,
    ],
    [
      (c) => {
        c.normEps = 'x';
      },
      /config\.json: normEps must be a positive number, got "x"/,
    ],
    [
      (c) => {
        c.colour = 'red';
      },
      /config\.json: unknown field "colour"/,
    ],
    [
      (c) => {
        c.mixer = 'transformer';
      },
      /config\.json: mixer must be a mixer kind/,
    ],
  ];
  for (const [edit, re] of cases) {
    rewrite(dir, 'config.json', original);
    editJson(dir, 'config.json', edit);
    refusedFast(() => loadCheckpoint(dir), re);
  }
});

test('the manifest cannot be bypassed, and is itself checked', async () => {
  const dir = await trained();
  const manifest = readFileSync(join(dir, 'checkpoint.json'), 'utf8');
  const weights = readFileSync(join(dir, 'model.safetensors'));
  const flipped = Buffer.from(weights);
  flipped[flipped.length - 5] ^= 0xff;
  writeFileSync(join(dir, 'model.safetensors'), flipped);
  const m = JSON.parse(manifest);
  const cases: [unknown, RegExp][] = [
    [{ ...m, files: {} }, /config\.json: is in the folder but not in checkpoint\.json/],
    [
      { ...m, files: { ...m.files, 'model.safetensors': undefined } },
      /model\.safetensors: is in the folder but not in checkpoint\.json/,
    ],
    [null, /checkpoint\.json: the manifest must be a JSON object, got null/],
    [{ ...m, files: 'x' }, /checkpoint\.json: files must map file names/],
    [{ ...m, files: { ...m.files, 'config.json': null } }, /checkpoint\.json: files\.config\.json/],
    [
      { ...m, files: { ...m.files, '../x': m.files['config.json'] } },
      /checkpoint\.json: files\.\.\.\/x is not an allowed key: must name checkpoint files/,
    ],
  ];
  for (const [value, re] of cases) {
    writeFileSync(join(dir, 'checkpoint.json'), JSON.stringify(value));
    refusedFast(() => loadCheckpoint(dir), re);
  }
  writeFileSync(join(dir, 'checkpoint.json'), manifest);
  assert.throws(() => loadCheckpoint(dir), /model\.safetensors: does not match its checksum/);
  rmSync(join(dir, 'checkpoint.json'));
  assert.throws(() => loadCheckpoint(dir), /checkpoint\.json: is missing.*--no-verify/);
  writeFileSync(join(dir, 'model.safetensors'), weights);
  assert.ok(loadCheckpoint(dir, { verify: false }).model);
});

test('a header of many empty tensors is refused before it is parsed', () => {
  const header: Record<string, unknown> = {};
  for (let i = 0; i < 200_000; i++) header[`t${i}`] = { dtype: 'F32', shape: [0], data_offsets: [0, 0] };
  const body = Buffer.from(JSON.stringify(header));
  const file = Buffer.alloc(8 + body.length);
  file.writeBigUInt64LE(BigInt(body.length));
  body.copy(file, 8);
  refusedFast(
    () => safetensorsHeader(file, 'flood.safetensors'),
    /flood\.safetensors: header holds more than 131072 tensors/,
    500,
  );
});

test('resume checks the optimizer and trainer state like the model', async () => {
  const good = await trained();
  const resume = (dir: string) =>
    train({
      model: newModel(),
      tokenizer,
      train: trainTokens,
      val,
      options: options(dir, { maxIters: 6 }),
      resume: loadCheckpoint(dir),
    });
  const copy = () => {
    const dir = fresh();
    spawnSync('cp', ['-r', good, dir]);
    return dir;
  };
  const moments = safetensorsHeader(readFileSync(join(good, 'optimizer.safetensors'))).tensors;
  const withMoments = (edit: (t: Map<string, Tensor>) => void, step = '4') => {
    const t = new Map(
      [...moments].map(([k, i]) => [
        k,
        new Tensor(new Float32Array(i.shape.reduce((a, b) => a * b, 1)), i.shape),
      ]),
    );
    edit(t);
    return Buffer.from(serializeSafetensors(t, { step }));
  };
  let dir = copy();
  rewrite(
    dir,
    'optimizer.safetensors',
    withMoments((t) => t.delete('transformer.wte.weight.exp_avg')),
  );
  assert.throws(
    () => loadCheckpoint(dir),
    /optimizer\.safetensors: has no tensor transformer\.wte\.weight\.exp_avg/,
  );
  dir = copy();
  rewrite(
    dir,
    'optimizer.safetensors',
    withMoments((t) => t.set('transformer.wte.weight.exp_avg', new Tensor(new Float32Array(3), [3]))),
  );
  assert.throws(
    () => loadCheckpoint(dir),
    /optimizer\.safetensors: transformer\.wte\.weight\.exp_avg has shape \[3\]/,
  );
  dir = copy();
  rewrite(
    dir,
    'optimizer.safetensors',
    withMoments(() => {}, 'abc'),
  );
  assert.throws(() => loadCheckpoint(dir), /optimizer\.safetensors: metadata step must be a whole number/);
  for (const [edit, re] of [
    [
      (s: Record<string, unknown>) => {
        s.iter = -5;
      },
      /trainer\.json: iter must be an integer >= 0, got -5/,
    ],
    [
      (s: Record<string, unknown>) => {
        s.options = null;
      },
      /trainer\.json: options must be the training options, got null/,
    ],
    [
      (s: Record<string, unknown>) => {
        (s.options as Record<string, unknown>).lr = 'abc';
      },
      /trainer\.json: options\.lr must be a number >= 0/,
    ],
  ] as const) {
    dir = copy();
    editJson(dir, 'trainer.json', edit);
    await assert.rejects(resume(dir), re);
  }
});

test('divergence stops the run with an error and never overwrites the good checkpoint', async () => {
  const dir = await trained();
  const before = readFileSync(join(dir, 'model.safetensors'));
  const log = readFileSync(join(dir, 'metrics.jsonl'), 'utf8');
  await assert.rejects(
    train({
      model: newModel(),
      tokenizer,
      train: trainTokens,
      val,
      options: options(dir, { lr: 1e4, warmupIters: 0, gradClip: 0, maxIters: 8, evalInterval: 8 }),
    }),
    /training diverged; the checkpoint in .* was left as it was/,
  );
  assert.deepEqual(readFileSync(join(dir, 'model.safetensors')), before);
  assert.equal(readFileSync(join(dir, 'metrics.jsonl'), 'utf8'), log);
  const model = newModel();
  model.transformer.wte.weight.data[0] = Number.NaN;
  assert.throws(
    () => saveCheckpoint(dir, { model, tokenizer }),
    /transformer\.wte\.weight holds NaN or infinite values; nothing was saved/,
  );
  assert.deepEqual(readFileSync(join(dir, 'model.safetensors')), before);
});

test("a failed fresh run leaves another run's checkpoint and log alone", async () => {
  const dir = await trained();
  const log = readFileSync(join(dir, 'metrics.jsonl'), 'utf8');
  assert.equal(readLog(join(dir, 'metrics.jsonl')).length, 3);
  await assert.rejects(
    train({
      model: newModel(),
      tokenizer,
      train: trainTokens,
      val: val.subarray(0, 5),
      options: options(dir),
    }),
    /the validation split has 5 tokens, too few for windows of 16/,
  );
  await assert.rejects(
    train({
      model: newModel(),
      tokenizer,
      train: trainTokens,
      val,
      options: options(dir, { blockSize: 100_000 }),
    }),
    /blockSize 100000 is longer than the model's context 16/,
  );
  assert.equal(readFileSync(join(dir, 'metrics.jsonl'), 'utf8'), log);
});

test('a save killed between its two renames is recovered by the next load, and its leftovers removed', async () => {
  const dir = await trained();
  const atomic = new URL('../../src/io/atomic.js', import.meta.url).href;
  // A child rewrites the folder and is killed (SIGKILL) right after the first rename moved the old one aside.
  const script = `
    import fs from 'node:fs';
    import { syncBuiltinESMExports } from 'node:module';
    const rename = fs.renameSync;
    fs.renameSync = (a, b) => { rename(a, b); if (String(b).endsWith('.old')) process.kill(process.pid, 'SIGKILL'); };
    syncBuiltinESMExports();
    const { writeDirAtomic } = await import(${JSON.stringify(atomic)});
    writeDirAtomic(${JSON.stringify(dir)}, { 'config.json': 'new' });
  `;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script]);
  assert.equal(run.signal, 'SIGKILL');
  assert.ok(!existsSync(dir), 'the kill left no folder at the path');
  const parent = join(dir, '..');
  const name = dir.slice(parent.length + 1);
  assert.equal(readdirSync(parent).filter((f) => f.startsWith(`.${name}.`)).length, 2); // .tmp and .old
  assert.ok(loadCheckpoint(dir).model);
  assert.deepEqual(
    readdirSync(parent).filter((f) => f.startsWith(`.${name}.`)),
    [],
  );
});
