// `jielong eval`: loss and perplexity of a checkpoint on the train and validation splits of a text.
import { setNumThreads } from '../backend/index.js';
import { checked, DEFAULT_TRAIN_OPTIONS, estimateLoss, loadCheckpoint } from '../train/index.js';
import { num, parse, str } from './args.js';
import { describe, isChatSource, loadText, type PlainSource, TEXT_SOURCE, tokenStreams } from './dataset.js';
import { lossSample } from './loss-sample.js';
import { modelDir } from './model-path.js';

const USAGE = `usage: jielong eval [options]

Mean next-token loss (nats), perplexity and bits per character on the train split (the first 90%) and
the validation split (the last 10%) of a text, each averaged over the same number of random windows;
every figure says how many (more batches, less noise). With the run's batch size and --iters equal to
its --eval-iters (20), the figures are exactly those of the run's last evaluation.

  --model DIR        checkpoint folder (default: the shipped model)
  --no-verify        load a folder without checkpoint.json (nothing checks its files)
  --data FILE        text to evaluate on (default: the data the model was trained on, else the built-in corpus)
  --batch-size N     (default 12)
  --block-size N     window length, at most the model's context (default: the context)
  --iters N          batches to average (default 50)
  --seed N           which batches (default 1337, as train)
  --threads N`;

const OPTIONS = {
  model: { type: 'string' },
  data: { type: 'string' },
  'batch-size': { type: 'string' },
  'block-size': { type: 'string' },
  iters: { type: 'string' },
  seed: { type: 'string' },
  threads: { type: 'string' },
  'no-verify': { type: 'boolean' },
} as const;

export function evalCommand(args: string[]): void {
  const p = parse(args, OPTIONS, USAGE);
  if (!p) return;
  if (str(p, 'threads')) setNumThreads(num(p, 'threads', 1, { integer: true, min: 1 }));
  const int = { integer: true, min: 1 };
  const batchSize = num(p, 'batch-size', DEFAULT_TRAIN_OPTIONS.batchSize, int);
  const evalIters = num(p, 'iters', 50, int);
  const seed = num(p, 'seed', DEFAULT_TRAIN_OPTIONS.seed, { integer: true, min: 0 });
  const dir = modelDir(str(p, 'model'));
  const { model, tokenizer, trainer } = loadCheckpoint(dir, { verify: !p.values['no-verify'] });
  const saved = (trainer as { source?: unknown } | null)?.source;
  const trained =
    saved === undefined
      ? undefined
      : checked(TEXT_SOURCE, saved, `checkpoint ${dir}: trainer.json`, 'source');
  // A chat model is evaluated as a language model, on text: its own conversations are not a text stream.
  const source: PlainSource = str(p, 'data')
    ? { kind: 'file', path: str(p, 'data')! }
    : trained && !isChatSource(trained)
      ? trained
      : { kind: 'builtin', seed: 1 };
  const context = model.config.blockSize;
  const asked = num(p, 'block-size', context, int);
  // An error rather than quietly using the context: the figure would be read as the loss at the length
  // asked for (and compared with models that take that length), and this model takes at most its context.
  if (asked > context) {
    throw new Error(
      `--block-size ${asked} is longer than the model's context (${context} tokens): it cannot be evaluated on longer windows; use --block-size ${context} or less`,
    );
  }
  const text = loadText(source);
  const { train, val } = tokenStreams(text, tokenizer);
  if (val.length < 2) {
    throw new Error(
      `${source.kind === 'file' ? `--data ${source.path}` : describe(source)}: its validation split (the last 10%) has ${val.length} tokens; eval needs at least 2 (a longer text)`,
    );
  }
  const blockSize = Math.min(asked, val.length - 1);
  if (blockSize < asked) {
    console.error(
      `the validation split has only ${val.length} tokens: windows of ${blockSize}, not ${asked}`,
    );
  }
  const options = {
    ...DEFAULT_TRAIN_OPTIONS,
    batchSize,
    blockSize,
    evalIters,
    seed,
  };
  const charsPerToken = text.length / tokenizer.encode(text, { allowSpecial: false }).length;
  console.log(`model ${dir} on ${describe(source)}: ${train.length} train / ${val.length} validation tokens`);
  for (const [split, tokens] of [
    ['train', train],
    ['val', val],
  ] as const) {
    const loss = estimateLoss(model, tokens, options);
    console.log(
      `${split} loss ${loss.toFixed(4)} nats/token, perplexity ${Math.exp(loss).toFixed(2)}, ${(loss / Math.LN2 / charsPerToken).toFixed(3)} bits/char (${lossSample(options)})`,
    );
  }
}
