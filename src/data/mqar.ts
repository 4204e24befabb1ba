// Multi-query associative recall (Zoology, Arora et al. 2023): a sequence opens with key-value pairs,
// then later positions show keys again and the model must answer each with the value paired with it.
// Keys come from the lower half of the vocabulary, values from the upper half, token 0 fills the gaps;
// the query positions are spread with a power-law bias towards the start of the query region, as in
// Zoology. Targets are -100 everywhere except at the query positions.
import { type Generator, IntTensor } from '../tensor/index.js';

export interface MqarOptions {
  vocabSize: number;
  seqLen: number;
  /** Key-value pairs per sequence (and as many queries). */
  pairs: number;
  /** Power-law exponent for where queries land (Zoology's default alpha is 0.1). */
  alpha?: number;
}

export interface MqarBatch {
  /** [batch, seqLen] tokens; the model sees x and predicts y at each position. */
  x: IntTensor;
  /** [batch, seqLen] targets: the value for each query position, -100 elsewhere. */
  y: IntTensor;
}

export function mqarBatch(batch: number, o: MqarOptions, g: Generator): MqarBatch {
  const { vocabSize: V, seqLen: T, pairs: N } = o;
  const half = Math.floor(V / 2);
  if (2 * N + N > T)
    throw new Error(`mqar: ${N} pairs and their queries need ${3 * N} positions, seqLen is ${T}`);
  if (N > half - 1) throw new Error(`mqar: ${N} distinct keys need a vocabulary of at least ${2 * (N + 1)}`);
  const alpha = o.alpha ?? 0.1;
  const x = new Int32Array(batch * T);
  const y = new Int32Array(batch * T).fill(-100);
  const free = T - 2 * N; // positions after the pairs
  // P(gap = j) proportional to alpha * j^(alpha - 1), j = 1..free: a power law over query distances.
  const weights = Array.from({ length: free }, (_, j) => alpha * (j + 1) ** (alpha - 1));
  for (let b = 0; b < batch; b++) {
    const row = b * T;
    const keys = distinct(N, 1, half, g);
    const values = Array.from({ length: N }, () => half + g.randint(V - half));
    for (let i = 0; i < N; i++) {
      x[row + 2 * i] = keys[i];
      x[row + 2 * i + 1] = values[i];
    }
    const slots = weightedDistinct(N, weights, g);
    for (let i = 0; i < N; i++) {
      const at = row + 2 * N + slots[i];
      x[at] = keys[i];
      // The model predicts the next token, so the answer is the target at the query's own position.
      y[at] = values[i];
    }
  }
  return { x: new IntTensor(x, [batch, T]), y: new IntTensor(y, [batch, T]) };
}

/** n distinct integers in [from, to). */
function distinct(n: number, from: number, to: number, g: Generator): number[] {
  const seen = new Set<number>();
  while (seen.size < n) seen.add(from + g.randint(to - from));
  return [...seen];
}

/** n distinct indices drawn with probability proportional to weights (without replacement). */
function weightedDistinct(n: number, weights: number[], g: Generator): number[] {
  const w = [...weights];
  const out: number[] = [];
  for (let k = 0; k < n; k++) {
    const total = w.reduce((a, b) => a + b, 0);
    let r = g.random() * total - w[0];
    let i = 0;
    while (i < w.length - 1 && r > 0) r -= w[++i];
    while (w[i] === 0) i = (i + 1) % w.length;
    out.push(i);
    w[i] = 0;
  }
  return out;
}
