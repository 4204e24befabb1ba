// `jielong lens patch`: causal tracing of one fact prompt: corrupt the subject, restore one state at a time.

import { factPrompt } from '../../data/index.js';
import { type Corruption, causalTrace, subjectSpan, traceHeatmap } from '../../lens/index.js';
import { tokenPiece } from '../../tokenizer/index.js';
import { num, type Parsed, str } from '../args.js';
import {
  COMMON_USAGE,
  encode,
  firstToken,
  type LensContext,
  picturePath,
  promptAndAnswer,
  tokenText,
  writePicture,
} from './common.js';

export const PATCH_OPTIONS = {
  prompt: { type: 'string' },
  subject: { type: 'string' },
  answer: { type: 'string' },
  foil: { type: 'string' },
  with: { type: 'string' },
  samples: { type: 'string' },
  noise: { type: 'string' },
  seed: { type: 'string' },
} as const;

export const PATCH_USAGE = `usage: jielong lens patch [--prompt TEXT --subject TEXT] [--answer TEXT] [--with TEXT | --noise X]

Causal tracing (ROME): runs the prompt clean and with its subject corrupted, then restores one clean state
at a time (the residual stream, the mixer's output, the MLP's output, at each layer and position) and
measures how much of the answer's probability comes back. Draws one heatmap per component to
out/lens/patch-resid.svg, -mixer.svg and -mlp.svg (or beside --out).

  --prompt TEXT    default: the canonical prompt of the world's first located_in fact
  --subject TEXT   the part of the prompt to corrupt (default that fact's subject)
  --answer TEXT    the answer to measure (its first token; default the fact's, else the model's top)
  --foil TEXT      also measure logit(answer) - logit(foil)
  --with TEXT      corrupt by substituting this prompt (as many tokens) instead of adding noise
  --noise X        noise scale on the subject's embeddings (default 3 x the embeddings' std, as ROME)
  --samples N      noise draws averaged (default 5)   --seed N (default 0)

${COMMON_USAGE}`;

export function patchTool(p: Parsed, ctx: LensContext): void {
  const fact = ctx.world.facts.find((f) => f.relation === 'located_in') ?? ctx.world.facts[0];
  const given = str(p, 'prompt');
  if (given !== undefined && str(p, 'subject') === undefined && str(p, 'with') === undefined) {
    throw new Error(
      '--prompt needs --subject TEXT (what to corrupt) or --with TEXT (a prompt to substitute)',
    );
  }
  const answerText = str(p, 'answer') ?? (given === undefined ? factPrompt(fact).answer : undefined);
  const chosen =
    answerText === undefined ? null : promptAndAnswer(ctx, given ?? factPrompt(fact).prompt, answerText);
  const prompt = chosen?.prompt ?? given!;
  const ids = encode(ctx, prompt);
  let answer = chosen?.answer;
  if (answer === undefined) {
    const logits = ctx.model.forward(ids).data;
    const V = ctx.model.config.vocabSize;
    const last = logits.subarray(logits.length - V);
    answer = last.indexOf(Math.max(...last));
  }
  const foil = str(p, 'foil') === undefined ? undefined : firstToken(ctx, str(p, 'foil')!, '--foil');
  let corruption: Corruption;
  if (str(p, 'with') !== undefined) {
    corruption = { kind: 'substitute', ids: encode(ctx, str(p, 'with')!, '--with') };
  } else {
    const subject = str(p, 'subject') ?? fact.subject;
    corruption = {
      kind: 'noise',
      positions: subjectSpan(ctx.tokenizer, prompt, subject),
      samples: num(p, 'samples', 5, { integer: true, min: 1 }),
      seed: num(p, 'seed', 0, { integer: true, min: 0 }),
      ...(str(p, 'noise') === undefined ? {} : { scale: num(p, 'noise', 0, { above: 0 }) }),
    };
  }
  const trace = causalTrace(ctx.model, ids, { answer, foil, corruption });
  const tokens = Array.from(ids.data, (id) => JSON.stringify(tokenPiece(ctx.tokenizer, id)));
  const svgs = traceHeatmap(trace, { tokens, title: JSON.stringify(prompt) });
  const pictures = trace.components.map((c) => writePicture(ctx, picturePath(p, 'patch', c), svgs[c]));
  const best = trace.components.map((c) => {
    const grid = trace.prob.grids[c].recovered;
    let at = { layer: 0, position: 0, recovered: Number.NEGATIVE_INFINITY };
    grid.forEach((row, layer) => {
      row.forEach((recovered, position) => {
        if (recovered > at.recovered) at = { layer, position, recovered };
      });
    });
    return { component: c, ...at };
  });
  if (ctx.json) {
    console.log(
      JSON.stringify({
        prompt,
        answer: tokenPiece(ctx.tokenizer, answer),
        corrupted: trace.corrupted,
        prob: trace.prob,
        logitDiff: trace.logitDiff,
        best,
        pictures,
      }),
    );
    return;
  }
  console.log(
    `${JSON.stringify(prompt)} -> ${tokenText(ctx, answer)}: p ${trace.prob.clean.toFixed(3)} clean, ${trace.prob.corrupt.toFixed(3)} corrupted (positions ${trace.corrupted.join(', ')})`,
  );
  for (const b of best) {
    console.log(
      `${b.component.padEnd(6)} recovers most at layer ${b.layer}, token ${tokens[b.position]} (${b.position}): ${(100 * b.recovered).toFixed(0)}%`,
    );
  }
}
