// Reads hostile Hugging Face folders, seeded: the PyTorch-written fixtures (test/fixtures/hf: GPT-2, sharded
// BF16 Llama with GQA, F16 Qwen2) with one mutation each: config.json values set to bombs or wrong types,
// deleted or nested ones spoiled; safetensors headers with wrong shapes, dtypes, names, offsets or a flood
// of tensors; flipped or cut bytes; a spoiled shard index or tokenizer.json. Each must load or fail with a
// plain Error naming the folder and a file in it: never a TypeError or RangeError from deep inside, never
// a huge allocation, never slow (the slowest case is reported). In-process, so thousands run in seconds.
// `npm run fuzz:hf -- --cases 5000 --seed 1`; test/interop/hf-fuzz.test.ts runs a slice.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importHF } from '../src/interop/hf/index.js';
import { Generator } from '../src/tensor/index.js';
import { flag, HOSTILE_VALUES, pick, plantHostile } from './fuzz-common.js';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/hf/', import.meta.url));
const BASES = ['gpt2', 'llama', 'qwen2'];

type Files = Map<string, Buffer>;
type Mutation = (files: Files, rng: Generator) => string;

const text = (v: unknown) => Buffer.from(JSON.stringify(v));

/** Hostile values for any JSON field, and some that are nearly right for HF's. */
const HOSTILE: unknown[] = [
  ...HOSTILE_VALUES,
  3,
  'default',
  { rope_type: 'llama3', factor: 8 },
  { type: 'linear', factor: -1 },
];

/** Sets a (possibly nested) field of a JSON file to a hostile value, deletes it, or adds an unknown one. */
function editJson(file: string): Mutation {
  return (files, rng) => {
    const name = file === 'shard index' ? 'model.safetensors.index.json' : file;
    const raw = files.get(name);
    if (!raw) return `no ${name} to edit`;
    const root = JSON.parse(raw.toString('utf8'));
    const path = plantHostile(root, rng, HOSTILE, 0.6);
    files.set(name, text(root));
    return `edit ${name}${path}`;
  };
}

const safetensorsFiles = (files: Files) => [...files.keys()].filter((f) => f.endsWith('.safetensors'));

/** Rewrites a safetensors header: a shape, dtype, name or offsets changed, or a flood of empty tensors. */
function spoilHeader(files: Files, rng: Generator): string {
  const file = pick(rng, safetensorsFiles(files));
  const bytes = files.get(file) as Buffer;
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
  const name = pick(
    rng,
    Object.keys(header).filter((k) => k !== '__metadata__'),
  );
  const r = rng.randint(6);
  let what: string;
  if (r === 0) {
    for (let i = 0; i < 150_000; i++) header[`e${i}`] = { dtype: 'F32', shape: [0], data_offsets: [0, 0] };
    what = 'a flood of empty tensors';
  } else if (r === 1) {
    header[name].shape = pick(rng, [
      [...header[name].shape].reverse(),
      [2 ** 20, 2 ** 20],
      [0],
      [-1],
      [1e308],
      'x',
    ]);
    what = `shape of ${name}`;
  } else if (r === 2) {
    header[name].dtype = pick(rng, ['F16', 'BF16', 'F32', 'I64', 'BOOL', 'F64', 'X', 7]);
    what = `dtype of ${name}`;
  } else if (r === 3) {
    header[`${name}x`] = header[name];
    delete header[name];
    what = `rename ${name}`;
  } else if (r === 4) {
    header[name].data_offsets = pick(rng, [[0, 1e15], [-1, 4], ['a', 1], [4, 0], [0]]);
    what = `offsets of ${name}`;
  } else {
    header[name] = pick(rng, [null, 1, 'x', []]);
    what = `entry of ${name}`;
  }
  const body = Buffer.from(JSON.stringify(header));
  const out = Buffer.alloc(8 + body.length + (bytes.length - 8 - n));
  out.writeBigUInt64LE(BigInt(body.length), 0);
  body.copy(out, 8);
  bytes.copy(out, 8 + body.length, 8 + n);
  files.set(file, out);
  return `${file}: ${what}`;
}

function flipBytes(files: Files, rng: Generator): string {
  const file = pick(rng, [...files.keys()]);
  const b = Buffer.from(files.get(file) as Buffer);
  const count = 1 + rng.randint(4);
  // Half the time in the first bytes, where a length prefix or header lives.
  for (let i = 0; i < count; i++)
    b[rng.randint(rng.random() < 0.5 ? Math.min(64, b.length) : b.length)] ^= 1 + rng.randint(255);
  files.set(file, b);
  return `flip ${count} bytes of ${file}`;
}

function cut(files: Files, rng: Generator): string {
  const file = pick(rng, [...files.keys()]);
  const b = files.get(file) as Buffer;
  files.set(file, b.subarray(0, rng.randint(b.length)));
  return `truncate ${file}`;
}

function removeFile(files: Files, rng: Generator): string {
  const file = pick(rng, [...files.keys()]);
  files.delete(file);
  return `remove ${file}`;
}

const MUTATIONS: [Mutation, number][] = [
  [editJson('config.json'), 5],
  [spoilHeader, 4],
  [flipBytes, 3],
  [cut, 2],
  [editJson('shard index'), 1],
  [editJson('tokenizer.json'), 1],
  [editJson('tokenizer_config.json'), 1],
  [removeFile, 1],
];

function weighted<T>(items: readonly [T, number][], r: number): T {
  let left = r;
  for (const [item, w] of items) {
    if (left < w) return item;
    left -= w;
  }
  return items[items.length - 1][0];
}

export interface HFFuzzReport {
  cases: number;
  loaded: number;
  refused: number;
  /** Anything thrown that is not a plain Error naming the folder and one of its files. */
  unclean: string[];
  slowestMs: number;
  slowest: string;
  peakRss: number;
}

export function fuzzHF(cases: number, seed: number): HFFuzzReport {
  const root = mkdtempSync(join(tmpdir(), 'jielong-fuzz-hf-'));
  const report: HFFuzzReport = {
    cases,
    loaded: 0,
    refused: 0,
    unclean: [],
    slowestMs: 0,
    slowest: '',
    peakRss: 0,
  };
  const bases = new Map(
    BASES.map((b): [string, Files] => [
      b,
      new Map(readdirSync(join(FIXTURES, b)).map((f) => [f, readFileSync(join(FIXTURES, b, f))])),
    ]),
  );
  const rng = new Generator(seed);
  const total = MUTATIONS.reduce((n, [, w]) => n + w, 0);
  try {
    for (let c = 0; c < cases; c++) {
      const base = pick(rng, BASES);
      const files: Files = new Map(bases.get(base));
      const what = `case ${c} (${base}: ${weighted(MUTATIONS, rng.randint(total))(files, rng)})`;
      const dir = join(root, `case${c}`);
      mkdirSync(dir);
      for (const [name, bytes] of files) writeFileSync(join(dir, name), bytes);
      const started = performance.now();
      try {
        importHF(dir);
        report.loaded++;
      } catch (e) {
        report.refused++;
        const message = e instanceof Error ? e.message : String(e);
        const named = message.includes(dir) && [...bases.get(base)!.keys()].some((f) => message.includes(f));
        if (!(e instanceof Error) || e.constructor !== Error || !named)
          report.unclean.push(`${what}: ${(e as Error)?.constructor?.name} ${message.slice(0, 300)}`);
      }
      const ms = performance.now() - started;
      if (ms > report.slowestMs) {
        report.slowestMs = ms;
        report.slowest = what;
      }
      report.peakRss = Math.max(report.peakRss, process.memoryUsage().rss);
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return report;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = fuzzHF(flag('cases', 3000), flag('seed', 1));
  console.log(JSON.stringify(r, null, 2));
  if (r.unclean.length || r.slowestMs > 2000 || r.peakRss > 1024 * 2 ** 20) process.exitCode = 1;
}
