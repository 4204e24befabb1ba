// Calls every kernel of the native addon with wrong arguments, seeded: small valid calls, most with one to
// three arguments spoiled (wrong types, negative, fractional, huge or non-finite numbers, short or missing
// buffers, the wrong typed array, an output that overlaps an input, too few or too many arguments). Each call
// must either run or throw an Error that names the kernel; a crash ends the process, which is the failure
// this exists to catch. `npm run fuzz -- --calls 20000 --seed 1 [--trace]`; test/backend/bindings.test.ts runs a slice.
import { fileURLToPath } from 'node:url';
import { CORE, FAMILIES } from '../src/backend/kernels.js';
import { nativeAddon } from '../src/backend/native.js';
import type { Arg, KernelSpec } from '../src/backend/signature.js';
import { Generator } from '../src/tensor/rng.js';

/** Large enough for every length expression of the table at sizes up to MAX_SIZE. */
const ROOMY = 8192;
const MAX_SIZE = 5;

export interface FuzzReport {
  calls: number;
  ran: number;
  refused: number;
  /** Refusals whose message did not name the kernel, or throws that were not Errors. */
  unclear: string[];
}

const kernels = (): [string, KernelSpec][] => [
  ...Object.entries(CORE),
  ...Object.entries(FAMILIES).flatMap(([family, ks]) =>
    Object.entries(ks).map(([name, spec]): [string, KernelSpec] => [`${family}.${name}`, spec]),
  ),
];

function valid(a: Arg, rng: Generator): unknown {
  switch (a.kind) {
    case 'f32':
      return new Float32Array(ROOMY).map(() => rng.normal());
    case 'i32':
      return new Int32Array(ROOMY).map(() => rng.randint(3));
    case 'size':
      return a.min + rng.randint(MAX_SIZE + 1 - a.min);
    case 'int':
      return rng.randint(5) - 2;
    case 'float':
      return rng.normal();
    case 'flag':
      return rng.random() < 0.5;
    case 'op':
      return rng.randint(a.ops.length);
  }
}

const BAD_NUMBERS = [
  -1,
  -0.5,
  1.5,
  2 ** 31,
  2 ** 32 + 2,
  2 ** 48,
  2 ** 53 + 2,
  2 ** 64,
  Number.NaN,
  Infinity,
  -Infinity,
];
const BAD_VALUES = [undefined, null, '3', {}, [], true, 1n];

function spoil(args: unknown[], spec: KernelSpec, rng: Generator): void {
  const i = rng.randint(args.length);
  const a = spec.args[i];
  const pick = <T>(xs: readonly T[]) => xs[rng.randint(xs.length)];
  const buffers = spec.args.flatMap((b, j) => (b.kind === 'f32' || b.kind === 'i32' ? [j] : []));
  switch (rng.randint(4)) {
    case 0:
      args[i] = pick(BAD_VALUES);
      return;
    case 1:
      args[i] = a.kind === 'f32' || a.kind === 'i32' ? new Float64Array(4) : pick(BAD_NUMBERS);
      return;
    case 2: {
      // A short buffer, or a huge size with the buffers as they are.
      if (a.kind === 'f32') args[i] = new Float32Array(rng.randint(4));
      else if (a.kind === 'i32')
        args[i] = Int32Array.from({ length: 1 + rng.randint(4) }, () => rng.randint(9) - 4);
      else args[i] = 2 ** (8 + rng.randint(50));
      return;
    }
    default: {
      // Two buffers sharing memory: the same array, or overlapping views of one.
      if (buffers.length < 2) return;
      const [x, y] = [pick(buffers), pick(buffers)];
      const base = args[x];
      if (!(base instanceof Float32Array || base instanceof Int32Array)) return;
      args[y] =
        rng.random() < 0.5 || spec.args[y].kind !== spec.args[x].kind
          ? base
          : base.subarray(rng.randint(16), base.length - rng.randint(16));
    }
  }
}

/** An argument in a line: a buffer as its type and length, anything else as itself. */
function describe(x: unknown): string {
  if (ArrayBuffer.isView(x)) return `${x.constructor.name}(${(x as Float32Array).length}@${x.byteOffset})`;
  return typeof x === 'bigint' ? `${x}n` : (JSON.stringify(x) ?? String(x));
}

export function fuzz(calls: number, seed: number, trace = false): FuzzReport {
  const addon = nativeAddon() as Record<string, (...args: unknown[]) => void> | null;
  if (!addon) throw new Error('fuzz-kernels: the native addon is not built');
  const rng = new Generator(seed);
  const all = kernels();
  const report: FuzzReport = { calls: 0, ran: 0, refused: 0, unclear: [] };
  for (let c = 0; c < calls; c++) {
    const [name, spec] = all[rng.randint(all.length)];
    const args = spec.args.map((a) => valid(a, rng));
    // A fifth of the calls stay valid, so that kernels also run at random small sizes (0 included).
    for (let s = rng.random() < 0.2 ? 0 : 1 + rng.randint(3); s > 0; s--) spoil(args, spec, rng);
    if (rng.random() < 0.05) args.length = rng.randint(args.length);
    if (rng.random() < 0.05) args.push(...Array.from({ length: 1 + rng.randint(30) }, () => 1));
    report.calls++;
    if (trace) console.log(name, args.map(describe).join(', '));
    try {
      addon[name](...args);
      report.ran++;
    } catch (e) {
      report.refused++;
      if (!(e instanceof Error) || !e.message.startsWith(`${name}: `)) {
        report.unclear.push(`${name}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
  return report;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const flag = (name: string, fallback: number) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const calls = flag('calls', 20_000);
  const seed = flag('seed', 1);
  const started = performance.now();
  const r = fuzz(calls, seed, process.argv.includes('--trace'));
  const s = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`${r.calls} calls (seed ${seed}) in ${s} s: ${r.ran} ran, ${r.refused} refused, 0 crashes`);
  if (r.unclear.length > 0) {
    console.log(`${r.unclear.length} unclear refusals:\n${r.unclear.slice(0, 20).join('\n')}`);
    process.exit(1);
  }
}
