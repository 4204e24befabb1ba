// Axis ranges and tick positions people can read: linear steps of 1, 2 or 5 times a power of ten, and
// powers of ten on log axes.

/** An axis: the data range it spans, where its ticks go, and how data maps onto [0, 1] along it. */
export interface Axis {
  lo: number;
  hi: number;
  ticks: number[];
  labels: string[];
  log: boolean;
}

/** Position of v along the axis, 0 at lo and 1 at hi. */
export function axisFraction(axis: Axis, v: number): number {
  return axis.log
    ? (Math.log10(v) - Math.log10(axis.lo)) / (Math.log10(axis.hi) - Math.log10(axis.lo))
    : (v - axis.lo) / (axis.hi - axis.lo);
}

/** m * 10^e computed so decimals come out as written (0.3, not 0.30000000000000004). */
function scaled(m: number, e: number): number {
  return e >= 0 ? m * 10 ** e : m / 10 ** -e;
}

/** A range with no width gets some, so a single value or a flat series still has an axis. */
function widen(min: number, max: number): [number, number] {
  if (min < max) return [min, max];
  const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
  return [min - pad, max + pad];
}

/**
 * Ticks covering [min, max] with a step of 1, 2 or 5 x 10^k, about `target` of them; the axis ends on
 * the outermost ticks. An empty range (min > max, e.g. no finite data) becomes [0, 1].
 */
export function linearAxis(min: number, max: number, target = 6): Axis {
  if (!(Number.isFinite(min) && Number.isFinite(max) && min <= max)) [min, max] = [0, 1];
  [min, max] = widen(min, max);
  const raw = (max - min) / target;
  let e = Math.floor(Math.log10(raw));
  const r = raw / 10 ** e;
  let m = r <= 1.5 ? 1 : r <= 3 ? 2 : r <= 7 ? 5 : 10;
  if (m === 10) [m, e] = [1, e + 1];
  const step = scaled(m, e);
  const first = Math.floor(min / step + 1e-9);
  const last = Math.ceil(max / step - 1e-9);
  const ticks: number[] = [];
  for (let i = first; i <= last; i++) ticks.push(i === 0 ? 0 : scaled(i * m, e));
  return {
    lo: ticks[0],
    hi: ticks[ticks.length - 1],
    ticks,
    labels: ticks.map((t) => formatTick(t, e)),
    log: false,
  };
}

/**
 * A log axis from the power of ten at or below min to the one at or above max, ticked at powers of ten
 * (every few when there are many decades, with 2 and 5 added when there are at most two). Needs min > 0.
 */
export function logAxis(min: number, max: number): Axis {
  if (!(min > 0 && Number.isFinite(max) && min <= max)) [min, max] = [1, 10];
  let a = Math.floor(Math.log10(min) + 1e-9);
  let b = Math.ceil(Math.log10(max) - 1e-9);
  if (a === b) [a, b] = [a - 1, b + 1];
  const stride = Math.ceil((b - a) / 8);
  b = a + stride * Math.ceil((b - a) / stride); // end on a labelled decade
  const ticks: number[] = [];
  const exponents: number[] = [];
  for (let e = a; e <= b; e++) {
    const decade = (e - a) % stride === 0;
    if (decade) ticks.push(scaled(1, e));
    if (decade) exponents.push(e);
    if (b - a <= 2 && e < b)
      for (const m of [2, 5]) {
        ticks.push(scaled(m, e));
        exponents.push(e);
      }
  }
  return {
    lo: scaled(1, a),
    hi: scaled(1, b),
    ticks,
    labels: ticks.map((t, i) => formatTick(t, exponents[i])),
    log: true,
  };
}

/**
 * A tick label with as many decimals as the tick step (10^e) needs; very large or small values as
 * 1e6, 2.5e-5.
 */
export function formatTick(v: number, e: number): string {
  if (v === 0) return e < 0 && e >= -4 ? (0).toFixed(-e) : '0'; // same decimals as its neighbours
  const size = Math.abs(v);
  if (size >= 1e6 || size < 1e-4) {
    const digits = Math.max(0, Math.floor(Math.log10(size)) - e);
    return v
      .toExponential(digits)
      .replace(/\.?0+e/, 'e')
      .replace('e+', 'e');
  }
  return v.toFixed(Math.max(0, -e));
}
