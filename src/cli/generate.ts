// `jielong generate`: write text from a checkpoint, streamed token by token, optionally showing the dice.
import { setNumThreads } from '../backend/index.js';
import { type GenerateOptions, generate } from '../generate/index.js';
import { loadCheckpoint } from '../train/index.js';
import { num, parse, str } from './args.js';
import { modelDir } from './model-path.js';
import { SAMPLING_OPTIONS, SAMPLING_USAGE, samplingOptions } from './sampling-flags.js';

const USAGE = `usage: jielong generate [options]

Writes text from a trained model, one token at a time.

  --model DIR              checkpoint folder (default: the small model shipped with jielong)
  --no-verify              load a folder without checkpoint.json (nothing checks its files)
  --prompt TEXT            text to continue (default "\\n")
${SAMPLING_USAGE}
  --stop TEXT              stop when this text appears (repeatable)
  --show-probs K           after each token, print the K most likely choices and their probabilities
  --threads N`;

const OPTIONS = {
  model: { type: 'string' },
  prompt: { type: 'string' },
  ...SAMPLING_OPTIONS,
  stop: { type: 'string', multiple: true },
  'show-probs': { type: 'string' },
  threads: { type: 'string' },
  'no-verify': { type: 'boolean' },
} as const;

const show = (text: string) => JSON.stringify(text).slice(1, -1);

export async function generateCommand(args: string[]): Promise<void> {
  const p = parse(args, OPTIONS, USAGE);
  if (!p) return;
  if (str(p, 'threads')) setNumThreads(num(p, 'threads', 1, { integer: true, min: 1 }));
  const showProbs = num(p, 'show-probs', 0, { integer: true, min: 0 });
  const stop = (p.values.stop as string[] | undefined) ?? [];
  if (stop.includes('')) throw new Error('--stop must be non-empty text, got ""');
  const options: GenerateOptions = {
    ...samplingOptions(p),
    stop,
    showTopK: showProbs,
  };
  // Every option is checked before the model loads and the prompt is echoed.
  const { model, tokenizer } = loadCheckpoint(modelDir(str(p, 'model')), { verify: !p.values['no-verify'] });
  const prompt = str(p, 'prompt') ?? '\n';
  const out = process.stdout;
  out.write(prompt);
  let tokens = 0;
  const start = performance.now();
  for await (const step of generate(model, tokenizer, prompt, options)) {
    tokens++;
    if (!step.topK) {
      out.write(step.text);
      continue;
    }
    const choices = step.topK.map((a) => `"${show(a.text)}" ${(100 * a.prob).toFixed(1)}%`).join('  ');
    out.write(`\n+ "${show(step.text)}" (p=${step.prob.toFixed(2)})   top ${step.topK.length}: ${choices}`);
  }
  const seconds = (performance.now() - start) / 1000;
  process.stderr.write(
    `\n\n${tokens} tokens in ${seconds.toFixed(2)}s (${(tokens / seconds).toFixed(0)} tokens/s)\n`,
  );
}
