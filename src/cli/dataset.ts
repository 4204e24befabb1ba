// Where training text comes from (the built-in seeded corpus or a user's file) and how it becomes token
// streams. Saved in trainer.json so that --resume rebuilds exactly the same streams.

import { z } from 'zod';
import {
  type ChatTemplate,
  type Conversation,
  readConversations,
  tokenizeConversation,
} from '../chat/index.js';
import {
  agentConversations,
  generateCorpus,
  generateWorld,
  memoryConversations,
  readTextFile,
  type TokenArray,
  trainValSplit,
  worldConversations,
} from '../data/index.js';
import { ByteLevelBPE, CharTokenizer, type Tokenizer } from '../tokenizer/index.js';
import type { TrainingData } from '../train/index.js';

/** Where a run's text came from, as trainer.json records it (checked when read back: it names a file to read). */
export const TEXT_SOURCE = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({
      kind: z.literal('builtin'),
      seed: z.number().int().min(0),
      /** Documents of requests and replies (the refusal-like behaviour); absent = 0. */
      requests: z.number().int().min(0).optional(),
      /** How many times the fact list is written out; absent = the corpus default. */
      factPasses: z.number().int().min(0).optional(),
      /** Passes over the taught two-hop answers; absent = 0. */
      twoHop: z.number().int().min(0).optional(),
      /** People in the world; absent = the world's default (40). */
      people: z.number().int().min(1).optional(),
    }),
    z.strictObject({ kind: z.literal('file'), path: z.string().min(1) }),
    /** Supervised fine-tuning on a JSONL file of conversations. */
    z.strictObject({ kind: z.literal('sft-file'), path: z.string().min(1) }),
    /** Supervised fine-tuning on the built-in world's conversations. */
    z.strictObject({
      kind: z.literal('sft-world'),
      seed: z.number().int().min(0),
      count: z.number().int().min(1),
    }),
    /** Supervised fine-tuning on the world's tool-use and road-trip chats (agentConversations). */
    z.strictObject({
      kind: z.literal('sft-agent'),
      seed: z.number().int().min(0),
      count: z.number().int().min(1),
    }),
    /** The memory modules' decisions, text-world acting and provenance-wrapped lookups (memoryConversations). */
    z.strictObject({
      kind: z.literal('sft-memory'),
      seed: z.number().int().min(0),
      count: z.number().int().min(1),
    }),
  ],
  {
    error:
      'must be { kind: "builtin", seed }, { kind: "file", path }, { kind: "sft-file", path }, { kind: "sft-world", seed, count }, { kind: "sft-agent", seed, count } or { kind: "sft-memory", seed, count }',
  },
);

export type TextSource = z.infer<typeof TEXT_SOURCE>;

export type PlainSource = Extract<TextSource, { kind: 'builtin' | 'file' }>;
export type ChatSource = Extract<TextSource, { kind: 'sft-file' | 'sft-world' | 'sft-agent' | 'sft-memory' }>;

export const isChatSource = (s: TextSource): s is ChatSource => s.kind.startsWith('sft-');

export function loadText(source: PlainSource): string {
  if (source.kind === 'file') return readTextFile(source.path);
  return generateCorpus(generateWorld(source.seed, { people: source.people }), {
    requests: source.requests,
    factPasses: source.factPasses,
    twoHop: source.twoHop,
  }).text;
}

export function loadConversations(source: ChatSource): Conversation[] {
  if (source.kind === 'sft-file') return readConversations(source.path);
  if (source.kind === 'sft-agent')
    return agentConversations(generateWorld(source.seed), { count: source.count, seed: source.seed });
  if (source.kind === 'sft-memory')
    return memoryConversations(generateWorld(source.seed), { count: source.count, seed: source.seed });
  return worldConversations(generateWorld(source.seed), { count: source.count, seed: source.seed });
}

export function describe(source: TextSource): string {
  if (source.kind === 'file' || source.kind === 'sft-file') return source.path;
  if (source.kind === 'sft-world')
    return `${source.count} conversations of the built-in world (seed ${source.seed})`;
  if (source.kind === 'sft-agent')
    return `${source.count} tool-use and road-trip conversations of the built-in world (seed ${source.seed})`;
  if (source.kind === 'sft-memory')
    return `${source.count} memory, text-world and provenance conversations of the built-in world (seed ${source.seed})`;
  const requests = source.requests ? `, ${source.requests} request documents` : '';
  const passes = source.factPasses !== undefined ? `, ${source.factPasses} fact passes` : '';
  const twoHop = source.twoHop ? `, ${source.twoHop} two-hop passes` : '';
  return `the built-in corpus (seed ${source.seed}${passes}${requests}${twoHop})`;
}

export function buildTokenizer(text: string, kind: 'char' | 'bpe', vocabSize: number): Tokenizer {
  return kind === 'char' ? CharTokenizer.fromText(text) : ByteLevelBPE.train(text, { vocabSize });
}

/** Token streams of a text, or tokenised conversations of a chat source (every 10th one for validation). */
export function trainingData(
  source: TextSource,
  tokenizer: Tokenizer,
  template: ChatTemplate | null,
): { train: TrainingData; val: TrainingData } {
  if (!isChatSource(source)) return tokenStreams(loadText(source), tokenizer);
  if (!template) throw new Error('train: fine-tuning on conversations needs a chat template');
  const chats = loadConversations(source).map((c) => tokenizeConversation(c, template, tokenizer));
  if (chats.length < 2)
    throw new Error(`train: ${describe(source)} holds ${chats.length} conversation; give at least 2`);
  // With fewer than 10 conversations the last one is the validation split.
  const isVal = (i: number) => i % 10 === 9 || (chats.length < 10 && i === chats.length - 1);
  return { train: chats.filter((_, i) => !isVal(i)), val: chats.filter((_, i) => isVal(i)) };
}

export function tokenStreams(
  text: string,
  tokenizer: Tokenizer,
  valFraction = 0.1,
): { train: TokenArray; val: TokenArray } {
  const ids = tokenizer.encode(text, { allowSpecial: false });
  const tokens = tokenizer.vocabSize <= 65536 ? Uint16Array.from(ids) : Uint32Array.from(ids);
  return trainValSplit(tokens, valFraction);
}
