// Where training text comes from (the built-in seeded corpus or a user's file) and how it becomes token
// streams. Saved in trainer.json so that --resume rebuilds exactly the same streams.

import { z } from 'zod';
import {
  generateCorpus,
  generateWorld,
  readTextFile,
  type TokenArray,
  trainValSplit,
} from '../data/index.js';
import { ByteLevelBPE, CharTokenizer, type Tokenizer } from '../tokenizer/index.js';

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
    }),
    z.strictObject({ kind: z.literal('file'), path: z.string().min(1) }),
  ],
  { error: 'must be { kind: "builtin", seed } or { kind: "file", path }' },
);

export type TextSource = z.infer<typeof TEXT_SOURCE>;

export function loadText(source: TextSource): string {
  if (source.kind === 'file') return readTextFile(source.path);
  return generateCorpus(generateWorld(source.seed), {
    requests: source.requests,
    factPasses: source.factPasses,
  }).text;
}

export function describe(source: TextSource): string {
  if (source.kind === 'file') return source.path;
  const requests = source.requests ? `, ${source.requests} request documents` : '';
  const passes = source.factPasses !== undefined ? `, ${source.factPasses} fact passes` : '';
  return `the built-in corpus (seed ${source.seed}${passes}${requests})`;
}

export function buildTokenizer(text: string, kind: 'char' | 'bpe', vocabSize: number): Tokenizer {
  return kind === 'char' ? CharTokenizer.fromText(text) : ByteLevelBPE.train(text, { vocabSize });
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
