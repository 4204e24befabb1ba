// `jielong lens logit`: the logit lens on one prompt: what each layer would predict if it were the last.

import { factPrompt } from '../../data/index.js';
import { logitLens } from '../../lens/index.js';
import { heatmap } from '../../plot/index.js';
import { tokenPiece } from '../../tokenizer/index.js';
import { num, type Parsed, str } from '../args.js';
import {
  COMMON_USAGE,
  encode,
  type LensContext,
  picturePath,
  promptAndAnswer,
  tokenText,
  writePicture,
} from './common.js';

export const LOGIT_OPTIONS = {
  prompt: { type: 'string' },
  target: { type: 'string' },
  k: { type: 'string' },
} as const;

export const LOGIT_USAGE = `usage: jielong lens logit [--prompt TEXT] [--target TEXT] [--k N]

Decodes the residual stream entering every layer (and the output) with the model's final norm and
unembedding. Prints each layer's top-k next tokens at the last position and the target's rank and
probability; draws the target's probability at every layer and position.

  --prompt TEXT   default: the canonical prompt of the world's first born_in fact
  --target TEXT   a token to follow (its first token); default: that fact's answer, else the model's top
  --k N           top tokens per layer (default 5)

${COMMON_USAGE}`;

export function logitTool(p: Parsed, ctx: LensContext): void {
  const fact = factPrompt(ctx.world.facts.find((f) => f.relation === 'born_in') ?? ctx.world.facts[0]);
  const k = num(p, 'k', 5, { integer: true, min: 1 });
  const targetText = str(p, 'target') ?? (str(p, 'prompt') ? undefined : fact.answer);
  const given = str(p, 'prompt') ?? fact.prompt;
  const chosen = targetText === undefined ? null : promptAndAnswer(ctx, given, targetText);
  const prompt = chosen?.prompt ?? given;
  const ids = encode(ctx, prompt);
  const target = chosen?.answer ?? logitLens(ctx.model, ids, { k: 1 }).entries.at(-1)!.top[0].token;
  const lens = logitLens(ctx.model, ids, { k, target });
  const T = ids.shape[1];
  const last = lens.entries.filter((e) => e.position === T - 1);
  const values = lens.labels.map((_, l) =>
    lens.entries.filter((e) => e.layer === lens.labels[l]).map((e) => e.target!.prob),
  );
  const tokens = Array.from(ids.data, (id) => tokenPiece(ctx.tokenizer, id));
  const svg = heatmap({
    title: `Logit lens: P(${tokenPiece(ctx.tokenizer, target)}) at each layer`,
    xLabel: 'position (input token)',
    yLabel: 'layer (residual stream entering it)',
    xTicks: tokens.map((t) => JSON.stringify(t)),
    yTicks: lens.labels,
    values,
    colourScale: 'sequential',
    min: 0,
    max: 1,
  });
  const out = writePicture(ctx, picturePath(p, 'logit'), svg);
  const decodable = last.find((e) => e.target!.rank === 0)?.layer ?? null;
  const json = {
    prompt,
    target: { token: target, text: tokenPiece(ctx.tokenizer, target) },
    firstLayerTop1: decodable,
    layers: last.map((e) => ({
      layer: e.layer,
      top: e.top.map((t) => ({ token: tokenPiece(ctx.tokenizer, t.token), prob: t.prob })),
      targetRank: e.target!.rank,
      targetProb: e.target!.prob,
    })),
    picture: out,
  };
  if (ctx.json) {
    console.log(JSON.stringify(json));
    return;
  }
  console.log(`prompt ${JSON.stringify(prompt)}, target ${tokenText(ctx, target)}`);
  for (const e of last) {
    const top = e.top.map((t) => `${tokenText(ctx, t.token)} ${t.prob.toFixed(3)}`).join('  ');
    console.log(
      `${e.layer.padEnd(11)} target rank ${String(e.target!.rank).padStart(4)} p ${e.target!.prob.toFixed(3)} | ${top}`,
    );
  }
  console.log(
    decodable ? `the target is the top token from ${decodable} on` : 'the target is never the top token',
  );
}
