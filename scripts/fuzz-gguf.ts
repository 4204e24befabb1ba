// Imports hostile GGUF files, seeded: a small exported llama (tokenizer, chat template, F32 and Q8_0
// tensors) or gpt2 (F32 and F16), in turn, with one mutation each: truncated, bytes flipped, or a u32/u64 of the header (counts, string
// and array lengths, dims, types, offsets; the tensor infos most often) overwritten with a lie. Each must
// import or fail with an Error that names the file, quickly, without a large allocation.
// `npm run fuzz:gguf -- --cases 5000 --seed 1`; test/io/gguf-fuzz.test.ts runs a slice.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ggufOf, importGGUF } from '../src/interop/gguf/index.js';
import { readGGUFHeader, writeGGUF } from '../src/io/index.js';
import { LanguageModel, makeConfig, type Preset } from '../src/model/index.js';
import { Generator } from '../src/tensor/index.js';
import { ByteLevelBPE } from '../src/tokenizer/index.js';
import { flag } from './fuzz-common.js';

const SLOW_MS = 2000;

export interface GGUFFuzzReport {
  loaded: number;
  refused: number;
  /** Errors that do not name the file, or throws that are not Errors: bugs. */
  unnamed: string[];
  slow: string[];
  slowestMs: number;
  peakRss: number;
}

/** A file the cases mutate, written into `dir`, and where its tensor infos lie. */
function seedFile(dir: string, preset: Preset): { bytes: Buffer; infos: [number, number] } {
  const tokenizer = ByteLevelBPE.train('the cat sat on the mat. '.repeat(20), {
    vocabSize: 270,
    specialTokens: ['<|endoftext|>'],
  });
  const model = new LanguageModel(
    makeConfig({ preset, vocabSize: 272, nLayer: 1, nEmbd: 32, nHead: 2, blockSize: 16 }),
  );
  const { metadata, tensors } = ggufOf(
    { model, tokenizer, tokenizerConfig: { chat_template: '{{ x }}' } },
    { dtype: preset === 'llama' ? 'q8_0' : 'f16' },
  );
  const path = join(dir, `${preset}.gguf`);
  writeGGUF(path, metadata, tensors);
  const bytes = readFileSync(path);
  const firstInfo = bytes.indexOf(Buffer.from(tensors[0].name)) - 8;
  const data = Math.min(...[...readGGUFHeader(path).tensors.values()].map((t) => t.start));
  return { bytes, infos: [firstInfo, data] };
}

const HOSTILE_U64 = [
  0n,
  1n,
  31n,
  32n,
  33n,
  2n ** 31n,
  2n ** 32n,
  2n ** 53n,
  2n ** 63n,
  2n ** 64n - 1n,
  100000n,
];
const HOSTILE_U32 = [0, 1, 2, 4, 5, 7, 8, 9, 12, 13, 14, 30, 99, 2 ** 31, 2 ** 32 - 1];

function mutate(seed: Buffer, infos: [number, number], rng: Generator): { bytes: Buffer; what: string } {
  const b = Buffer.from(seed);
  const r = rng.random();
  // Header positions, the tensor infos half the time: where the lengths, dims and offsets are.
  const place = () =>
    rng.random() < 0.5 ? infos[0] + rng.randint(infos[1] - infos[0]) : rng.randint(infos[0]);
  if (r < 0.2) {
    const n = rng.randint(b.length);
    return { bytes: b.subarray(0, n), what: `truncate to ${n}` };
  }
  if (r < 0.45) {
    const n = 1 + rng.randint(4);
    for (let i = 0; i < n; i++)
      b[rng.random() < 0.8 ? place() : rng.randint(b.length)] ^= 1 + rng.randint(255);
    return { bytes: b, what: `flip ${n} bytes` };
  }
  if (r < 0.75) {
    const at = Math.min(place(), b.length - 8);
    const v = HOSTILE_U64[rng.randint(HOSTILE_U64.length)];
    b.writeBigUInt64LE(v, at);
    return { bytes: b, what: `u64 ${v} at ${at}` };
  }
  const at = Math.min(place(), b.length - 4);
  const v = HOSTILE_U32[rng.randint(HOSTILE_U32.length)];
  b.writeUInt32LE(v, at);
  return { bytes: b, what: `u32 ${v} at ${at}` };
}

export function fuzzGGUF(cases: number, seed: number): GGUFFuzzReport {
  const dir = mkdtempSync(join(tmpdir(), 'jielong-fuzz-gguf-'));
  const seeds = [seedFile(dir, 'llama'), seedFile(dir, 'gpt2')];
  const rng = new Generator(seed);
  const report: GGUFFuzzReport = { loaded: 0, refused: 0, unnamed: [], slow: [], slowestMs: 0, peakRss: 0 };
  try {
    for (let i = 0; i < cases; i++) {
      const { bytes, infos } = seeds[i % seeds.length];
      const { bytes: mutated, what } = mutate(bytes, infos, rng);
      const path = join(dir, `case${i}.gguf`);
      writeFileSync(path, mutated);
      const start = performance.now();
      try {
        importGGUF(path);
        report.loaded++;
      } catch (e) {
        report.refused++;
        if (!(e instanceof Error) || !e.message.startsWith(path))
          report.unnamed.push(`case ${i} (${what}): ${e instanceof Error ? e.stack : String(e)}`);
      }
      const ms = performance.now() - start;
      report.slowestMs = Math.max(report.slowestMs, ms);
      if (ms > SLOW_MS) report.slow.push(`case ${i} (${what}): ${ms.toFixed(0)} ms`);
      report.peakRss = Math.max(report.peakRss, process.memoryUsage().rss);
      rmSync(path);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return report;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const cases = flag('cases', 3000);
  const seed = flag('seed', 1);
  const r = fuzzGGUF(cases, seed);
  console.log(
    `${cases} hostile GGUF files (seed ${seed}): ${r.loaded} imported, ${r.refused} refused; slowest ${r.slowestMs.toFixed(0)} ms, peak RSS ${(r.peakRss / 2 ** 20).toFixed(0)} MiB`,
  );
  for (const line of [...r.unnamed, ...r.slow]) console.log(line);
  process.exit(r.unnamed.length + r.slow.length > 0 ? 1 : 0);
}
