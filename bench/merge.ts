// Merging abilities with no training data (the first lecture), end to end on models trained here. From one
// base (the built-in world's corpus, BPE, context 128, given the chat template's tokens):
//   facts, facts3  the base fine-tuned on the corpus of a second world, and of a third (new people);
//   chat           the base fine-tuned on chats about world 1 (jielong train --sft world).
//   1. LoRA against full fine-tuning on the new world's text (the lecture's warning): the loss on the
//      original text at equal gain on the new one, and both curves;
//   2. each merge method of `jielong merge` on facts + facts3 (recipes over the checkpoint folders): every
//      parent's and merge's share of world-2 and of world-3 facts recalled;
//   3. the chat vector: facts + (chat - base) answering chats about world 2, which neither parent can;
//   4. task-vector negation: base - λ (a fine-tune on world 1's hobbies - base) forgets the hobbies first.
// Models are trained once into out/bench/merge/ (--retrain trains them again); plots go to out/bench/.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { asChatModel, ChatTemplate, type Message } from '../src/chat/index.js';
import {
  corpusWindows,
  factPrompts,
  generateCorpus,
  generateWorld,
  REFUSAL,
  RELATIONS,
  type World,
  worldConversations,
} from '../src/data/index.js';
import { generateText } from '../src/generate/index.js';
import { checkFacts, lossMetric } from '../src/lens/index.js';
import { applyLoRA, MERGE_METHODS, mergeLoRA, mergeModels, parseRecipe } from '../src/merge/index.js';
import type { LanguageModel } from '../src/model/index.js';
import { barChart, lineChart, writeSvg } from '../src/plot/index.js';
import { noGrad } from '../src/tensor/index.js';
import { DEFAULT_TRAIN_OPTIONS, loadCheckpoint, saveCheckpoint, train } from '../src/train/index.js';
import { option, progress, type Row, report, row } from './_report.js';

const DIR = join('out', 'bench', 'merge');
const PLOTS = join('out', 'bench');
const retrain = process.argv.includes('--retrain');
const chatCount = Number(option('chats', '40'));
const ftIters = option('ft-iters', '300');
const ftLr = Number(option('ft-lr', '3e-4'));
mkdirSync(DIR, { recursive: true });
const [world1, world2, world3] = [generateWorld(1), generateWorld(2), generateWorld(3)];
const rows: Row[] = [];
const add = (name: string, metric: string, ours: number) =>
  rows.push(row({ bench: 'merge', case: name, metric, ours, peer: null, theirs: null }));
const at = (name: string) => join(DIR, name);
// --retrain trains the fine-tunes again; the base (about 10 minutes) only when its folder is removed.
const ready = (name: string) =>
  (!retrain || name === 'pretrained' || name === 'base') && existsSync(join(at(name), 'checkpoint.json'));

function jielong(args: string[]): void {
  const r = spawnSync(process.execPath, ['bin/jielong.js', ...args], { stdio: ['ignore', 2, 2] });
  if (r.status !== 0) throw new Error(`jielong ${args.join(' ')} failed`);
}

// The base: the world-1 corpus, then the chat template's tokens (their rows the mean of the others').
if (!ready('pretrained')) {
  progress('training the base on the world-1 corpus (about 10 minutes)');
  jielong(
    `train --corpus-seed 1 --fact-passes 24 --tokenizer bpe --vocab-size 1024 --iters 2500 --batch-size 16 --block-size 128 --n-layer 4 --n-head 4 --n-embd 128 --eval-interval 500 --out ${at('pretrained')}`.split(
      ' ',
    ),
  );
}
if (!ready('base')) saveCheckpoint(at('base'), asChatModel(loadCheckpoint(at('pretrained'))));
const load = (name: string) => {
  const c = loadCheckpoint(at(name));
  return { ...c, model: c.model.eval() };
};
const { tokenizer, tokenizerConfig } = load('base');
const template = ChatTemplate.fromConfig(tokenizerConfig) as ChatTemplate;
const heldOut1 = corpusWindows(world1, tokenizer, 16, 64, 7);

/** Mean next-token loss on held-out world-1 corpus windows: the original data. */
function originalLoss(model: LanguageModel): number {
  const was = model.training;
  model.eval();
  const loss = lossMetric(heldOut1)(noGrad(() => model.forward(heldOut1)));
  model.train(was);
  return loss;
}

// 1. Full fine-tuning and LoRA on the world-2 corpus, with both losses at every evaluation.
type Curve = { iter: number; newLoss: number; originalLoss: number }[];
async function fineTune(kind: 'full' | 'lora', world: World, name: string): Promise<Curve> {
  const curveFile = join(at(name), 'curve.json');
  if (ready(name) && existsSync(curveFile)) return JSON.parse(readFileSync(curveFile, 'utf8'));
  progress(`fine-tuning the base on the world-${world.seed} corpus: ${kind}`);
  const ids = Uint16Array.from(tokenizer.encode(generateCorpus(world).text));
  const cut = Math.floor(ids.length * 0.9);
  const { model } = load('base');
  if (kind === 'lora') applyLoRA(model, { r: 8, alpha: 16, dropout: 0, targetModules: 'all-linear' });
  const curve: Curve = [];
  const options = {
    ...DEFAULT_TRAIN_OPTIONS,
    maxIters: Number(ftIters),
    batchSize: 16,
    blockSize: 64,
    lr: kind === 'full' ? ftLr : 4 * ftLr,
    minLr: (kind === 'full' ? ftLr : 4 * ftLr) / 10,
    warmupIters: 20,
    evalInterval: 25,
    evalIters: 10,
    outDir: null,
  };
  curve.push({ iter: 0, newLoss: Number.NaN, originalLoss: originalLoss(model) });
  await train({
    model,
    tokenizer,
    train: ids.subarray(0, cut),
    val: ids.subarray(cut),
    options,
    onLog: (e) => {
      if (e.type === 'eval')
        curve.push({ iter: e.iter, newLoss: e.valLoss, originalLoss: originalLoss(model) });
    },
  });
  if (kind === 'lora') mergeLoRA(model);
  saveCheckpoint(at(name), { model, tokenizer, tokenizerConfig });
  writeFileSync(curveFile, JSON.stringify(curve));
  return curve;
}
const curves = {
  full: await fineTune('full', world2, 'facts'),
  lora: await fineTune('lora', world2, 'facts-lora'),
};
await fineTune('full', world3, 'facts3');
const finals = [curves.full, curves.lora].map((c) => c[c.length - 1].newLoss);
const goal = Math.max(...finals); // the gain both reach
/** The original loss where a curve first reaches `goal` on the new data (linear between evaluations). */
function atGoal(c: Curve): { iter: number; originalLoss: number } {
  for (let i = 1; i < c.length; i++) {
    if (c[i].newLoss <= goal) {
      const prev = c[i - 1];
      const f = Number.isNaN(prev.newLoss) ? 1 : (prev.newLoss - goal) / (prev.newLoss - c[i].newLoss);
      return {
        iter: prev.iter + f * (c[i].iter - prev.iter),
        originalLoss: prev.originalLoss + f * (c[i].originalLoss - prev.originalLoss),
      };
    }
  }
  return { iter: Number.NaN, originalLoss: Number.NaN };
}
const before = curves.full[0].originalLoss;
for (const kind of ['full', 'lora'] as const) {
  const g = atGoal(curves[kind]);
  const label = kind === 'full' ? 'full fine-tuning' : 'LoRA r 8, all linear layers';
  progress(
    `${label}: new-data loss ${goal.toFixed(3)} at iter ${g.iter.toFixed(0)}, original loss ${before.toFixed(3)} -> ${g.originalLoss.toFixed(3)}`,
  );
  add(`forgetting, ${label}, at new-data loss ${goal.toFixed(3)}`, 'original-data loss', g.originalLoss);
  add(`forgetting, ${label}, at new-data loss ${goal.toFixed(3)}`, 'iterations', g.iter);
}
add('forgetting, the base', 'original-data loss', before);
writeSvg(
  join(PLOTS, 'merge-forgetting.svg'),
  lineChart({
    title: 'Forgetting against learning: full fine-tuning and LoRA on new text',
    xLabel: 'loss on the new world\u2019s text (held out)',
    yLabel: 'loss on the original text (held out)',
    series: (['full', 'lora'] as const).map((k) => ({
      name: k === 'full' ? 'full fine-tuning' : 'LoRA',
      points: curves[k]
        .filter((p) => !Number.isNaN(p.newLoss))
        .map((p) => [p.newLoss, p.originalLoss] as [number, number]),
    })),
  }),
);

// The chat skill and the hobbies, by the CLI.
if (!ready('chat')) {
  progress('fine-tuning the base on world-1 chats');
  jielong(
    `train --init-from ${at('base')} --sft world --sft-count 3000 --iters ${ftIters} --batch-size 16 --lr ${ftLr} --eval-interval ${ftIters} --out ${at('chat')}`.split(
      ' ',
    ),
  );
}
const hobbies = world1.facts.filter((f) => f.relation === 'hobby');
if (!ready('hobbies')) {
  const lines = hobbies.flatMap((f) => factPrompts(f).map((p) => `${p.prompt}${p.answer}.`));
  writeFileSync(at('hobbies.txt'), Array.from({ length: 30 }, () => lines.join(' ')).join('\n'));
  progress('fine-tuning the base on world-1 hobbies');
  jielong(
    `train --init-from ${at('base')} --data ${at('hobbies.txt')} --iters 150 --batch-size 16 --block-size 64 --lr 1e-3 --eval-interval 150 --out ${at('hobbies')}`.split(
      ' ',
    ),
  );
}

// The two abilities, measured.
const functional = (w: World) => w.facts.filter((f) => RELATIONS[f.relation].functional);
const recall = (model: LanguageModel, facts: ReturnType<typeof functional>) =>
  checkFacts(model, tokenizer, facts).filter((c) => c.known).length / facts.length;
/** Share of chats whose first question the model answers with the reply's last word (the object; greedy). */
async function chatAccuracy(
  model: LanguageModel,
  world: World,
  split: 'train' | 'held-out',
): Promise<number> {
  // Questions with a fact for an answer: a declined one (a private fact) says nothing of the knowledge.
  const chats = worldConversations(world, { count: chatCount * 4, seed: 77, split }).filter(
    (c) =>
      !c.tools && (c.messages.find((m) => m.role === 'assistant') as { content: string }).content !== REFUSAL,
  );
  let right = 0;
  const asked = chats.slice(0, chatCount);
  for (const c of asked) {
    const first = c.messages.findIndex((m) => m.role === 'assistant');
    const prompt = template.render(c.messages.slice(0, first) as Message[], { addGenerationPrompt: true });
    const reply = await generateText(model, tokenizer, prompt, {
      temperature: 0,
      maxTokens: 32,
      stop: ['<|im_end|>'],
    });
    const want = (c.messages[first] as { content: string }).content.trim();
    const key =
      want
        .split(' ')
        .at(-1)
        ?.replace(/[.!?]$/, '') ?? want;
    if (reply.trim() === want || reply.includes(key)) right++;
  }
  return right / asked.length;
}

// 2. Every method on facts + chat, by recipes over the folders.
const recipeFor = (method: (typeof MERGE_METHODS)[number]): string => {
  const [base, facts, chat] = [at('base'), at('facts'), at('chat')];
  const both = (p: string) =>
    `\n  - model: ${facts}\n    parameters: ${p}\n  - model: ${chat}\n    parameters: ${p}\n`;
  switch (method) {
    case 'linear':
      return `merge_method: linear\nmodels:${both('{ weight: 0.5 }')}`;
    case 'slerp':
      return `merge_method: slerp\nbase_model: ${facts}\nmodels:\n  - model: ${chat}\nparameters: { t: 0.5 }\n`;
    case 'model_stock':
      return `merge_method: model_stock\nbase_model: ${base}\nmodels:${both('{ weight: 1 }')}`;
    default:
      return `merge_method: ${method}\nbase_model: ${base}\nmodels:${both('{ weight: 1, density: 0.5 }')}parameters: { gamma: 0.01, epsilon: 0.1 }\n`;
  }
};
const table: { name: string; world2: number; world3: number; loss: number }[] = [];
async function measure(name: string, model: LanguageModel) {
  const r = {
    name,
    world2: recall(model, functional(world2)),
    world3: recall(model, functional(world3)),
    loss: originalLoss(model),
  };
  progress(
    `${name}: world-2 facts ${(100 * r.world2).toFixed(0)}%, world-3 facts ${(100 * r.world3).toFixed(0)}%, original loss ${r.loss.toFixed(3)}`,
  );
  table.push(r);
  add(`abilities, ${name}`, 'world-2 facts recalled', r.world2);
  add(`abilities, ${name}`, 'world-3 facts recalled', r.world3);
  add(`abilities, ${name}`, 'original-data loss', r.loss);
}
for (const parent of ['base', 'facts', 'facts3']) await measure(parent, load(parent).model);
mkdirSync(at('recipes'), { recursive: true });
for (const method of MERGE_METHODS.filter((m) => m !== 'passthrough')) {
  const file = join(at('recipes'), `${method}.yml`);
  writeFileSync(file, recipeFor(method));
  const out = at(`merged-${method}`);
  mergeModels(parseRecipe(readFileSync(file, 'utf8'), file), { out, seed: 0 });
  await measure(method, load(`merged-${method}`).model);
}
writeSvg(
  join(PLOTS, 'merge-methods.svg'),
  barChart({
    title: 'Two fine-tunes merged without data: facts of world 2 and of world 3',
    yLabel: 'share of facts recalled',
    groups: table.map((r) => r.name),
    series: [
      { name: 'world-2 facts', values: table.map((r) => r.world2) },
      { name: 'world-3 facts', values: table.map((r) => r.world3) },
    ],
  }),
);

// 3. The chat vector: facts + (chat - base), asked about world 2 in chat turns.
const vectorFile = join(at('recipes'), 'chat-vector.yml');
writeFileSync(
  vectorFile,
  `merge_method: task_arithmetic\nbase_model: ${at('facts')}\nmodels:\n  - model: ${at('chat')}\n    parameters: { weight: 1 }\n  - model: ${at('base')}\n    parameters: { weight: -1 }\n`,
);
mergeModels(parseRecipe(readFileSync(vectorFile, 'utf8'), vectorFile), { out: at('chat-vector') });
for (const name of ['chat', 'facts', 'chat-vector']) {
  const share = await chatAccuracy(load(name).model, world2, 'train');
  progress(`chat vector: ${name} answers ${(100 * share).toFixed(0)}% of world-2 chats`);
  add(`chat vector, ${name}`, 'world-2 chats answered', share);
}

// 4. Negation: base - λ τ_hobbies.
const others = functional(world1).filter((f) => f.relation !== 'hobby');
for (const lambda of [0, 0.5, 1, 2]) {
  const file = join(at('recipes'), `negate-${lambda}.yml`);
  writeFileSync(
    file,
    `merge_method: task_arithmetic\nbase_model: ${at('base')}\nmodels:\n  - model: ${at('hobbies')}\n    parameters: { weight: ${-lambda} }\n`,
  );
  mergeModels(parseRecipe(readFileSync(file, 'utf8'), file), { out: at('negated') });
  const { model } = load('negated');
  const [h, o, l] = [recall(model, hobbies), recall(model, others), originalLoss(model)];
  progress(
    `negation λ ${lambda}: hobbies recalled ${(100 * h).toFixed(0)}%, other facts ${(100 * o).toFixed(0)}%, original loss ${l.toFixed(3)}`,
  );
  add(`negation λ ${lambda}`, 'world-1 hobbies recalled', h);
  add(`negation λ ${lambda}`, 'other world-1 facts recalled', o);
  add(`negation λ ${lambda}`, 'original-data loss', l);
}
report(rows, [
  `merge: base trained here on the world-1 corpus (${DIR}/pretrained, context 128), chat tokens added; models in ${DIR}`,
  'plots: out/bench/merge-forgetting.svg, out/bench/merge-methods.svg',
]);
