// `jielong demo`: the first lecture in one command. Builds the seeded world of people, places and facts,
// trains a small character-level GPT on stories about it (a few minutes on 2 cores), then writes text
// one token at a time and shows the dice it rolls when asked a fact.
import { backend, getNumThreads, setNumThreads } from '../backend/index.js';
import { factPrompt, generateCorpus, generateWorld } from '../data/index.js';
import { generate, generateText } from '../generate/index.js';
import { LanguageModel, makeConfig } from '../model/index.js';
import { CharTokenizer } from '../tokenizer/index.js';
import { DEFAULT_TRAIN_OPTIONS, train } from '../train/index.js';
import { num, parse, str } from './args.js';
import { tokenStreams } from './dataset.js';
import { lossSample } from './loss-sample.js';
import { printProgress } from './train.js';

const USAGE = `usage: jielong demo [--iters 1500] [--out out/demo] [--seed 1] [--threads N]

Trains a small GPT on the built-in corpus, then generates from it. The checkpoint is kept in --out, so
  jielong generate --model out/demo --prompt "Ada"   continues from there.`;

const show = (s: string) => JSON.stringify(s).slice(1, -1);

export async function demo(args: string[]): Promise<void> {
  const p = parse(
    args,
    {
      iters: { type: 'string' },
      out: { type: 'string' },
      seed: { type: 'string' },
      threads: { type: 'string' },
    },
    USAGE,
  );
  if (!p) return;
  if (str(p, 'threads')) setNumThreads(num(p, 'threads', 1, { integer: true, min: 1 }));
  const seed = num(p, 'seed', 1, { integer: true, min: 0 });
  const outDir = str(p, 'out') ?? 'out/demo';

  const world = generateWorld(seed);
  const corpus = generateCorpus(world);
  const tokenizer = CharTokenizer.fromText(corpus.text);
  const { train: trainTokens, val } = tokenStreams(corpus.text, tokenizer);
  const config = makeConfig({
    preset: 'gpt2',
    vocabSize: tokenizer.vocabSize,
    blockSize: 64,
    nLayer: 4,
    nHead: 4,
    nEmbd: 128,
  });
  const model = new LanguageModel(config, { seed });
  console.log(`jielong demo on the ${backend().name} backend with ${getNumThreads()} thread(s)`);
  console.log(
    `world: ${world.people.length} people, ${world.cities.length} cities, ${world.facts.length} facts; corpus of ${corpus.text.length} characters, e.g.\n  "${corpus.documents[0].text.slice(0, 150)}..."`,
  );
  console.log(
    `model: GPT-2 style, 4 layers x 4 heads, width 128, ${(model.numParameters() / 1e6).toFixed(2)}M parameters, ${tokenizer.vocabSize} characters\n`,
  );

  let lastPrint = 0;
  const options = {
    ...DEFAULT_TRAIN_OPTIONS,
    maxIters: num(p, 'iters', 1500, { integer: true, min: 1 }),
    batchSize: 16,
    blockSize: 64,
    evalInterval: 500,
    outDir,
  };
  const result = await train({
    model,
    tokenizer,
    train: trainTokens,
    val,
    options,
    meta: { source: { kind: 'builtin', seed } },
    onLog: (entry) => {
      if (entry.type === 'eval' || entry.elapsed - lastPrint >= 5) {
        lastPrint = entry.elapsed;
        printProgress(entry, options, 0);
      }
    },
  });
  console.log(
    `\ntrained ${result.iters} iterations, validation loss ${result.valLoss?.toFixed(3)} (${lossSample(options)}; checkpoint: ${outDir})\n`,
  );

  console.log('--- the model writes (temperature 0.8) ---');
  console.log(await generateText(model, tokenizer, '\n', { maxTokens: 400, temperature: 0.8, seed }));

  const fact = factPrompt(world.facts.find((f) => f.relation === 'born_in') ?? world.facts[0]);
  console.log(`\n--- one token at a time: "${fact.prompt}" (the corpus says "${fact.answer.trim()}") ---`);
  let text = '';
  for await (const step of generate(model, tokenizer, fact.prompt, {
    temperature: 0,
    maxTokens: 16,
    showTopK: 3,
    stop: ['.'],
  })) {
    text += step.text;
    const dice = (step.topK ?? []).map((a) => `"${show(a.text)}" ${(100 * a.prob).toFixed(0)}%`).join(', ');
    console.log(`  + "${show(step.text)}"   (the dice: ${dice})`);
  }
  console.log(`${fact.prompt}${text}`);
}
