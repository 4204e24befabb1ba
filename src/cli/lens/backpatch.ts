// `jielong lens backpatch`: two-hop questions of the world the model gets wrong although it knows both hops,
// and the share that putting a later layer's state back into an earlier layer fixes ("Hopping Too Late").

import { twoHopQuestions } from '../../data/index.js';
import { backpatchStudy } from '../../lens/index.js';
import { heatmap } from '../../plot/index.js';
import type { Parsed } from '../args.js';
import { COMMON_USAGE, type LensContext, picturePath, writePicture } from './common.js';

export const BACKPATCH_OPTIONS = {} as const;

export const BACKPATCH_USAGE = `usage: jielong lens backpatch

Asks the world's two-hop questions ("The country where Ada Lin was born is"): the composed answer is in
the corpus (jielong train --two-hop N) for half of the people and held out for the others. For each
question the model gets wrong while it knows both hops (her city; that city's country), puts the state at
the last position entering a later layer into an earlier one and runs again. Prints, per split, the
questions answered, the failures and the share fixed; draws how many failures each layer pair fixes.

${COMMON_USAGE}`;

export function backpatchTool(p: Parsed, ctx: LensContext): void {
  const study = backpatchStudy(ctx.model, ctx.tokenizer, twoHopQuestions(ctx.world));
  const L = ctx.model.config.nLayer;
  const values = Array.from({ length: L }, (_, to) =>
    Array.from(
      { length: L },
      (_, i) => study.pairs.find((q) => q.to === to && q.from === i + 1)?.fixed ?? Number.NaN,
    ),
  );
  const failures = study.splits.taught.failures + study.splits['held-out'].failures;
  const svg = heatmap({
    title: `Back-patching: failures fixed per layer pair (of ${failures})`,
    xLabel: 'from the stream entering layer (later)',
    yLabel: 'into the stream entering layer (earlier)',
    xTicks: Array.from({ length: L }, (_, i) => (i + 1 === L ? `${L} (final)` : String(i + 1))),
    yTicks: Array.from({ length: L }, (_, i) => String(i)),
    values,
    colourScale: 'sequential',
    min: 0,
    cellText: true,
  });
  const out = writePicture(ctx, picturePath(p, 'backpatch'), svg);
  if (ctx.json) {
    console.log(JSON.stringify({ splits: study.splits, pairs: study.pairs, picture: out }));
    return;
  }
  console.log('split      questions  correct  failures (both hops known)  fixed  share');
  for (const [name, s] of Object.entries(study.splits)) {
    console.log(
      `${name.padEnd(10)} ${String(s.questions).padStart(9)}  ${String(s.correct).padStart(7)}  ${String(s.failures).padStart(26)}  ${String(s.fixed).padStart(5)}  ${(100 * s.share).toFixed(0).padStart(4)}%`,
    );
  }
  const best = [...study.pairs].sort((a, b) => b.fixed - a.fixed).slice(0, 3);
  console.log(`pairs that fix most: ${best.map((q) => `${q.from} -> ${q.to} (${q.fixed})`).join(', ')}`);
}
