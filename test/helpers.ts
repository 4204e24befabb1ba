// Shared test tools: relative RMS error, finite-difference gradient checks, running a test on each backend,
// memory growth.
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type BackendName, nativeAvailable, setBackend } from '../src/backend/index.js';
import { Generator, noGrad, Tensor } from '../src/tensor/index.js';

/** ||a - b|| / max(||b||, tiny): how far `a` is from the reference `b`, as one number. */
export function relRmsError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'length mismatch');
  let diff = 0;
  let ref = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) !== Number.isNaN(b[i])) return Number.POSITIVE_INFINITY;
    if (Number.isNaN(a[i]) || a[i] === b[i]) continue; // equal infinities and NaNs agree
    diff += (a[i] - b[i]) ** 2;
    ref += b[i] ** 2;
  }
  return Math.sqrt(diff) / Math.max(Math.sqrt(ref), 1e-30);
}

export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
  what = '',
): void {
  const err = relRmsError(actual, expected);
  assert.ok(err <= tol, `${what} relative RMS error ${err.toExponential(2)} > ${tol}`);
}

/** The backends this machine can run: js always, native when the addon built. */
export function backends(): BackendName[] {
  return nativeAvailable() ? ['js', 'native'] : ['js'];
}

/** Runs fn with the given backend active, restoring the default after. */
export function withBackend<T>(name: BackendName, fn: () => T): T {
  setBackend(name);
  try {
    return fn();
  } finally {
    setBackend(nativeAvailable() ? 'native' : 'js');
  }
}

/** Random values kept away from 0 and from each other's neighbourhood, so kinks (relu, abs) are not hit. */
export function randomAwayFromZero(shape: number[], g: Generator, scale = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = 0.2 + 0.8 * g.random();
    data[i] = scale * (g.random() < 0.5 ? -v : v);
  }
  return new Tensor(data, shape);
}

export interface GradcheckOptions {
  /** Finite-difference step. */
  eps?: number;
  /** Allowed relative RMS error between analytic and numeric gradients, per input. */
  tol?: number;
}

/**
 * Compares autograd's gradient of sum(f(inputs) * w) (w random, so every output element matters) with
 * central differences, for every input that requires grad.
 */
export function gradcheck(
  f: (...xs: Tensor[]) => Tensor,
  inputs: Tensor[],
  options: GradcheckOptions = {},
): void {
  const eps = options.eps ?? 1e-2;
  const tol = options.tol ?? 2e-3;
  const g = new Generator(1234);
  for (const x of inputs) x.grad = null;
  const out = f(...inputs);
  const w = new Float32Array(out.data.length);
  for (let i = 0; i < w.length; i++) w[i] = g.normal();
  const objective = (): number =>
    noGrad(() => {
      const y = f(...inputs).data;
      let s = 0;
      for (let i = 0; i < y.length; i++) s += y[i] * w[i];
      return s;
    });
  out.backward(new Tensor(w, out.shape));
  inputs.forEach((x, which) => {
    if (!x.requiresGrad) return;
    assert.ok(x.grad, `input ${which} got no gradient`);
    const numeric = new Float64Array(x.data.length);
    for (let i = 0; i < x.data.length; i++) {
      const saved = x.data[i];
      x.data[i] = saved + eps;
      const plus = objective();
      x.data[i] = saved - eps;
      const minus = objective();
      x.data[i] = saved;
      numeric[i] = (plus - minus) / (2 * eps);
    }
    assertClose(x.grad.data, numeric, tol, `gradient of input ${which} ${JSON.stringify(x.shape)}:`);
  });
}

/** Heap plus ArrayBuffer bytes in use after full collections. */
function bytesInUse(): number {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  // V8 frees ArrayBuffer backing stores on a background sweeper that the next collection finishes: one
  // gc() can still count every Float32Array that died since the last one (megabytes, on a busy machine).
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/**
 * Runs `step` for a warm-up window and then `windows` windows, measuring memory in use after each. Noise
 * only ever adds (garbage a collection missed, JIT code, a heap page), so the figure compares floors: the
 * least memory in the last third of the samples against the least in the first third. A one-off jump
 * raises a few samples and not the floor; a real leak raises the floor in proportion to the steps run.
 */
export function memoryGrowth(
  step: () => void,
  { windows, stepsPerWindow }: { windows: number; stepsPerWindow: number },
): { bytesPerStep: number; samples: number[] } {
  for (let i = 0; i < stepsPerWindow; i++) step();
  const samples = [bytesInUse()];
  for (let w = 0; w < windows; w++) {
    for (let i = 0; i < stepsPerWindow; i++) step();
    samples.push(bytesInUse());
  }
  const third = Math.ceil(samples.length / 3);
  const floorEarly = Math.min(...samples.slice(0, third));
  const floorLate = Math.min(...samples.slice(-third));
  const stepsApart = (samples.length - third) * stepsPerWindow;
  return { bytesPerStep: (floorLate - floorEarly) / stepsApart, samples };
}
