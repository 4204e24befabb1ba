// `jielong lens ablate`: take each component out in turn and rank them by what the model loses.

import { factPrompt } from '../../data/index.js';
import {
  type AblationMethod,
  ablationSweep,
  type Component,
  listComponents,
  logitDiffMetric,
  lossMetric,
} from '../../lens/index.js';
import { barChart } from '../../plot/index.js';
import { tokenPiece } from '../../tokenizer/index.js';
import { num, oneOf, type Parsed, str } from '../args.js';
import {
  COMMON_USAGE,
  corpusWindows,
  encode,
  firstToken,
  type LensContext,
  picturePath,
  promptAndAnswer,
  writePicture,
} from './common.js';

export const ABLATE_OPTIONS = {
  components: { type: 'string' },
  method: { type: 'string' },
  metric: { type: 'string' },
  prompt: { type: 'string' },
  answer: { type: 'string' },
  foil: { type: 'string' },
  top: { type: 'string' },
} as const;

const KINDS = ['layer', 'mixer', 'head', 'mlp', 'neuron'] as const;
const METHODS = ['zero', 'mean', 'resample'] as const;

export const ABLATE_USAGE = `usage: jielong lens ablate [--components LIST] [--method zero|mean|resample] [--metric loss|logit]

Ablates each component alone (one forward each) and ranks them by the change of a metric: the loss on
windows of the built-in corpus, or the logit of an answer (minus a foil's) after a prompt. Mean and
resample ablation draw their reference from other windows of the corpus.

  --components LIST   of ${KINDS.join(', ')} (default mixer,head,mlp; heads where the mixer has them)
  --method M          zero, mean or resample (default mean)
  --metric M          loss (default) or logit
  --prompt TEXT       for --metric logit (default: the canonical prompt of the world's first born_in fact)
  --answer TEXT       for --metric logit (default: that fact's answer)  --foil TEXT  subtracted when given
  --top N             rows to print and draw (default 20)

${COMMON_USAGE}`;

export function ablateTool(p: Parsed, ctx: LensContext): void {
  const kinds = (str(p, 'components') ?? 'mixer,head,mlp').split(',').map((k) => k.trim());
  for (const k of kinds) {
    if (!KINDS.includes(k as Component['kind']))
      throw new Error(`--components: unknown kind "${k}" (one of ${KINDS.join(', ')})`);
  }
  const method: AblationMethod = oneOf(p, 'method', METHODS, 'mean');
  const metricKind = oneOf(p, 'metric', ['loss', 'logit'] as const, 'loss');
  const top = num(p, 'top', 20, { integer: true, min: 1 });
  const T = Math.min(64, ctx.model.config.blockSize);
  let ids = corpusWindows(ctx, 8, T, 0);
  let metric = lossMetric(ids);
  let what = `loss on ${ids.shape[0]} corpus windows of ${T} tokens`;
  if (metricKind === 'logit') {
    const fact = factPrompt(ctx.world.facts.find((f) => f.relation === 'born_in') ?? ctx.world.facts[0]);
    const chosen = promptAndAnswer(ctx, str(p, 'prompt') ?? fact.prompt, str(p, 'answer') ?? fact.answer);
    const prompt = chosen.prompt;
    ids = encode(ctx, prompt);
    const answer = chosen.answer;
    const foil = str(p, 'foil') === undefined ? undefined : firstToken(ctx, str(p, 'foil')!, '--foil');
    metric = logitDiffMetric(answer, foil);
    what = `logit of ${JSON.stringify(tokenPiece(ctx.tokenizer, answer))}${foil === undefined ? '' : ` - ${JSON.stringify(tokenPiece(ctx.tokenizer, foil))}`} after ${JSON.stringify(prompt)}`;
  }
  // The reference: other corpus windows, cut to the input's length (resample needs equal lengths).
  const reference = { ids: [1, 2, 3, 4].map((s) => corpusWindows(ctx, 4, ids.shape[1], s)), seed: 0 };
  const components = listComponents(ctx.model, kinds as Component['kind'][]);
  const started = Date.now();
  const sweep = ablationSweep(ctx.model, ids, {
    components,
    method,
    metric,
    reference,
    onProgress: (done, total) => {
      if (!ctx.json && (done % 25 === 0 || done === total)) {
        console.error(`${done}/${total} components  ${((Date.now() - started) / 1000).toFixed(1)}s`);
      }
    },
  });
  const rows = sweep.rows.slice(0, top);
  const svg = barChart({
    title: `${method} ablation: change of the ${metricKind === 'loss' ? 'loss' : 'logit'} (top ${rows.length})`,
    yLabel: metricKind === 'loss' ? 'loss change (nats/token)' : 'logit change',
    groups: rows.map((r) => r.label),
    series: [{ name: 'effect', values: rows.map((r) => r.effect) }],
  });
  const out = writePicture(ctx, picturePath(p, 'ablate'), svg);
  if (ctx.json) {
    console.log(
      JSON.stringify({
        metric: what,
        method,
        baseline: sweep.baseline,
        rows: sweep.rows.map(({ label, metric: m, effect }) => ({ component: label, metric: m, effect })),
        picture: out,
      }),
    );
    return;
  }
  console.log(
    `${method} ablation of ${components.length} components; metric: ${what}; baseline ${sweep.baseline.toFixed(4)}`,
  );
  console.log('component        metric    effect');
  for (const r of rows)
    console.log(
      `${r.label.padEnd(14)} ${r.metric.toFixed(4).padStart(8)}  ${r.effect >= 0 ? '+' : ''}${r.effect.toFixed(4)}`,
    );
}
