// Loads hostile checkpoint folders, seeded: a small trained checkpoint (model, optimizer and trainer state,
// char tokenizer) with one mutation each: flipped or cut bytes, config fields set to bombs or wrong types,
// manifests emptied or spoiled, optimizer moments dropped or cut, trainer state out of range, safetensors
// headers with wrong shapes or a flood of empty tensors, tokenizer.json spoiled, a save killed between its
// renames. Hand edits get their checksums recomputed, as an attacker would. Each case loads (and resumes,
// when it has training state) in a child process with a 5 s limit and a 512 MB heap; it must load or fail
// with an error that names the mutated file, never crash, hang or accept damaged bytes.
// `npm run fuzz:checkpoints -- --cases 2000 --seed 1`; test/train/checkpoint-fuzz.test.ts runs a slice.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { safetensorsHeader, serializeSafetensors } from '../src/io/index.js';
import { LanguageModel, makeConfig } from '../src/model/index.js';
import { Generator, Tensor } from '../src/tensor/index.js';
import { CharTokenizer } from '../src/tokenizer/index.js';
import {
  checked,
  loadCheckpoint,
  makeOptimizer,
  restoreOptimizer,
  saveCheckpoint,
  TRAINER_STATE_SCHEMA,
  type TrainerState,
} from '../src/train/index.js';
import { sha256 } from '../src/train/manifest.js';
import { DEFAULT_TRAIN_OPTIONS } from '../src/train/trainer.js';
import { flag, HOSTILE_VALUES, pick, plantHostile } from './fuzz-common.js';

const TIME_LIMIT_MS = 5000;
const HEAP_LIMIT_MB = 512;

type Files = Map<string, Buffer>;
/** A mutation edits the folder's files; it says which file it damaged and whether a checksum still guards it. */
type Mutation = (files: Files, rng: Generator) => { file: string; guarded: boolean; what: string };

const json = (b: Buffer) => JSON.parse(b.toString('utf8'));
const text = (v: unknown) => Buffer.from(JSON.stringify(v));

/** Hostile values for any JSON field. */
const HOSTILE: unknown[] = [...HOSTILE_VALUES, 1e8, -5, { a: 1 }];

function recomputeManifest(files: Files, except?: string): void {
  const m = json(files.get('checkpoint.json')!);
  for (const name of Object.keys(m.files)) {
    if (name === except || !files.has(name)) continue;
    m.files[name] = { bytes: files.get(name)!.length, sha256: sha256(files.get(name)!) };
  }
  files.set('checkpoint.json', text(m));
}

/** Sets a (possibly nested) field of a JSON file to a hostile value, or deletes it, or adds an unknown one. */
function editJson(file: string): Mutation {
  return (files, rng) => {
    const root = json(files.get(file)!);
    const path = plantHostile(root, rng, HOSTILE, 0.5);
    files.set(file, text(root));
    recomputeManifest(files);
    return { file, guarded: false, what: `edit ${file}${path}` };
  };
}

function flipBytes(files: Files, rng: Generator) {
  const file = pick(
    rng,
    [...files.keys()].filter((f) => f !== 'metrics.jsonl'),
  );
  const b = Buffer.from(files.get(file)!);
  const n = 1 + rng.randint(4);
  for (let i = 0; i < n; i++) b[rng.randint(b.length)] ^= 1 + rng.randint(255);
  files.set(file, b);
  return { file, guarded: file !== 'checkpoint.json', what: `flip ${n} bytes of ${file}` };
}

function cut(files: Files, rng: Generator) {
  const file = pick(
    rng,
    [...files.keys()].filter((f) => f !== 'metrics.jsonl'),
  );
  const b = files.get(file)!;
  files.set(file, b.subarray(0, rng.randint(b.length)));
  return { file, guarded: file !== 'checkpoint.json', what: `truncate ${file}` };
}

function spoilManifest(files: Files, rng: Generator) {
  const m = json(files.get('checkpoint.json')!);
  const choices: [string, () => unknown][] = [
    ['null', () => null],
    ['files {}', () => ({ ...m, files: {} })],
    ['files "x"', () => ({ ...m, files: 'x' })],
    ['a null entry', () => ({ ...m, files: { ...m.files, 'model.safetensors': null } })],
    ['no model entry', () => ({ ...m, files: { ...m.files, 'model.safetensors': undefined } })],
    ['an entry outside the folder', () => ({ ...m, files: { ...m.files, '../x': m.files['config.json'] } })],
    ['another format', () => ({ ...m, format: 'x' })],
    [
      'bytes "x"',
      () => ({ ...m, files: { ...m.files, 'config.json': { ...m.files['config.json'], bytes: 'x' } } }),
    ],
  ];
  const [what, make] = pick(rng, choices);
  files.set('checkpoint.json', text(make()));
  // Whatever the manifest says, the model bytes are damaged too: a bypass would load them.
  const model = Buffer.from(files.get('model.safetensors')!);
  model[model.length - 1 - rng.randint(64)] ^= 0x40;
  files.set('model.safetensors', model);
  return { file: 'checkpoint.json', guarded: true, what: `manifest: ${what}` };
}

/** Rewrites a safetensors file through its parsed header: shapes, dtypes, names, or a flood of empty tensors. */
function spoilSafetensors(files: Files, rng: Generator) {
  const file = pick(rng, ['model.safetensors', 'optimizer.safetensors']);
  const bytes = files.get(file)!;
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  const name = pick(rng, names);
  const r = rng.randint(6);
  let what: string;
  if (r === 0) {
    for (let i = 0; i < 150_000; i++) header[`e${i}`] = { dtype: 'F32', shape: [0], data_offsets: [0, 0] };
    what = 'a flood of 150,000 empty tensors';
  } else if (r === 1) {
    header[name].shape = [...header[name].shape].reverse().concat(rng.randint(3) + 1);
    what = `shape of ${name}`;
  } else if (r === 2) {
    header[name].dtype = pick(rng, ['F16', 'I32', 'BOOL', 'F64', 'X']);
    what = `dtype of ${name}`;
  } else if (r === 3) {
    header[`${name}x`] = header[name];
    delete header[name];
    what = `rename ${name}`;
  } else if (r === 4) {
    header.__metadata__ = pick(rng, [{ step: 'abc' }, { step: '-1' }, {}, { step: '1e400' }, null]);
    what = 'metadata';
  } else {
    header[name].data_offsets = pick(rng, [
      [0, 1e15],
      [-1, 4],
      ['a', 1],
      [4, 0],
    ]);
    what = `offsets of ${name}`;
  }
  const body = Buffer.from(JSON.stringify(header));
  const out = Buffer.alloc(8 + body.length + (bytes.length - 8 - n));
  out.writeBigUInt64LE(BigInt(body.length), 0);
  body.copy(out, 8);
  bytes.copy(out, 8 + body.length, 8 + n);
  files.set(file, out);
  recomputeManifest(files);
  return { file, guarded: false, what: `${file}: ${what}` };
}

/** Optimizer moments dropped or cut short, with valid checksums. */
function spoilMoments(files: Files, rng: Generator) {
  const file = 'optimizer.safetensors';
  const header = safetensorsHeader(files.get(file)!).tensors;
  const tensors = new Map<string, Tensor>();
  for (const [name, info] of header)
    tensors.set(name, new Tensor(new Float32Array(info.shape.reduce((a, b) => a * b, 1)), info.shape));
  const victim = pick(rng, [...tensors.keys()]);
  if (rng.random() < 0.5) tensors.delete(victim);
  else tensors.set(victim, new Tensor(new Float32Array(1), [1]));
  files.set(file, Buffer.from(serializeSafetensors(tensors, { step: pick(rng, ['3', 'abc', '-2', '']) })));
  recomputeManifest(files);
  return { file, guarded: false, what: `moments: ${victim}` };
}

function removeFile(files: Files, rng: Generator) {
  const file = pick(
    rng,
    [...files.keys()].filter((f) => f !== 'metrics.jsonl'),
  );
  files.delete(file);
  return { file, guarded: true, what: `remove ${file}` };
}

const MUTATIONS: [Mutation, number][] = [
  [flipBytes, 3],
  [cut, 2],
  [editJson('config.json'), 4],
  [editJson('trainer.json'), 3],
  [editJson('tokenizer.json'), 2],
  [spoilManifest, 2],
  [spoilSafetensors, 3],
  [spoilMoments, 2],
  [removeFile, 1],
];

/** The item whose share of the weights' total holds `r`. */
function weighted<T>(items: readonly [T, number][], r: number): T {
  let left = r;
  for (const [item, w] of items) {
    if (left < w) return item;
    left -= w;
  }
  return items[items.length - 1][0];
}

/** A small checkpoint with every file, saved after two optimizer steps. */
function baseCheckpoint(dir: string): void {
  const tokenizer = CharTokenizer.fromText('abcdefghij klmnop');
  const mixer = 'attention';
  const model = new LanguageModel(
    makeConfig({ vocabSize: tokenizer.vocabSize, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 16, mixer }),
    { seed: 1 },
  );
  const options = { ...DEFAULT_TRAIN_OPTIONS, blockSize: 8, batchSize: 2, outDir: dir };
  const optimizer = makeOptimizer(model, options);
  for (let i = 0; i < 2; i++) {
    for (const p of model.parameters()) p.grad = new Tensor(new Float32Array(p.numel()).fill(0.01), p.shape);
    optimizer.step();
  }
  const g = new Generator(3).getState();
  const trainer: TrainerState = {
    iter: 2,
    elapsed: 1,
    sampler: { generator: g, tokens: 100, blockSize: 8, batchSize: 2 },
    dropout: g,
    options,
  };
  saveCheckpoint(dir, {
    model,
    tokenizer,
    optimizer,
    trainer: { ...trainer, source: { kind: 'builtin', seed: 1 } },
  });
}

/** The child: loads the folder (resuming its optimizer and trainer state) and reports on stdout. */
function child(dir: string): void {
  let report: Record<string, unknown>;
  try {
    const ckpt = loadCheckpoint(dir);
    if (ckpt.trainer !== null)
      checked(TRAINER_STATE_SCHEMA, ckpt.trainer, `checkpoint ${dir}: trainer.json`, 'the state');
    if (ckpt.optimizer)
      restoreOptimizer(makeOptimizer(ckpt.model, DEFAULT_TRAIN_OPTIONS), ckpt.model, ckpt.optimizer);
    report = { ok: true };
  } catch (e) {
    report = { ok: false, error: e instanceof Error ? e.message : String(e), isError: e instanceof Error };
  }
  report.rss = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(JSON.stringify(report));
}

export interface CheckpointFuzzReport {
  cases: number;
  loaded: number;
  refused: number;
  crashes: string[];
  hangs: string[];
  /** Damaged bytes under a checksum that loaded anyway. */
  accepted: string[];
  /** Errors that do not name the file the case damaged. */
  unnamed: string[];
  peakRss: number;
  slowestMs: number;
}

export function fuzzCheckpoints(cases: number, seed: number): CheckpointFuzzReport {
  const root = mkdtempSync(join(tmpdir(), 'jielong-fuzz-ckpt-'));
  const report: CheckpointFuzzReport = {
    cases,
    loaded: 0,
    refused: 0,
    crashes: [],
    hangs: [],
    accepted: [],
    unnamed: [],
    peakRss: 0,
    slowestMs: 0,
  };
  try {
    const base = join(root, 'base');
    baseCheckpoint(base);
    const names = [
      'model.safetensors',
      'config.json',
      'tokenizer.json',
      'optimizer.safetensors',
      'trainer.json',
      'checkpoint.json',
      'metrics.jsonl',
    ];
    const rng = new Generator(seed);
    const total = MUTATIONS.reduce((n, [, w]) => n + w, 0);
    for (let c = 0; c < cases; c++) {
      const dir = join(root, `case${c}`);
      let kind: { file: string; guarded: boolean; what: string };
      const r = rng.randint(total + 1);
      if (r === total) {
        // A save killed between its renames: only the previous checkpoint, aside under its hidden name.
        mkdirSync(root, { recursive: true });
        cpSync(base, join(root, `.case${c}.999999999.0123456789ab.old`), { recursive: true });
        kind = { file: 'checkpoint', guarded: false, what: 'save killed between renames' };
      } else {
        const files: Files = new Map(
          names.flatMap((n) => {
            try {
              return [[n, readFileSync(join(base, n))]] as [string, Buffer][];
            } catch {
              return [];
            }
          }),
        );
        const mutation = weighted(MUTATIONS, r);
        kind = mutation(files, rng);
        mkdirSync(dir);
        for (const [n, b] of files) writeFileSync(join(dir, n), b);
      }
      const started = performance.now();
      const run = spawnSync(
        process.execPath,
        [`--max-old-space-size=${HEAP_LIMIT_MB}`, fileURLToPath(import.meta.url), '--child', dir],
        {
          encoding: 'utf8',
          timeout: TIME_LIMIT_MS,
          killSignal: 'SIGKILL',
        },
      );
      const ms = performance.now() - started;
      report.slowestMs = Math.max(report.slowestMs, ms);
      const label = `case ${c} (${kind.what})`;
      if (run.error || run.signal) {
        (run.signal === 'SIGKILL' && ms >= TIME_LIMIT_MS - 100 ? report.hangs : report.crashes).push(
          `${label}: ${run.signal ?? run.error}`,
        );
      } else {
        let out: { ok: boolean; error?: string; isError?: boolean; rss: number } | null = null;
        try {
          out = JSON.parse(run.stdout);
        } catch {
          /* reported below */
        }
        if (!out || run.status !== 0)
          report.crashes.push(`${label}: exit ${run.status} ${run.stderr.slice(-300)}`);
        else {
          report.peakRss = Math.max(report.peakRss, out.rss);
          if (out.ok) {
            report.loaded++;
            if (kind.guarded) report.accepted.push(label);
          } else {
            report.refused++;
            if (!out.isError) report.crashes.push(`${label}: threw a non-Error ${out.error}`);
            else if (
              !names.some(
                (n) => out.error!.includes(n) && (n === kind.file || kind.file === 'checkpoint.json'),
              ) &&
              !out.error!.includes(kind.file)
            )
              report.unnamed.push(`${label}: ${out.error}`);
          }
        }
      }
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return report;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === '--child') child(process.argv[3]);
  else {
    const r = fuzzCheckpoints(flag('cases', 500), flag('seed', 1));
    console.log(JSON.stringify(r, null, 2));
    if (
      r.crashes.length ||
      r.hangs.length ||
      r.accepted.length ||
      r.unnamed.length ||
      r.peakRss > HEAP_LIMIT_MB * 2 ** 20
    )
      process.exitCode = 1;
  }
}
