// What every bench prints: a table for people, or with --json one object per line for machines.
// ratio = ours / theirs of the same metric (for throughputs, above 1 means jielong is faster); where the
// figures come from alternating windows (bench/_compare.ts), each side's spread is its best window over
// its median one (1.00: steady; 1.30: the median window ran 30% slower than the best).
import type { Comparison } from './_compare.js';

export interface Row {
  bench: string;
  case: string;
  metric: string;
  ours: number;
  /** Who "theirs" is (e.g. "pytorch"), or null when no peer ran. */
  peer: string | null;
  theirs: number | null;
  ratio: number | null;
  /** The peer's BLAS and the kernel it runs, e.g. "OpenBLAS 0.3.21 Cooperlake". */
  peer_blas?: string | null;
  threads?: number;
  spread_ours?: number;
  spread_theirs?: number | null;
  /** Ours (and theirs) as a percentage of the machine's measured fp32 FMA peak (`bench -- peak`). */
  peak_pct?: number;
  peak_pct_theirs?: number | null;
}

export const json = process.argv.includes('--json');

/** Value of a `--name value` option. */
export function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

export function row(r: Omit<Row, 'ratio'>): Row {
  const { bench, case: name, metric, ours, peer, theirs, ...extra } = r;
  return { bench, case: name, metric, ours, peer, theirs, ratio: theirs ? ours / theirs : null, ...extra };
}

/**
 * A throughput row from alternating windows: `work` units (flops, tokens, steps) per second of each side's
 * best window.
 */
export function compared(
  r: Pick<Row, 'bench' | 'case' | 'metric' | 'threads'> & { peer_blas: string | null; peer?: string },
  work: number,
  c: Comparison,
): Row {
  const { peer = 'pytorch', ...rest } = r;
  return row({
    ...rest,
    ours: work / c.ours.best,
    peer: c.theirs ? peer : null,
    theirs: c.theirs ? work / c.theirs.best : null,
    spread_ours: c.ours.median / c.ours.best,
    spread_theirs: c.theirs ? c.theirs.median / c.theirs.best : null,
  });
}

const fmt = (v: number | null) =>
  v === null ? '-' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);

const spread = (s: number | null | undefined) => (s == null ? '' : `/${s.toFixed(2)}`);

/**
 * Prints rows as JSON lines or as an aligned table; `notes` (who the peer was, how it was timed) go above
 * the table, or to stderr beside the JSON.
 */
export function report(rows: Row[], notes: string[] = []): void {
  if (json) {
    for (const n of notes) process.stderr.write(`${n}\n`);
    for (const r of rows) console.log(JSON.stringify(r));
    return;
  }
  for (const n of notes) console.log(n);
  const peak = rows.some((r) => r.peak_pct !== undefined);
  const header = ['case', 'threads', 'metric', 'ours/spread', 'peer', 'theirs/spread', 'ours/theirs'];
  if (peak) header.push('% peak ours/theirs');
  const cells = rows.map((r) => {
    const c = [
      r.case,
      r.threads === undefined ? '' : String(r.threads),
      r.metric,
      fmt(r.ours) + spread(r.spread_ours),
      r.peer ?? '-',
      fmt(r.theirs) + spread(r.spread_theirs),
      r.ratio === null ? '-' : `${r.ratio.toFixed(2)}x`,
    ];
    if (peak) c.push(`${fmt(r.peak_pct ?? null)}/${fmt(r.peak_pct_theirs ?? null)}`);
    return c;
  });
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) =>
    c.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
  console.log(line(header));
  for (const c of cells) console.log(line(c));
}

/** Progress for people on stderr (kept out of --json output). */
export function progress(message: string): void {
  if (!json) process.stderr.write(`${message}\n`);
}
