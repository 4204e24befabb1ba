// `jielong train`: train a language model (or fine-tune one) with progress, checkpoints and Ctrl-C safety.
import { existsSync } from 'node:fs';
import { setNumThreads } from '../backend/index.js';
import { readTextFile } from '../data/index.js';
import { MIXER_KINDS, type MixerKind } from '../mixers/index.js';
import { LanguageModel, type ModelConfigInput, makeConfig } from '../model/index.js';
import type { Tokenizer } from '../tokenizer/index.js';
import {
  type Checkpoint,
  DEFAULT_TRAIN_OPTIONS,
  type LogEntry,
  loadCheckpoint,
  type TrainerState,
  type TrainOptions,
  train,
} from '../train/index.js';
import { duration, num, oneOf, type Parsed, parse, str } from './args.js';
import { buildTokenizer, describe, loadText, type TextSource, tokenStreams } from './dataset.js';
import { lossSample } from './loss-sample.js';

/** The mixer kinds as the help lists them: wrapped to the help's width, indented under --mixer. */
const MIXER_LIST = `${MIXER_KINDS.join(', ')} (default attention)`.replace(
  /(.{1,70})(, |$)/g,
  (_, line, comma) => (comma ? `${line},\n${' '.repeat(25)}` : line),
);

const USAGE = `usage: jielong train [options]

Trains a decoder-only language model and writes checkpoints to --out.

data:
  --data FILE            a UTF-8 text file (default: the built-in seeded corpus of stories and facts)
  --corpus-seed N        seed of the built-in corpus (default 1)
  --tokenizer char|bpe   tokenizer to build from the text (default char)
  --vocab-size N         BPE vocabulary size (default 512)
model:
  --preset gpt2|llama    block style (default gpt2)
  --mixer KIND[,KIND]    sequence mixer, one for all layers or one per layer (settings: --config):
                         ${MIXER_LIST}
  --config FILE          model config JSON (fields of ModelConfig) applied over the preset
  --n-layer N --n-head N --n-embd N --block-size N --dropout P   (defaults 4, 4, 128, 64, 0)
training:
  --iters N (2000)  --batch-size N (12)  --lr X (1e-3)  --min-lr X (1e-4)  --warmup N (100)
  --weight-decay X (0.1)  --grad-clip X (1)  --grad-accum N (1)  --eval-interval N (250)
  --eval-iters N (20)  --seed N (1337)  --threads N (all cores)
output:
  --out DIR              checkpoint folder (default out/model); metrics go to DIR/metrics.jsonl
  --resume               continue the run saved in --out exactly where it stopped
  --init-from DIR        fine-tune: start from this checkpoint's weights and tokenizer on new data

Ctrl-C saves a checkpoint and exits; --resume continues from it.`;

const OPTIONS = {
  data: { type: 'string' },
  'corpus-seed': { type: 'string' },
  tokenizer: { type: 'string' },
  'vocab-size': { type: 'string' },
  preset: { type: 'string' },
  config: { type: 'string' },
  mixer: { type: 'string' },
  'n-layer': { type: 'string' },
  'n-head': { type: 'string' },
  'n-embd': { type: 'string' },
  'block-size': { type: 'string' },
  dropout: { type: 'string' },
  iters: { type: 'string' },
  'batch-size': { type: 'string' },
  lr: { type: 'string' },
  'min-lr': { type: 'string' },
  warmup: { type: 'string' },
  'weight-decay': { type: 'string' },
  'grad-clip': { type: 'string' },
  'grad-accum': { type: 'string' },
  'eval-interval': { type: 'string' },
  'eval-iters': { type: 'string' },
  seed: { type: 'string' },
  threads: { type: 'string' },
  out: { type: 'string' },
  resume: { type: 'boolean' },
  'init-from': { type: 'string' },
} as const;

function trainOptions(p: Parsed, outDir: string, blockSize: number): TrainOptions {
  const d = DEFAULT_TRAIN_OPTIONS;
  const int = { integer: true, min: 1 };
  return {
    maxIters: num(p, 'iters', d.maxIters, int),
    batchSize: num(p, 'batch-size', d.batchSize, int),
    blockSize,
    lr: num(p, 'lr', d.lr, { min: 0 }),
    minLr: num(p, 'min-lr', d.minLr, { min: 0 }),
    warmupIters: num(p, 'warmup', d.warmupIters, { integer: true, min: 0 }),
    weightDecay: num(p, 'weight-decay', d.weightDecay, { min: 0 }),
    beta1: d.beta1,
    beta2: d.beta2,
    gradClip: num(p, 'grad-clip', d.gradClip, { min: 0 }),
    gradAccum: num(p, 'grad-accum', d.gradAccum, int),
    evalInterval: num(p, 'eval-interval', d.evalInterval, int),
    evalIters: num(p, 'eval-iters', d.evalIters, int),
    seed: num(p, 'seed', d.seed, { integer: true, min: 0 }),
    outDir,
  };
}

function modelConfig(p: Parsed, vocabSize: number): ModelConfigInput {
  const fromFile = str(p, 'config')
    ? (JSON.parse(readTextFile(str(p, 'config')!)) as Partial<ModelConfigInput>)
    : {};
  const int = { integer: true, min: 1 };
  return {
    preset: oneOf(p, 'preset', ['gpt2', 'llama'] as const, 'gpt2'),
    nLayer: num(p, 'n-layer', 4, int),
    nHead: num(p, 'n-head', 4, int),
    nEmbd: num(p, 'n-embd', 128, int),
    blockSize: num(p, 'block-size', 64, int),
    dropout: num(p, 'dropout', 0, { min: 0 }),
    ...mixerOption(p),
    ...fromFile,
    vocabSize,
  };
}

function mixerOption(p: Parsed): Pick<ModelConfigInput, 'mixer'> {
  const given = str(p, 'mixer');
  if (!given) return {};
  const kinds = given.split(',') as MixerKind[];
  for (const k of kinds) {
    if (!MIXER_KINDS.includes(k))
      throw new Error(`--mixer: unknown mixer "${k}" (one of ${MIXER_KINDS.join(', ')})`);
  }
  return { mixer: kinds.length === 1 ? kinds[0] : kinds };
}

/** Progress for people: one line per log entry of a run with options `o`. */
export function printProgress(entry: LogEntry, o: TrainOptions, startIter: number): void {
  if (entry.type === 'eval') {
    console.log(
      `eval  iter ${entry.iter}: train loss ${entry.trainLoss.toFixed(4)}, val loss ${entry.valLoss.toFixed(4)} (${lossSample(o)} each)`,
    );
    return;
  }
  const rate = entry.tokensPerSec;
  const done = entry.iter - startIter;
  const eta = done > 0 ? (entry.elapsed / Math.max(done, 1)) * (o.maxIters - entry.iter) : Number.NaN;
  console.log(
    `iter ${String(entry.iter).padStart(String(o.maxIters).length)}/${o.maxIters}  loss ${entry.loss.toFixed(4)}  lr ${entry.lr.toExponential(2)}  ${(rate / 1000).toFixed(1)}k tok/s  ETA ${duration(eta)}`,
  );
}

export async function trainCommand(args: string[]): Promise<void> {
  const p = parse(args, OPTIONS, USAGE);
  if (!p) return;
  if (str(p, 'threads')) setNumThreads(num(p, 'threads', 1, { integer: true, min: 1 }));
  const outDir = str(p, 'out') ?? 'out/model';

  let source: TextSource;
  let model: LanguageModel;
  let tokenizer: Tokenizer;
  let options: TrainOptions;
  let resume: Checkpoint | undefined;
  if (p.values.resume) {
    if (!existsSync(outDir)) throw new Error(`--resume: no checkpoint in ${outDir}`);
    resume = loadCheckpoint(outDir);
    const state = resume.trainer as (TrainerState & { source?: TextSource }) | null;
    if (!state?.source)
      throw new Error(`--resume: ${outDir} was not saved by jielong train (no trainer state)`);
    ({ model, tokenizer } = resume);
    source = state.source;
    options = {
      ...state.options,
      maxIters: num(p, 'iters', state.options.maxIters, { integer: true, min: 1 }),
      outDir,
    };
    console.log(`resuming ${outDir} at iter ${state.iter}/${options.maxIters} on ${describe(source)}`);
  } else {
    source = str(p, 'data')
      ? { kind: 'file', path: str(p, 'data')! }
      : { kind: 'builtin', seed: num(p, 'corpus-seed', 1, { integer: true }) };
    const text = loadText(source);
    if (str(p, 'init-from')) {
      const base = loadCheckpoint(str(p, 'init-from')!);
      ({ model, tokenizer } = base);
      console.log(`fine-tuning ${str(p, 'init-from')} on ${describe(source)}`);
    } else {
      tokenizer = buildTokenizer(
        text,
        oneOf(p, 'tokenizer', ['char', 'bpe'] as const, 'char'),
        num(p, 'vocab-size', 512, { integer: true, min: 257 }),
      );
      model = new LanguageModel(makeConfig(modelConfig(p, tokenizer.vocabSize)), {
        seed: num(p, 'seed', 1337, { integer: true, min: 0 }),
      });
    }
    options = trainOptions(
      p,
      outDir,
      Math.min(
        num(p, 'block-size', model.config.blockSize, { integer: true, min: 1 }),
        model.config.blockSize,
      ),
    );
  }
  const { train: trainTokens, val } = tokenStreams(loadText(source), tokenizer);
  const c = model.config;
  console.log(
    `model: ${c.nLayer} layers, ${c.nHead} heads, width ${c.nEmbd}, context ${c.blockSize}, ${(model.numParameters() / 1e6).toFixed(2)}M parameters; ` +
      `${tokenizer.kind} tokenizer of ${tokenizer.vocabSize}; ${trainTokens.length} train / ${val.length} val tokens`,
  );

  const signal = { stop: false };
  const onSigint = () => {
    if (signal.stop) process.exit(130);
    signal.stop = true;
    console.log('\nstopping: saving a checkpoint (Ctrl-C again to quit without saving)');
  };
  process.on('SIGINT', onSigint);
  const startIter = (resume?.trainer as TrainerState | undefined)?.iter ?? 0;
  try {
    const result = await train({
      model,
      tokenizer,
      train: trainTokens,
      val,
      options,
      resume,
      meta: { source },
      signal,
      onLog: (e) => printProgress(e, options, startIter),
    });
    // No evaluation ran when --resume had nothing left to do.
    const lastVal =
      result.valLoss === null ? '' : `, val loss ${result.valLoss.toFixed(4)} (${lossSample(options)})`;
    console.log(
      result.stopped
        ? `stopped at iter ${result.iters}; checkpoint in ${outDir} (continue with --resume)`
        : `done: ${result.iters} iters${lastVal}; checkpoint in ${outDir}`,
    );
  } finally {
    process.off('SIGINT', onSigint);
  }
}
