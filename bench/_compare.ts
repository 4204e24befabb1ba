// Timing ours against a peer on a shared machine: the same work alternates between the two sides in short
// windows (ours, theirs, ours, theirs, ...), so a burst of load from elsewhere hits both and not one. Each
// side reports its best window (what the code can do) and its median (how much the machine let it).
import { option } from './_report.js';

/**
 * One call of our work. It returns nothing when the whole call is the work, or the seconds of the part
 * that counts when it timed that itself (a decode loop without its prefill, say).
 */
export type Unit = () => undefined | number | Promise<undefined | number>;

/** Seconds per call: the best window and the median one. */
export interface Windows {
  best: number;
  median: number;
}

export interface Comparison {
  ours: Windows;
  theirs: Windows | null;
}

export interface WindowOptions {
  windows: number;
  windowMs: number;
}

/** --windows and --window-ms, with the bench's defaults. */
export function windowOptions(defaults: WindowOptions): WindowOptions {
  return {
    windows: Number(option('windows', String(defaults.windows))),
    windowMs: Number(option('window-ms', String(defaults.windowMs))),
  };
}

async function call(unit: Unit): Promise<number | undefined> {
  const r = unit();
  return r instanceof Promise ? await r : r;
}

/** Seconds per call of `unit` over one window of at least `ms` milliseconds. */
export async function window(unit: Unit, ms: number): Promise<number> {
  let calls = 0;
  let timed = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    const part = await call(unit);
    if (part !== undefined) timed += part;
    calls++;
    elapsed = performance.now() - start;
  } while (elapsed < ms);
  return (timed || elapsed / 1000) / calls;
}

function summarize(seconds: number[]): Windows {
  const sorted = [...seconds].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { best: sorted[0], median };
}

/** The other side of a comparison: PyTorch's process (bench/_peer.ts), llama.cpp, ... */
export interface Peer {
  /** Seconds per call of its unit over one window of at least `ms` milliseconds. */
  window(ms: number): Promise<number>;
}

/**
 * Alternates windows of `ours` and of the peer's loaded unit (when there is a peer). Our unit is called
 * once first, as the peer's is when it loads, so neither side's first window pays for warming up.
 */
export async function alternate(ours: Unit, peer: Peer | null, o: WindowOptions): Promise<Comparison> {
  await call(ours);
  const mine: number[] = [];
  const theirs: number[] = [];
  for (let w = 0; w < o.windows; w++) {
    mine.push(await window(ours, o.windowMs));
    if (peer) theirs.push(await peer.window(o.windowMs));
  }
  return { ours: summarize(mine), theirs: peer ? summarize(theirs) : null };
}
