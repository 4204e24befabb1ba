// What every `jielong lens` tool shares: its options for the model and the output, loading the model, the
// built-in world it was trained on, and writing a picture and the numbers (text, or one JSON object).

import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setNumThreads } from '../../backend/index.js';
import { generateWorld, type World, corpusWindows as windowsOf } from '../../data/index.js';
import { answerToken } from '../../lens/index.js';
import type { LanguageModel } from '../../model/index.js';
import { svgToPng, writeSvg } from '../../plot/index.js';
import { IntTensor } from '../../tensor/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import { tokenPiece } from '../../tokenizer/index.js';
import { loadCheckpoint } from '../../train/index.js';
import { num, type Parsed, str } from '../args.js';
import { modelDir } from '../model-path.js';

export const COMMON_OPTIONS = {
  model: { type: 'string' },
  'corpus-seed': { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean' },
  threads: { type: 'string' },
  'no-verify': { type: 'boolean' },
} as const;

export const COMMON_USAGE = `common options:
  --model DIR        checkpoint (default: the small model shipped with jielong)
  --corpus-seed N    seed of the built-in world the model was trained on (default 1)
  --out FILE.svg     the picture (default out/lens/<tool>.svg; a PNG beside it when rsvg-convert exists)
  --json             print one JSON object instead of text
  --threads N  --no-verify`;

export interface LensContext {
  dir: string;
  model: LanguageModel;
  tokenizer: Tokenizer;
  world: World;
  json: boolean;
}

export function loadLensContext(p: Parsed): LensContext {
  if (str(p, 'threads')) setNumThreads(num(p, 'threads', 1, { integer: true, min: 1 }));
  const dir = modelDir(str(p, 'model'));
  const { model, tokenizer } = loadCheckpoint(dir, { verify: !p.values['no-verify'] });
  model.eval();
  const world = generateWorld(num(p, 'corpus-seed', 1, { integer: true, min: 0 }));
  return { dir, model, tokenizer, world, json: p.values.json === true };
}

/** Token ids [1, T] of a text, checked against the model's context. */
export function encode(ctx: LensContext, text: string, what = '--prompt'): IntTensor {
  const ids = ctx.tokenizer.encode(text);
  if (ids.length === 0) throw new Error(`${what}: the text is empty`);
  if (ids.length > ctx.model.config.blockSize) {
    throw new Error(
      `${what}: ${ids.length} tokens, more than the model's context of ${ctx.model.config.blockSize}`,
    );
  }
  return new IntTensor(Int32Array.from(ids), [1, ids.length]);
}

/** One token's id from its text (e.g. " Rivermouth"'s first token), or an error naming the flag. */
export function firstToken(ctx: LensContext, text: string, what: string): number {
  const ids = ctx.tokenizer.encode(text);
  if (ids.length === 0) throw new Error(`${what}: "${text}" encodes to no tokens`);
  return ids[0];
}

/** lens.promptAndAnswer with the context's tokenizer. */
export const promptAndAnswer = (ctx: LensContext, prompt: string, answer: string) =>
  answerToken(ctx.tokenizer, prompt, answer);

/** Readable token text: quotes, escapes, the leading space kept. */
export const tokenText = (ctx: LensContext, id: number): string =>
  JSON.stringify(tokenPiece(ctx.tokenizer, id));

/** Windows of ordinary text from the built-in corpus: [rows, length] ids. */
export const corpusWindows = (ctx: LensContext, rows: number, length: number, seed = 0): IntTensor =>
  windowsOf(ctx.world, ctx.tokenizer, rows, length, seed);

/** Where a tool's picture goes: --out, else out/lens/<tool>.svg; `part` names one of several pictures. */
export function picturePath(p: Parsed, tool: string, part?: string): string {
  const out = str(p, 'out') ?? join('out', 'lens', `${tool}.svg`);
  return part === undefined ? out : out.replace(/(\.svg)?$/, `-${part}.svg`);
}

/** Writes the picture (and a PNG when a converter exists) and says where, unless printing JSON. */
export function writePicture(ctx: LensContext, out: string, svg: string): string {
  mkdirSync(dirname(out), { recursive: true });
  writeSvg(out, svg);
  const png = out.replace(/\.svg$/, '.png');
  const wrote = svgToPng(svg, png) ? `${out} and ${png}` : out;
  if (!ctx.json) console.log(`wrote ${wrote}`);
  return out;
}
