// What every bench prints: a table for people, or with --json one object per line for machines.
// ratio = ours / theirs of the same metric (for throughputs, above 1 means jielong is faster).

export interface Row {
  bench: string;
  case: string;
  metric: string;
  ours: number;
  /** Who "theirs" is (e.g. "pytorch"), or null when no peer ran. */
  peer: string | null;
  theirs: number | null;
  ratio: number | null;
  threads?: number;
}

export const json = process.argv.includes('--json');

/** Value of a `--name value` option. */
export function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

export function row(r: Omit<Row, 'ratio'>): Row {
  const { threads, ...rest } = r;
  const out: Row = { ...rest, ratio: r.theirs ? r.ours / r.theirs : null };
  return threads === undefined ? out : { ...out, threads };
}

const fmt = (v: number | null) =>
  v === null ? '-' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);

/** Prints rows as JSON lines or as an aligned table. */
export function report(rows: Row[]): void {
  if (json) {
    for (const r of rows) console.log(JSON.stringify(r));
    return;
  }
  const header = ['case', 'threads', 'metric', 'ours', 'peer', 'theirs', 'ours/theirs'];
  const cells = rows.map((r) => [
    r.case,
    r.threads === undefined ? '' : String(r.threads),
    r.metric,
    fmt(r.ours),
    r.peer ?? '-',
    fmt(r.theirs),
    r.ratio === null ? '-' : `${r.ratio.toFixed(2)}x`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) =>
    c.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
  console.log(line(header));
  for (const c of cells) console.log(line(c));
}

/** Best (smallest) seconds per call of fn over several timed windows, after a warm-up. */
export function timeIt(fn: () => void, windowMs = 300, windows = 5): number {
  fn();
  let best = Number.POSITIVE_INFINITY;
  for (let w = 0; w < windows; w++) {
    let reps = 0;
    const start = performance.now();
    do {
      fn();
      reps++;
    } while (performance.now() - start < windowMs);
    best = Math.min(best, (performance.now() - start) / 1000 / reps);
  }
  return best;
}

/** Progress for people on stderr (kept out of --json output). */
export function progress(message: string): void {
  if (!json) process.stderr.write(`${message}\n`);
}
