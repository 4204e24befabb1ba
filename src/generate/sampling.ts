// Picking the next token from one row of logits: the logits processors of Hugging Face's generate
// (repetition penalty, temperature, top-k, top-p, min-p) and a seeded draw from what is left.
import type { Generator } from '../tensor/index.js';

export interface SamplingOptions {
  /** Divides the logits; 0 means greedy (argmax). Default 1. */
  temperature?: number;
  /** Keep the k most likely tokens (ties at the k-th value are kept too). 0 or undefined: off. */
  topK?: number;
  /** Nucleus: keep the smallest set of most likely tokens whose probability is >= p. 1: off. */
  topP?: number;
  /** Keep tokens whose probability is >= minP * the largest probability. 0: off. */
  minP?: number;
  /** CTRL-style penalty on tokens already in `previous`: positive logits divided, negative multiplied. 1: off. */
  repetitionPenalty?: number;
}

type Resolved = Required<SamplingOptions>;

/**
 * A nucleus whose mass is within float32 rounding of p counts as reaching p: probabilities come from
 * float32 logits, so e.g. 0.5 + 0.3 may land a hair under 0.8 and would otherwise pull in one token more.
 */
const TOP_P_SLACK = 1e-6;

function resolve(options: SamplingOptions): Resolved {
  const o: Resolved = {
    temperature: options.temperature ?? 1,
    topK: options.topK ?? 0,
    topP: options.topP ?? 1,
    minP: options.minP ?? 0,
    repetitionPenalty: options.repetitionPenalty ?? 1,
  };
  const bad = (what: string): never => {
    throw new RangeError(`sampling: ${what}`);
  };
  if (!(Number.isFinite(o.temperature) && o.temperature >= 0))
    bad(`temperature must be a finite number >= 0 (0 = greedy), got ${o.temperature}`);
  if (!(Number.isInteger(o.topK) && o.topK >= 0))
    bad(`topK must be an integer >= 0 (0 = off), got ${o.topK}`);
  if (!(o.topP > 0 && o.topP <= 1)) bad(`topP must be in (0, 1] (1 = off), got ${o.topP}`);
  if (!(o.minP >= 0 && o.minP <= 1)) bad(`minP must be in [0, 1] (0 = off), got ${o.minP}`);
  if (!(Number.isFinite(o.repetitionPenalty) && o.repetitionPenalty > 0))
    bad(`repetitionPenalty must be a finite number > 0 (1 = off), got ${o.repetitionPenalty}`);
  return o;
}

function checkLogits(logits: Float32Array): void {
  if (logits.length === 0) throw new RangeError('sampling: logits are empty');
  let live = false;
  for (let i = 0; i < logits.length; i++) {
    const x = logits[i];
    if (Number.isNaN(x) || x === Number.POSITIVE_INFINITY)
      throw new RangeError(`sampling: logits[${i}] is ${x}; logits must be finite or -Infinity (masked)`);
    if (x !== Number.NEGATIVE_INFINITY) live = true;
  }
  if (!live) throw new RangeError('sampling: every logit is -Infinity, nothing left to sample');
}

/** Index of the largest logit, the lowest id among equals. */
function argmax(logits: Float32Array): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

/** Softmax in float64, so the cumulative sums of top-p and the draw do not drift over a large vocabulary. */
function softmax(logits: Float32Array): Float64Array {
  const max = logits[argmax(logits)];
  const p = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    p[i] = Math.exp(logits[i] - max);
    sum += p[i];
  }
  for (let i = 0; i < p.length; i++) p[i] /= sum;
  return p;
}

function applyRepetitionPenalty(logits: Float32Array, previous: readonly number[], penalty: number): void {
  // Each distinct token is penalised once however often it occurred, as Hugging Face's gather/scatter does.
  for (const id of new Set(previous)) {
    if (!(Number.isInteger(id) && id >= 0 && id < logits.length))
      throw new RangeError(
        `sampling: previous token id ${id} is outside the vocabulary [0, ${logits.length})`,
      );
    logits[id] = logits[id] > 0 ? logits[id] / penalty : logits[id] * penalty;
  }
}

function applyTemperature(logits: Float32Array, temperature: number): void {
  for (let i = 0; i < logits.length; i++) {
    logits[i] /= temperature;
    if (logits[i] === Number.POSITIVE_INFINITY)
      throw new RangeError(`sampling: temperature ${temperature} overflows the logits; use 0 for greedy`);
  }
}

function applyTopK(logits: Float32Array, k: number): void {
  if (k === 0 || k >= logits.length) return;
  const kth = Float32Array.from(logits).sort()[logits.length - k];
  for (let i = 0; i < logits.length; i++) if (logits[i] < kth) logits[i] = Number.NEGATIVE_INFINITY;
}

function applyTopP(logits: Float32Array, topP: number): void {
  if (topP === 1) return;
  const p = softmax(logits);
  const order: number[] = [];
  for (let i = 0; i < p.length; i++) if (p[i] > 0) order.push(i);
  order.sort((a, b) => p[b] - p[a] || a - b);
  let mass = 0;
  for (const [rank, id] of order.entries()) {
    if (rank > 0 && mass >= topP - TOP_P_SLACK) logits[id] = Number.NEGATIVE_INFINITY;
    mass += p[id];
  }
}

function applyMinP(logits: Float32Array, minP: number): void {
  if (minP === 0) return;
  const p = softmax(logits);
  const threshold = minP * p[argmax(logits)];
  for (let i = 0; i < p.length; i++) if (p[i] < threshold) logits[i] = Number.NEGATIVE_INFINITY;
}

/**
 * The logits after each step of Hugging Face's generate, in its order: repetition penalty, temperature,
 * top-k, top-p, min-p. Removed tokens get -Infinity. Greedy (temperature 0) keeps only the argmax, so the
 * distribution is the point mass it actually picks from. The input is not modified.
 */
export function processLogits(
  logits: Float32Array,
  previous: readonly number[],
  options: SamplingOptions,
): Float32Array {
  const o = resolve(options);
  checkLogits(logits);
  const out = Float32Array.from(logits);
  if (o.repetitionPenalty !== 1) applyRepetitionPenalty(out, previous, o.repetitionPenalty);
  if (o.temperature === 0) {
    const keep = argmax(out);
    out.fill(Number.NEGATIVE_INFINITY);
    out[keep] = 0;
    return out;
  }
  if (o.temperature !== 1) applyTemperature(out, o.temperature);
  applyTopK(out, o.topK);
  applyTopP(out, o.topP);
  applyMinP(out, o.minP);
  return out;
}

/**
 * Processes the logits and picks a token: the argmax when greedy (no randomness used), otherwise one
 * `generator.random()` draw from the processed distribution, so a seed fixes the whole run.
 * `probs` is that distribution.
 */
export function sampleToken(
  logits: Float32Array,
  previous: readonly number[],
  options: SamplingOptions,
  generator: Generator,
): { token: number; probs: Float32Array } {
  const processed = processLogits(logits, previous, options);
  // Greedy needs no distribution, and most callers want only the token: probs is computed when read.
  const greedy = (options.temperature ?? 1) === 0;
  let p: Float64Array | null = greedy ? null : softmax(processed);
  const token = p ? draw(p, generator.random()) : argmax(processed);
  return {
    token,
    get probs() {
      p ??= softmax(processed);
      return Float32Array.from(p);
    },
  };
}

/** Inverse CDF: the first token whose cumulative probability exceeds u, u uniform in [0, 1). */
function draw(p: Float64Array, u: number): number {
  let cum = 0;
  let last = 0;
  for (let i = 0; i < p.length; i++) {
    if (p[i] === 0) continue;
    cum += p[i];
    last = i;
    if (u < cum) return i;
  }
  return last; // u landed in the rounding gap above the final cumulative sum
}

/** The k most likely tokens, most likely first (lowest id among equals), leaving out zero probabilities. */
export function topKProbs(probs: Float32Array, k: number): { token: number; prob: number }[] {
  if (!(Number.isInteger(k) && k >= 0))
    throw new RangeError(`topKProbs: k must be an integer >= 0, got ${k}`);
  const best: { token: number; prob: number }[] = [];
  for (let i = 0; i < probs.length && k > 0; i++) {
    const prob = probs[i];
    if (!(prob > 0) || (best.length === k && prob <= best[k - 1].prob)) continue;
    let at = best.length;
    while (at > 0 && best[at - 1].prob < prob) at--;
    best.splice(at, 0, { token: i, prob });
    if (best.length > k) best.pop();
  }
  return best;
}
