// `jielong eval`: loss and perplexity of a checkpoint on held-out text.
import { setNumThreads } from '../backend/index.js';
import { DEFAULT_TRAIN_OPTIONS, estimateLoss, loadCheckpoint, type TrainerState } from '../train/index.js';
import { num, parse, str } from './args.js';
import { describe, loadText, type TextSource, tokenStreams } from './dataset.js';
import { modelDir } from './model-path.js';

const USAGE = `usage: jielong eval [options]

Mean next-token loss (nats), perplexity and bits per character on the validation split (the last 10%)
of a text.

  --model DIR        checkpoint folder (default: the shipped model)
  --data FILE        text to evaluate on (default: the data the model was trained on, else the built-in corpus)
  --batch-size N     (default 12)   --block-size N  (default: the model's context)
  --iters N          batches to average (default 50)
  --seed N           which batches (default 1337)
  --threads N`;

const OPTIONS = {
  model: { type: 'string' },
  data: { type: 'string' },
  'batch-size': { type: 'string' },
  'block-size': { type: 'string' },
  iters: { type: 'string' },
  seed: { type: 'string' },
  threads: { type: 'string' },
} as const;

export function evalCommand(args: string[]): void {
  const p = parse(args, OPTIONS, USAGE);
  if (!p) return;
  if (str(p, 'threads')) setNumThreads(num(p, 'threads', 1, { integer: true, min: 1 }));
  const dir = modelDir(str(p, 'model'));
  const { model, tokenizer, trainer } = loadCheckpoint(dir);
  const trained = (trainer as (TrainerState & { source?: TextSource }) | null)?.source;
  const source: TextSource = str(p, 'data')
    ? { kind: 'file', path: str(p, 'data')! }
    : (trained ?? { kind: 'builtin', seed: 1 });
  const text = loadText(source);
  const { val } = tokenStreams(text, tokenizer);
  const int = { integer: true, min: 1 };
  const blockSize = Math.min(
    num(p, 'block-size', model.config.blockSize, int),
    model.config.blockSize,
    val.length - 1,
  );
  const loss = estimateLoss(model, val, {
    ...DEFAULT_TRAIN_OPTIONS,
    batchSize: num(p, 'batch-size', 12, int),
    blockSize,
    evalIters: num(p, 'iters', 50, int),
    seed: num(p, 'seed', 1337, { integer: true, min: 0 }),
  });
  const charsPerToken = text.length / tokenizer.encode(text, { allowSpecial: false }).length;
  console.log(`model ${dir} on ${describe(source)} (validation split, ${val.length} tokens)`);
  console.log(
    `loss ${loss.toFixed(4)} nats/token, perplexity ${Math.exp(loss).toFixed(2)}, ${(loss / Math.LN2 / charsPerToken).toFixed(3)} bits/char`,
  );
}
