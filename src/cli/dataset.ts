// Where training text comes from (the built-in seeded corpus or a user's file) and how it becomes token
// streams. Saved in trainer.json so that --resume rebuilds exactly the same streams.
import {
  generateCorpus,
  generateWorld,
  readTextFile,
  type TokenArray,
  trainValSplit,
} from '../data/index.js';
import { ByteLevelBPE, CharTokenizer, type Tokenizer } from '../tokenizer/index.js';

export type TextSource = { kind: 'builtin'; seed: number } | { kind: 'file'; path: string };

export function loadText(source: TextSource): string {
  return source.kind === 'file' ? readTextFile(source.path) : generateCorpus(generateWorld(source.seed)).text;
}

export function describe(source: TextSource): string {
  return source.kind === 'file' ? source.path : `the built-in corpus (seed ${source.seed})`;
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
