// One MQAR run of bench/mqar.ts, Zoology's protocol: a 2-layer model with one mixer trained on fresh
// batches that take turns over several pair counts (warmup, cosine decay), then its recall measured at
// each count on held-out sequences. Training on the mix lets a mixer find the mechanism where it is
// easy (few pairs) and use it where it is hard: trained on 16 pairs or more alone, attention had not
// found it after 3,000 steps. A run stops early once its training loss says every count is solved.
// runCells spreads runs over child processes of one thread each: models this small keep one core busy
// on their own, so two processes do nearly twice the work of one process on two threads.
import { fork } from 'node:child_process';
import { type MqarOptions, mqarBatch } from '../src/data/index.js';
import type { MixerKind, MixerSettingsByKind } from '../src/mixers/index.js';
import { crossEntropy, Generator, noGrad } from '../src/tensor/index.js';
import { clipGradNorm, cosineLr, DEFAULT_TRAIN_OPTIONS, makeOptimizer } from '../src/train/index.js';
import { smallModel } from './_mixers.js';

export interface Cell {
  kind: MixerKind;
  width: number;
  heads: number;
  mixerOptions: MixerSettingsByKind;
  /** The tasks training takes turns over, and recall is measured on. */
  tasks: MqarOptions[];
  /** Queries per step: each task's batch holds queries / pairs sequences. */
  queries: number;
  lr: number;
  /** The most steps it may take (the cosine schedule spans them all). */
  steps: number;
}

/** How the training loss ended: the convergence verdict printed beside each run. */
export type Verdict = 'solved' | 'plateau' | 'falling' | 'diverged';

export interface CellResult {
  /** Accuracy (%) at the query positions of held-out sequences, per task. */
  recall: number[];
  /** Mean training loss of each window of WINDOW steps. */
  losses: number[];
  verdict: Verdict;
  stepsRun: number;
  seconds: number;
  /** Floats the mixer keeps per layer and sequence after the longest sequence (its state, or KV cache). */
  stateFloats: number;
}

const WINDOW = 50;
/** A window mean below this is a solved task (recall at or near 100%). */
const SOLVED_LOSS = 0.02;

export function trainCell(c: Cell): CellResult {
  const start = performance.now();
  const longest = Math.max(...c.tasks.map((t) => t.seqLen));
  const model = smallModel(c.kind, {
    vocabSize: c.tasks[0].vocabSize,
    width: c.width,
    layers: 2,
    heads: c.heads,
    blockSize: longest,
    mixerOptions: c.mixerOptions,
  });
  const opt = makeOptimizer(model, { ...DEFAULT_TRAIN_OPTIONS, lr: c.lr, weightDecay: 0.1 });
  const schedule = { lr: c.lr, minLr: c.lr / 10, warmupIters: Math.round(c.steps / 20), decayIters: c.steps };
  const g = new Generator(1);
  const losses: number[] = [];
  let sum = 0;
  let step = 0;
  while (step < c.steps) {
    for (const group of opt.paramGroups) group.lr = cosineLr(step, schedule);
    const task = c.tasks[step % c.tasks.length];
    const { x, y } = mqarBatch(Math.max(1, Math.round(c.queries / task.pairs)), task, g);
    const loss = crossEntropy(model.forward(x).reshape(-1, task.vocabSize), y.reshape(-1));
    loss.backward();
    clipGradNorm(model.parameters(), 1);
    opt.step();
    opt.zeroGrad();
    sum += loss.data[0];
    step++;
    if (step % WINDOW === 0) {
      losses.push(sum / WINDOW);
      sum = 0;
      const last = losses[losses.length - 1];
      if (last < SOLVED_LOSS || !Number.isFinite(last)) break;
    }
  }
  const first = model.transformer.h[0];
  return {
    recall: c.tasks.map((t) => recall(model, t)),
    losses,
    verdict: verdict(losses),
    stepsRun: step,
    seconds: (performance.now() - start) / 1000,
    stateFloats: (first.attn ?? first.mixer)!.initState(1, longest).bytes() / 4,
  };
}

/** Accuracy (%) of the argmax at every query position of 128 sequences the model never trained on. */
function recall(model: ReturnType<typeof smallModel>, task: MqarOptions): number {
  const V = task.vocabSize;
  const test = mqarBatch(128, task, new Generator(999));
  let right = 0;
  let total = 0;
  noGrad(() => {
    const logits = model.forward(test.x).data;
    test.y.data.forEach((want, i) => {
      if (want < 0) return;
      let best = 0;
      for (let v = 1; v < V; v++) if (logits[i * V + v] > logits[i * V + best]) best = v;
      total++;
      if (best === want) right++;
    });
  });
  return (100 * right) / total;
}

/**
 * solved: the loss fell below SOLVED_LOSS; diverged: it is not finite or ends above where it started;
 * plateau: the last fifth of training moved it by under 3%; falling: it was still going down (more steps
 * would help, so the run did not converge).
 */
export function verdict(losses: number[]): Verdict {
  const last = losses[losses.length - 1];
  if (!Number.isFinite(last) || last > losses[0]) return 'diverged';
  if (last < SOLVED_LOSS) return 'solved';
  const tail = Math.max(1, Math.floor(losses.length / 5));
  const before = losses[Math.max(0, losses.length - 1 - tail)];
  return before - last < 0.03 * before ? 'plateau' : 'falling';
}

/** Trains every cell, `jobs` at a time in child processes; done(i, result) as each finishes. */
export async function runCells(
  cells: Cell[],
  jobs: number,
  done: (i: number, r: CellResult) => void,
): Promise<CellResult[]> {
  const results: CellResult[] = new Array(cells.length);
  let next = 0;
  const worker = async () => {
    const child = fork(new URL('./_mqar-worker.js', import.meta.url), {
      env: jobs > 1 ? { ...process.env, JIELONG_THREADS: '1' } : process.env,
    });
    try {
      while (next < cells.length) {
        const i = next++;
        results[i] = await new Promise<CellResult>((resolve, reject) => {
          child.once('message', (r) => resolve(r as CellResult));
          child.once('exit', (code) => reject(new Error(`mqar worker exited (${code}) on cell ${i}`)));
          child.send(cells[i]);
        });
        child.removeAllListeners('exit');
        done(i, results[i]);
      }
    } finally {
      child.kill();
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, cells.length) }, worker));
  return results;
}
