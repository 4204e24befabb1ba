// Reads hostile tokenizer.json objects, seeded: the Hugging Face-built fixtures (test/fixtures/tokenizers)
// with one to three fields set to wrong types, bombs, out-of-range ids, broken regexes or removed, and GGUF
// vocabularies (SentencePieceBPE.fromScores) with spoiled scores, types and ids. Each must load or fail
// with a plain Error saying what is wrong, never a TypeError or RangeError from deep inside, and never
// take long; one that loads must encode and decode text. Runs in-process (a case is milliseconds).
// `npm run fuzz:tokenizers -- --cases 5000 --seed 1`; test/tokenizer/fuzz.test.ts runs a slice.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Generator } from '../src/tensor/index.js';
import { SentencePieceBPE, type Tokenizer, tokenizerFromJSON } from '../src/tokenizer/index.js';
import { flag, pick } from './fuzz-common.js';

const FIXTURES = 'test/fixtures/tokenizers';
const SLOW_MS = 2000;
const TEXTS = ['hello world', '  x\n\ty 123 接龙 👍🏽', '<s>a</s><|endoftext|>', ''];

/** Hostile values for any field. */
const HOSTILE: unknown[] = [
  null,
  true,
  0,
  -1,
  1.5,
  1e9,
  1e308,
  Number.MAX_SAFE_INTEGER,
  '',
  'x',
  '▁',
  [],
  [1, 2],
  ['a', 'b', 'c'],
  {},
  { type: 'Sequence' },
  { type: 'Sequence', pretokenizers: [{}] },
  { Regex: '(' },
  { Regex: '(?<=a)b|\\' },
  { String: '' },
  { '<s>': { id: '<s>', ids: [1e9], tokens: [] } },
];

export interface TokenizerFuzzReport {
  loaded: number;
  refused: number;
  /** Cases that threw something other than a plain Error with a message. */
  unclean: string[];
  slow: string[];
}

type Json = Record<string, unknown> | unknown[];

/** A random field path into `value`: object keys or array indices, stopping at a random depth. */
function randomPath(value: unknown, rng: Generator): (string | number)[] {
  const path: (string | number)[] = [];
  while (typeof value === 'object' && value !== null && (path.length === 0 || rng.random() < 0.6)) {
    const keys: (string | number)[] = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
    if (keys.length === 0) break;
    const key = pick(rng, keys);
    path.push(key);
    value = (value as Record<string | number, unknown>)[key];
  }
  return path;
}

function mutate(json: Json, rng: Generator): string {
  const path = randomPath(json, rng);
  let parent = json as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (rng.random() < 0.15 && !Array.isArray(parent)) {
    delete parent[last];
    return `delete ${path.join('.')}`;
  }
  const value = pick(rng, HOSTILE);
  parent[last] = structuredClone(value);
  return `${path.join('.')} = ${JSON.stringify(value)}`;
}

function fixtureFiles(): { name: string; json: Json }[] {
  return readdirSync(FIXTURES, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => ({
      name: d.name,
      json: JSON.parse(readFileSync(join(FIXTURES, d.name, 'tokenizer.json'), 'utf8')),
    }));
}

/** Builds from a spoiled GGUF vocabulary: tokens, scores and types arrays with hostile entries. */
function ggufCase(rng: Generator): { what: string; build: () => Tokenizer } {
  const gguf = JSON.parse(readFileSync(join(FIXTURES, 'llama-legacy', 'gguf.json'), 'utf8'));
  const key = pick(rng, ['tokens', 'scores', 'types', 'bos', 'eos', 'unk']);
  let what: string;
  if (Array.isArray(gguf[key]) && rng.random() < 0.8) {
    const i = rng.randint(gguf[key].length + 2);
    gguf[key][i] = pick(rng, HOSTILE);
    what = `gguf ${key}[${i}] = ${JSON.stringify(gguf[key][i])}`;
  } else {
    gguf[key] = pick(rng, HOSTILE);
    what = `gguf ${key} = ${JSON.stringify(gguf[key])}`;
  }
  return {
    what,
    build: () => SentencePieceBPE.fromScores(gguf.tokens, gguf.scores, gguf.types, gguf),
  };
}

export function fuzzTokenizers(cases: number, seed: number): TokenizerFuzzReport {
  const rng = new Generator(seed);
  const files = fixtureFiles();
  const report: TokenizerFuzzReport = { loaded: 0, refused: 0, unclean: [], slow: [] };
  for (let c = 0; c < cases; c++) {
    let what: string;
    let build: () => Tokenizer;
    if (rng.random() < 0.2) ({ what, build } = ggufCase(rng));
    else {
      const file = pick(rng, files);
      const json = structuredClone(file.json);
      const edits = Array.from({ length: 1 + rng.randint(3) }, () => mutate(json, rng));
      what = `${file.name}: ${edits.join('; ')}`;
      build = () => tokenizerFromJSON(json);
    }
    const start = performance.now();
    try {
      const tok = build();
      for (const text of TEXTS) tok.decodeBytes(tok.encode(text));
      report.loaded++;
    } catch (e) {
      if (e instanceof Error && e.constructor === Error && e.message.length > 0) report.refused++;
      else report.unclean.push(`${what}: ${String(e)}`);
    }
    if (performance.now() - start > SLOW_MS) report.slow.push(what);
  }
  return report;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = fuzzTokenizers(flag('cases', 2000), flag('seed', 1));
  console.log(JSON.stringify(r, null, 2));
  if (r.unclean.length || r.slow.length) process.exitCode = 1;
}
