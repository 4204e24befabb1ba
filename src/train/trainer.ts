// The training loop (nanoGPT's train.py as a function): random windows of the token stream, AdamW with
// warmup + cosine decay, gradient accumulation and clipping, periodic evaluation on fixed validation
// batches, atomic checkpoints, and exact resume: everything random is drawn from generators whose states
// are saved, so a resumed run computes the same losses as one that never stopped.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { samplerFor, type TokenArray, type TrainingChat } from '../data/index.js';
import { writeFileAtomic } from '../io/index.js';
import type { LanguageModel } from '../model/index.js';
import { wantsWeightDecay } from '../nn/index.js';
import { defaultGenerator, Generator, noGrad } from '../tensor/index.js';
import type { Tokenizer, TokenizerConfig } from '../tokenizer/index.js';
import { type Checkpoint, restoreOptimizer, saveCheckpoint } from './checkpoint.js';
import { clipGradNorm } from './clip.js';
import { AdamW } from './optim.js';
import { cosineLr } from './schedule.js';
import {
  checked,
  TRAIN_OPTIONS_SCHEMA,
  TRAINER_STATE_SCHEMA,
  type TrainerState,
  type TrainOptions,
} from './trainer-state.js';

export type { TrainerState, TrainOptions };

export const DEFAULT_TRAIN_OPTIONS: TrainOptions = {
  maxIters: 2000,
  batchSize: 12,
  blockSize: 64,
  lr: 1e-3,
  minLr: 1e-4,
  warmupIters: 100,
  weightDecay: 0.1,
  beta1: 0.9,
  beta2: 0.99,
  gradClip: 1,
  gradAccum: 1,
  evalInterval: 250,
  evalIters: 20,
  seed: 1337,
  outDir: null,
};

/** One line of metrics.jsonl. */
export type LogEntry =
  | {
      type: 'train';
      iter: number;
      loss: number;
      lr: number;
      gradNorm: number;
      tokensPerSec: number;
      elapsed: number;
    }
  | { type: 'eval'; iter: number; trainLoss: number; valLoss: number; elapsed: number };

export interface TrainRun {
  model: LanguageModel;
  tokenizer: Tokenizer;
  /** A token stream (pretraining: random windows) or conversations (supervised fine-tuning). */
  train: TrainingData;
  val: TrainingData;
  /** Saved with every checkpoint: the chat template of a chat model (tokenizer_config.json). */
  tokenizerConfig?: TokenizerConfig | null;
  options: TrainOptions;
  /** Continue this checkpoint's run (its model must be `model`). */
  resume?: Checkpoint;
  /** Extra fields saved in trainer.json (the CLI records where the data came from). */
  meta?: Record<string, unknown>;
  /** Called for every log entry (progress display). */
  onLog?: (entry: LogEntry, progress: { maxIters: number }) => void;
  /** Set stop = true (e.g. on Ctrl-C) to save a checkpoint and return after the current iteration. */
  signal?: { stop: boolean };
}

export type TrainingData = TokenArray | readonly TrainingChat[];

export interface TrainResult {
  iters: number;
  valLoss: number | null;
  stopped: boolean;
}

/** AdamW with weight decay on matrices only: norms, biases (1-D) and marked parameters are not decayed. */
export function makeOptimizer(model: LanguageModel, o: TrainOptions): AdamW {
  const params = model.parameters();
  return new AdamW(
    [
      { params: params.filter(wantsWeightDecay) },
      { params: params.filter((p) => !wantsWeightDecay(p)), weightDecay: 0 },
    ],
    { lr: o.lr, betas: [o.beta1, o.beta2], weightDecay: o.weightDecay },
  );
}

/** Mean loss over fixed batches (the same ones at every evaluation, so curves are comparable). */
export function estimateLoss(model: LanguageModel, data: TrainingData, o: TrainOptions): number {
  const sampler = samplerFor(data, {
    blockSize: o.blockSize,
    batchSize: o.batchSize,
    generator: new Generator(o.seed + 1),
  });
  const wasTraining = model.training;
  model.eval();
  let total = 0;
  noGrad(() => {
    for (let i = 0; i < o.evalIters; i++) {
      const { x, y } = sampler.next();
      total += model.loss(x, y).item();
    }
  });
  model.train(wasTraining);
  return total / o.evalIters;
}

/** Everything a run needs, checked before it touches its output folder. */
function checkRun(run: TrainRun): void {
  const o = checked(TRAIN_OPTIONS_SCHEMA, run.options, 'train', 'the options');
  if (o.blockSize > run.model.config.blockSize) {
    throw new Error(
      `train: blockSize ${o.blockSize} is longer than the model's context ${run.model.config.blockSize}`,
    );
  }
  for (const [split, data] of [
    ['training', run.train],
    ['validation', run.val],
  ] as const) {
    if (!ArrayBuffer.isView(data)) {
      if (data.length === 0) throw new Error(`train: the ${split} split has no conversations`);
    } else if (data.length < o.blockSize + 1) {
      throw new Error(
        `train: the ${split} split has ${data.length} tokens, too few for windows of ${o.blockSize} ` +
          `(each needs ${o.blockSize + 1}): use a longer text or a smaller blockSize`,
      );
    }
  }
}

/** The error for a loss that is no longer a number: the run stops before anything is saved. */
function diverged(what: string, value: number, iter: number, outDir: string | null): Error {
  const kept = outDir ? `; the checkpoint in ${outDir} was left as it was` : '';
  return new Error(
    `train: ${what} is ${value} at iter ${iter}: training diverged${kept} (lower the learning rate, warm up longer or clip gradients)`,
  );
}

export async function train(run: TrainRun): Promise<TrainResult> {
  const { model, tokenizer, options: o } = run;
  checkRun(run);
  const sampler = samplerFor(run.train, {
    blockSize: o.blockSize,
    batchSize: o.batchSize,
    generator: new Generator(o.seed),
  });
  const optimizer = makeOptimizer(model, o);
  let iter = 0;
  let elapsedBefore = 0;
  if (run.resume) {
    if (run.resume.trainer === null || !run.resume.optimizer)
      throw new Error(
        'train: --resume needs a checkpoint saved during training (trainer.json, optimizer.safetensors)',
      );
    const state = checked(TRAINER_STATE_SCHEMA, run.resume.trainer, 'train: trainer.json', 'the state');
    restoreOptimizer(optimizer, model, run.resume.optimizer);
    sampler.setState(state.sampler);
    defaultGenerator.setState(state.dropout);
    iter = state.iter;
    elapsedBefore = state.elapsed;
  } else {
    defaultGenerator.manualSeed(o.seed);
  }
  // The log of this run (resuming: with the lines before the checkpoint) is kept whole and saved with
  // every checkpoint. It is appended live only where it is this run's: a fresh run into a folder holding
  // another run's checkpoint leaves that log alone until its own first checkpoint replaces the folder.
  const metricsPath = o.outDir ? join(o.outDir, 'metrics.jsonl') : null;
  const lines = metricsPath && run.resume ? logLinesUpTo(metricsPath, iter) : [];
  let live =
    metricsPath !== null && (run.resume !== undefined || !existsSync(join(o.outDir!, 'checkpoint.json')));
  if (o.outDir) mkdirSync(o.outDir, { recursive: true });
  if (metricsPath && live) writeFileAtomic(metricsPath, lines.join(''));
  const log = (entry: LogEntry) => {
    const line = `${JSON.stringify(entry)}\n`;
    lines.push(line);
    if (metricsPath && live) appendFileSync(metricsPath, line);
    run.onLog?.(entry, { maxIters: o.maxIters });
  };

  const started = performance.now();
  const elapsed = () => elapsedBefore + (performance.now() - started) / 1000;
  const save = () => {
    if (!o.outDir) return;
    const trainer: TrainerState = {
      ...run.meta,
      iter,
      elapsed: elapsed(),
      sampler: sampler.getState(),
      dropout: defaultGenerator.getState(),
      options: o,
    };
    // The folder is replaced whole, so the metrics log so far goes along.
    saveCheckpoint(o.outDir, {
      model,
      tokenizer,
      tokenizerConfig: run.tokenizerConfig,
      optimizer,
      trainer,
      unlisted: { 'metrics.jsonl': lines.join('') },
    });
    live = true;
  };
  let valLoss: number | null = null;
  const evaluate = () => {
    const trainLoss = estimateLoss(model, run.train, o);
    valLoss = estimateLoss(model, run.val, o);
    if (!Number.isFinite(valLoss)) throw diverged('the validation loss', valLoss, iter, o.outDir);
    log({ type: 'eval', iter, trainLoss, valLoss, elapsed: elapsed() });
  };

  model.train();
  const tokensPerIter = o.batchSize * o.blockSize * o.gradAccum;
  let windowStart = performance.now();
  let windowIters = 0;
  while (iter < o.maxIters) {
    const lr = cosineLr(iter, {
      lr: o.lr,
      minLr: o.minLr,
      warmupIters: o.warmupIters,
      decayIters: o.decayIters ?? o.maxIters,
    });
    for (const g of optimizer.paramGroups) g.lr = lr;
    let loss = 0;
    for (let micro = 0; micro < o.gradAccum; micro++) {
      const { x, y } = sampler.next();
      const l = model.loss(x, y);
      loss += l.item() / o.gradAccum;
      (o.gradAccum === 1 ? l : l.div(o.gradAccum)).backward();
    }
    if (!Number.isFinite(loss)) throw diverged('the loss', loss, iter + 1, o.outDir);
    const gradNorm = o.gradClip > 0 ? clipGradNorm(model.parameters(), o.gradClip) : 0;
    optimizer.step();
    optimizer.zeroGrad();
    iter++;
    windowIters++;
    const seconds = (performance.now() - windowStart) / 1000;
    if (seconds >= 1 || iter === o.maxIters || iter === 1) {
      log({
        type: 'train',
        iter,
        loss,
        lr,
        gradNorm,
        tokensPerSec: (windowIters * tokensPerIter) / seconds,
        elapsed: elapsed(),
      });
      windowStart = performance.now();
      windowIters = 0;
    }
    if (iter % o.evalInterval === 0 || iter === o.maxIters) {
      evaluate();
      save();
    }
    await new Promise((resolve) => setImmediate(resolve)); // let Ctrl-C in
    if (run.signal?.stop && iter < o.maxIters) {
      save();
      return { iters: iter, valLoss, stopped: true };
    }
  }
  return { iters: iter, valLoss, stopped: false };
}

/** On resume, the log lines of iterations the checkpoint had reached (later ones will be redone). */
function logLinesUpTo(path: string, iter: number): string[] {
  if (!existsSync(path)) return [];
  return readLog(path)
    .filter((entry) => entry.iter <= iter)
    .map((entry) => `${JSON.stringify(entry)}\n`);
}

/** Reads metrics.jsonl. */
export function readLog(path: string): LogEntry[] {
  if (!existsSync(path)) throw new Error(`${path} does not exist (train with --out to write metrics)`);
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l, i) => {
      try {
        return JSON.parse(l) as LogEntry;
      } catch {
        throw new Error(`${path}:${i + 1}: not a JSON line`);
      }
    });
}
