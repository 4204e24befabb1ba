// `jielong train`: train a language model (or fine-tune one) with progress, checkpoints and Ctrl-C safety.
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { setNumThreads } from '../backend/index.js';
import { asChatModel, CHATML_SPECIAL_TOKENS, ChatTemplate, chatmlTokenizerConfig } from '../chat/index.js';
import { readTextFile } from '../data/index.js';
import { recoverDirAtomic } from '../io/index.js';
import { applyLoRA, DEFAULT_LORA, type LoraConfig, mergeLoRA, saveLoRA } from '../merge/index.js';
import { MIXER_KINDS, type MixerKind } from '../mixers/index.js';
import { CONFIG_SCHEMA, LanguageModel, type ModelConfigInput, makeConfig } from '../model/index.js';
import { Generator } from '../tensor/index.js';
import type { Tokenizer, TokenizerConfig } from '../tokenizer/index.js';
import {
  type Checkpoint,
  checked,
  DEFAULT_TRAIN_OPTIONS,
  type LogEntry,
  loadCheckpoint,
  saveCheckpoint,
  TRAINER_STATE_SCHEMA,
  type TrainOptions,
  train,
} from '../train/index.js';
import { duration, type NumberCheck, num, oneOf, type Parsed, parse, str } from './args.js';
import {
  buildTokenizer,
  type ChatSource,
  describe,
  isChatSource,
  loadConversations,
  loadText,
  TEXT_SOURCE,
  type TextSource,
  trainingData,
} from './dataset.js';
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
  --fact-passes N        times the built-in corpus writes out every fact (default 8)
  --requests N           add N documents of questions and replies to the built-in corpus: public facts
                         answered, private ones declined (the refusal behaviour jielong lens steer uses)
  --people N             people in the built-in world (default 40; beyond 60, double-barrelled last names)
  --two-hop N            write the composed answers of half the people's two-hop questions N times
                         ("The country where Ada Lin was born is ..."; jielong lens backpatch asks them)
  --sft FILE|world|agent|memory
                         supervised fine-tuning on conversations: a JSONL file ({"messages": [...]} per
                         line, OpenAI's format), the built-in world's questions, refusals and tool
                         calls (world), its tool-use tasks and road trips that plan (agent), or the
                         memory modules' decisions, acting in the text world and reading tool results
                         with provenance (memory); the loss is on the assistant's tokens only. With --init-from, a base model gains
                         the ChatML template and its special tokens (its vocabulary grows)
  --sft-count N          conversations --sft world|agent|memory writes (default 4000; seeded by --corpus-seed)
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
  --no-verify            load --resume/--init-from folders without checkpoint.json (nothing checks them)
LoRA (with --init-from; the base stays frozen, --out gets the adapter in PEFT's layout):
  --lora                 train low-rank adapters instead of the weights
  --lora-r N (8)  --lora-alpha X (16)  --lora-dropout P (0.05)
  --lora-targets LIST    linear layers to adapt, by name or last parts (c_attn,mlp.c_fc), or all-linear
                         (default: every linear layer in the blocks)
  --lora-merged DIR      also write the model with the adapters merged in, as a checkpoint

Ctrl-C saves a checkpoint and exits; --resume continues from it. With --resume, --iters, --lr, --min-lr,
--warmup, --weight-decay, --grad-clip, --eval-interval and --eval-iters override the saved values (each
override is printed); the data, model and batch flags are fixed by the checkpoint and are an error.
The learning rate decays (cosine) over --iters: --iters 30 then --resume --iters 60 is not a 60-iteration
run, since the first 30 iterations decayed to --min-lr already and the schedule then restarts its decay
over 60 from iteration 30. Give the final --iters from the start to reproduce a run.
A run stops with an error (exit 1), saving nothing, if its loss becomes NaN or infinite; the checkpoint
in --out stays as it was. A fresh run into a folder that holds a checkpoint replaces it, log included,
only at its own first checkpoint.`;

const OPTIONS = {
  data: { type: 'string' },
  sft: { type: 'string' },
  'sft-count': { type: 'string' },
  'corpus-seed': { type: 'string' },
  requests: { type: 'string' },
  'fact-passes': { type: 'string' },
  'two-hop': { type: 'string' },
  people: { type: 'string' },
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
  'no-verify': { type: 'boolean' },
  lora: { type: 'boolean' },
  'lora-r': { type: 'string' },
  'lora-alpha': { type: 'string' },
  'lora-dropout': { type: 'string' },
  'lora-targets': { type: 'string' },
  'lora-merged': { type: 'string' },
} as const;

const LORA_FLAGS = ['lora-r', 'lora-alpha', 'lora-dropout', 'lora-targets', 'lora-merged'] as const;

/** --lora's settings, or null without it (its other flags are then an error). */
function loraOption(p: Parsed): LoraConfig | null {
  if (!p.values.lora) {
    const stray = LORA_FLAGS.find((f) => p.values[f] !== undefined);
    if (stray) throw new Error(`--${stray} needs --lora`);
    return null;
  }
  if (p.values.resume) throw new Error('--lora cannot --resume: a LoRA run saves its adapter at the end');
  if (!str(p, 'init-from'))
    throw new Error('--lora needs --init-from BASE: adapters fine-tune an existing model');
  const targets = str(p, 'lora-targets');
  return {
    r: num(p, 'lora-r', DEFAULT_LORA.r, { integer: true, min: 1 }),
    alpha: num(p, 'lora-alpha', DEFAULT_LORA.alpha, { min: 0 }),
    dropout: num(p, 'lora-dropout', DEFAULT_LORA.dropout, { min: 0 }),
    targetModules: !targets || targets === 'all-linear' ? 'all-linear' : targets.split(','),
  };
}

/** The training flags: each option's flag and what it accepts; `resumable` ones may override a checkpoint. */
const TRAIN_FLAGS: [keyof TrainOptions, string, NumberCheck, boolean][] = [
  ['maxIters', 'iters', { integer: true, min: 1 }, true],
  ['batchSize', 'batch-size', { integer: true, min: 1 }, false],
  ['lr', 'lr', { min: 0 }, true],
  ['minLr', 'min-lr', { min: 0 }, true],
  ['warmupIters', 'warmup', { integer: true, min: 0 }, true],
  ['weightDecay', 'weight-decay', { min: 0 }, true],
  ['gradClip', 'grad-clip', { min: 0 }, true],
  ['gradAccum', 'grad-accum', { integer: true, min: 1 }, false],
  ['evalInterval', 'eval-interval', { integer: true, min: 1 }, true],
  ['evalIters', 'eval-iters', { integer: true, min: 1 }, true],
  ['seed', 'seed', { integer: true, min: 0 }, false],
];

/** The built-in conversations --sft names (anything else is a file). */
const BUILT_IN_CHATS = ['world', 'agent', 'memory'] as const;
const isBuiltInChats = (s: string): s is (typeof BUILT_IN_CHATS)[number] =>
  (BUILT_IN_CHATS as readonly string[]).includes(s);

/** The flags that shape the built-in corpus. */
const CORPUS_FLAGS = ['corpus-seed', 'requests', 'fact-passes', 'two-hop', 'people'] as const;

/** Flags a resumed run cannot change: the checkpoint fixes its data, model and batches. */
const FIXED_ON_RESUME = [
  'data',
  'sft',
  'sft-count',
  ...CORPUS_FLAGS,
  'tokenizer',
  'vocab-size',
  'preset',
  'config',
  'mixer',
  'n-layer',
  'n-head',
  'n-embd',
  'block-size',
  'dropout',
  'init-from',
  ...TRAIN_FLAGS.filter(([, , , resumable]) => !resumable).map(([, flag]) => flag),
];

/** `base` with the given training flags applied, each checked. */
function trainOptions(p: Parsed, base: TrainOptions): TrainOptions {
  const out: TrainOptions = { ...base };
  for (const [key, flag, check] of TRAIN_FLAGS) out[key] = num(p, flag, base[key] as number, check) as never;
  return out;
}

/** --config FILE: JSON of ModelConfig fields (any subset, and a preset), checked with the file named. */
function configFile(path: string): Partial<ModelConfigInput> {
  const text = readTextFile(path);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`--config ${path}: not valid JSON (${(e as Error).message})`);
  }
  // mixerOptions passes as it is: makeConfig checks it through the mixer registry.
  return checked(CONFIG_FILE, raw, `--config ${path}`, 'the config') as Partial<ModelConfigInput>;
}

const CONFIG_FILE = CONFIG_SCHEMA.partial().extend({ preset: z.enum(['gpt2', 'llama']).optional() });

function modelConfig(p: Parsed, vocabSize: number): ModelConfigInput {
  const fromFile = str(p, 'config') ? configFile(str(p, 'config')!) : {};
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

/** Where the text comes from: --sft, --data or the built-in corpus; flags for another source are errors. */
function dataSource(p: Parsed): TextSource {
  const sft = str(p, 'sft');
  const given = (flags: string[]) => flags.find((f) => p.values[f] !== undefined);
  if (sft) {
    const wrong = given([
      'data',
      ...CORPUS_FLAGS.filter((f) => f !== 'corpus-seed'),
      ...(isBuiltInChats(sft) ? [] : ['sft-count', 'corpus-seed']),
    ]);
    if (wrong) throw new Error(`--${wrong} does not apply with --sft ${sft}`);
    return isBuiltInChats(sft)
      ? {
          kind: `sft-${sft}`,
          seed: num(p, 'corpus-seed', 1, { integer: true, min: 0 }),
          count: num(p, 'sft-count', 4000, { integer: true, min: 2 }),
        }
      : { kind: 'sft-file', path: sft };
  }
  if (str(p, 'sft-count')) throw new Error(`--sft-count needs --sft ${BUILT_IN_CHATS.join('|')}`);
  for (const flag of CORPUS_FLAGS) {
    if (str(p, 'data') && str(p, flag))
      throw new Error(`--${flag} shapes the built-in corpus; it does not apply with --data`);
  }
  return str(p, 'data')
    ? { kind: 'file', path: str(p, 'data')! }
    : {
        kind: 'builtin',
        seed: num(p, 'corpus-seed', 1, { integer: true, min: 0 }),
        ...(str(p, 'requests') ? { requests: num(p, 'requests', 0, { integer: true, min: 0 }) } : {}),
        ...(str(p, 'fact-passes') ? { factPasses: num(p, 'fact-passes', 8, { integer: true, min: 0 }) } : {}),
        ...(str(p, 'two-hop') ? { twoHop: num(p, 'two-hop', 0, { integer: true, min: 0 }) } : {}),
        ...(str(p, 'people') ? { people: num(p, 'people', 40, { integer: true, min: 1 }) } : {}),
      };
}

/** The text a tokenizer for conversations is built from: each rendered with jielong's ChatML. */
function chatText(source: ChatSource): string {
  const template = ChatTemplate.fromConfig(chatmlTokenizerConfig())!;
  return loadConversations(source)
    .map((c) => template.render(c.messages, { tools: c.tools, addGenerationPrompt: false }))
    .join('');
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

  const verify = !p.values['no-verify'];
  const lora = loraOption(p);
  let source: TextSource;
  let model: LanguageModel;
  let tokenizer: Tokenizer;
  let tokenizerConfig: TokenizerConfig | null = null;
  let options: TrainOptions;
  let resume: Checkpoint | undefined;
  let startIter = 0;
  let loadedVocab = 0;
  if (p.values.resume) {
    const fixed = FIXED_ON_RESUME.find((flag) => p.values[flag] !== undefined);
    if (fixed) {
      throw new Error(
        `--${fixed} cannot change on --resume: the checkpoint in ${outDir} fixes it (drop the flag, or start a new run with another --out)`,
      );
    }
    recoverDirAtomic(outDir);
    if (!existsSync(outDir)) throw new Error(`--resume: no checkpoint in ${outDir}`);
    resume = loadCheckpoint(outDir, { verify });
    const where = `checkpoint ${outDir}: trainer.json`;
    if (resume.trainer === null)
      throw new Error(`--resume: ${outDir} was not saved during training (no trainer.json)`);
    const state = checked(TRAINER_STATE_SCHEMA, resume.trainer, where, 'the state');
    if (!('source' in state))
      throw new Error(`--resume: ${outDir} was not saved by jielong train (no data source)`);
    source = checked(TEXT_SOURCE, state.source, where, 'source');
    ({ model, tokenizer, tokenizerConfig } = resume);
    options = trainOptions(p, { ...state.options, outDir });
    for (const [key, flag] of TRAIN_FLAGS) {
      if (options[key] !== state.options[key])
        console.log(`--${flag} ${options[key]} overrides the checkpoint's ${state.options[key]}`);
    }
    startIter = state.iter;
    if (startIter >= options.maxIters) {
      console.log(
        `nothing to do: the run in ${outDir} is finished (iter ${startIter} of ${options.maxIters}); pass a larger --iters to continue it`,
      );
      return;
    }
    console.log(`resuming ${outDir} at iter ${state.iter}/${options.maxIters} on ${describe(source)}`);
  } else {
    source = dataSource(p);
    const seed = num(p, 'seed', DEFAULT_TRAIN_OPTIONS.seed, { integer: true, min: 0 });
    if (str(p, 'init-from')) {
      const base = loadCheckpoint(str(p, 'init-from')!, { verify });
      ({ model, tokenizer, tokenizerConfig } = base);
      loadedVocab = model.config.vocabSize;
      console.log(`fine-tuning ${str(p, 'init-from')} on ${describe(source)}`);
    } else {
      tokenizer = buildTokenizer(
        isChatSource(source) ? chatText(source) : loadText(source),
        oneOf(p, 'tokenizer', ['char', 'bpe'] as const, 'char'),
        num(p, 'vocab-size', 512, { integer: true, min: 257 }),
      );
      model = new LanguageModel(makeConfig(modelConfig(p, tokenizer.vocabSize)), { seed });
    }
    if (isChatSource(source)) {
      const had = tokenizer.vocabSize;
      ({ model, tokenizer, tokenizerConfig } = asChatModel({ model, tokenizer, tokenizerConfig }));
      if (tokenizer.vocabSize > had)
        console.log(
          `chat template: added ${tokenizer.vocabSize - had} special tokens (${CHATML_SPECIAL_TOKENS.join(' ')})`,
        );
    }
    const blockSize = num(p, 'block-size', model.config.blockSize, { integer: true, min: 1 });
    options = trainOptions(p, {
      ...DEFAULT_TRAIN_OPTIONS,
      blockSize: Math.min(blockSize, model.config.blockSize),
      outDir: lora ? null : outDir, // a LoRA run writes its adapter once, at the end
    });
    if (lora) {
      if (model.config.vocabSize !== loadedVocab)
        throw new Error(
          `--lora: ${str(p, 'init-from')} is not a chat model yet (the chat template adds tokens an adapter cannot learn); fine-tune it fully first`,
        );
      const layers = applyLoRA(model, lora, new Generator(seed));
      const trained = model.numParameters();
      console.log(
        `LoRA: r ${lora.r}, alpha ${lora.alpha}, dropout ${lora.dropout} on ${layers.length} layers (${layers.slice(0, 3).join(', ')}${layers.length > 3 ? ', ...' : ''}): ${(trained / 1e3).toFixed(1)}k trained parameters`,
      );
    }
  }
  const template = ChatTemplate.fromConfig(tokenizerConfig);
  const { train: trainData, val } = trainingData(source, tokenizer, template);
  const c = model.config;
  console.log(
    `model: ${c.nLayer} layers, ${c.nHead} heads, width ${c.nEmbd}, context ${c.blockSize}, ${(model.numParameters() / 1e6).toFixed(2)}M parameters; ` +
      `${tokenizer.kind} tokenizer of ${tokenizer.vocabSize}; ${trainData.length} train / ${val.length} val ${ArrayBuffer.isView(val) ? 'tokens' : 'conversations'}`,
  );

  const signal = { stop: false };
  const onSigint = () => {
    if (signal.stop) process.exit(130);
    signal.stop = true;
    console.log('\nstopping: saving a checkpoint (Ctrl-C again to quit without saving)');
  };
  process.on('SIGINT', onSigint);
  try {
    const result = await train({
      model,
      tokenizer,
      train: trainData,
      val,
      tokenizerConfig,
      options,
      resume,
      meta: { source },
      signal,
      onLog: (e) => printProgress(e, options, startIter),
    });
    // No evaluation ran when --resume had nothing left to do.
    const lastVal =
      result.valLoss === null ? '' : `, val loss ${result.valLoss.toFixed(4)} (${lossSample(options)})`;
    if (lora) {
      saveLoRA(outDir, model, lora, str(p, 'init-from') ?? null);
      const merged = str(p, 'lora-merged');
      if (merged) {
        mergeLoRA(model);
        saveCheckpoint(merged, { model, tokenizer, tokenizerConfig });
      }
      console.log(
        `${result.stopped ? 'stopped' : 'done'}: ${result.iters} iters${lastVal}; adapter in ${outDir} (PEFT layout)${merged ? `, merged model in ${merged}` : ''}`,
      );
      return;
    }
    console.log(
      result.stopped
        ? `stopped at iter ${result.iters}; checkpoint in ${outDir} (continue with --resume)`
        : `done: ${result.iters} iters${lastVal}; checkpoint in ${outDir}`,
    );
  } finally {
    process.off('SIGINT', onSigint);
  }
}
