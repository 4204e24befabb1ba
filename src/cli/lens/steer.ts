// `jielong lens steer`: the refusal direction of a model trained with requests (ablate it: declined
// requests get answered; add it: answered ones get declined), or steering along a direction from two
// prompt files while generating.
import { readTextFile } from '../../data/index.js';
import { generateText } from '../../generate/index.js';
import {
  hookContext,
  meanDifference,
  pairedPrincipalComponent,
  refusalExperiment,
  steer,
} from '../../lens/index.js';
import { barChart } from '../../plot/index.js';
import { num, oneOf, type Parsed, str } from '../args.js';
import {
  COMMON_USAGE,
  corpusWindows,
  encode,
  type LensContext,
  picturePath,
  writePicture,
} from './common.js';

export const STEER_OPTIONS = {
  layer: { type: 'string' },
  scale: { type: 'string' },
  limit: { type: 'string' },
  positive: { type: 'string' },
  negative: { type: 'string' },
  direction: { type: 'string' },
  prompt: { type: 'string' },
  'max-tokens': { type: 'string' },
} as const;

export const STEER_USAGE = `usage: jielong lens steer [--layer N] [--scale X]
       jielong lens steer --positive FILE --negative FILE --prompt TEXT [--direction mean|pca]

Without files: the refusal direction of a model trained with requests (jielong train --requests N):
declined minus answered requests at the last prompt token after --layer. On held-out requests it reports
how often the model declines, plain and with the direction projected out of every layer (declined
requests), and plain and with it added at --layer (answered requests), and the loss on ordinary text
with the direction ablated.

With files (one prompt per line): the direction from the two sets, added at --layer at every position
while the model continues --prompt; prints the plain and the steered text.

  --layer N          block whose output the direction is read from and added to (default the middle)
  --scale X          times the direction when added (default 1)
  --limit N          held-out requests per class (default all)
  --direction M      mean (difference of means, default) or pca (first component of paired differences)
  --max-tokens N     for --prompt (default 60)

${COMMON_USAGE}`;

export async function steerTool(p: Parsed, ctx: LensContext): Promise<void> {
  const n = ctx.model.config.nLayer;
  const layer = num(p, 'layer', Math.floor(n / 2), { integer: true, min: 0, max: n - 1 });
  const scale = num(p, 'scale', 1);
  if (str(p, 'positive') || str(p, 'negative')) return steerFromFiles(p, ctx, layer, scale);
  try {
    ctx.tokenizer.encode('Q: What?\nA: I cannot tell you that.');
  } catch {
    throw new Error(
      `the model in ${ctx.dir} cannot read requests ("Q: ...?\nA:"): train one with jielong train --requests N, or steer with --positive/--negative files`,
    );
  }
  const limitRaw = str(p, 'limit');
  const report = await refusalExperiment(ctx.model, ctx.tokenizer, ctx.world, {
    layer,
    scale,
    text: corpusWindows(ctx, 8, Math.min(64, ctx.model.config.blockSize)),
    limit: limitRaw === undefined ? undefined : num(p, 'limit', 0, { integer: true, min: 1 }),
  });
  const svg = barChart({
    title: `Refusal direction after layer ${layer}: how often the model declines (held-out requests)`,
    yLabel: 'refusal rate',
    groups: ['declined requests', 'answered requests'],
    series: [
      { name: 'plain', values: [report.declined.baseline, report.answered.baseline] },
      { name: 'steered (ablated / added)', values: [report.declined.ablated, report.answered.added] },
    ],
  });
  const out = writePicture(ctx, picturePath(p, 'steer'), svg);
  if (ctx.json) {
    const { examples, ...numbers } = report;
    const show = (xs: typeof examples.answeredAdded) =>
      xs.map((x) => ({ prompt: x.case.prompt, reply: x.reply }));
    console.log(
      JSON.stringify({
        ...numbers,
        examples: {
          declinedAblated: show(examples.declinedAblated),
          answeredAdded: show(examples.answeredAdded),
        },
        picture: out,
      }),
    );
    return;
  }
  const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
  console.log(`refusal direction after layer ${layer} (norm ${report.directionNorm.toFixed(3)})`);
  console.log(
    `declined requests (${report.declined.count}): refused ${pct(report.declined.baseline)} plain, ${pct(report.declined.ablated)} with the direction ablated (${pct(report.declined.answeredCorrectlyAblated)} then name the right answer)`,
  );
  console.log(
    `answered requests (${report.answered.count}): refused ${pct(report.answered.baseline)} plain, ${pct(report.answered.added)} with the direction added x${scale}`,
  );
  console.log(
    `loss on ordinary text: ${report.loss.baseline.toFixed(4)} plain, ${report.loss.ablated.toFixed(4)} ablated`,
  );
  if (report.declined.baseline < 0.5) {
    console.log('(the model rarely declines: was it trained with jielong train --requests N?)');
  }
  for (const x of report.examples.declinedAblated.slice(0, 3))
    console.log(`  ${JSON.stringify(x.case.prompt)} ->${x.reply}`);
}

async function steerFromFiles(p: Parsed, ctx: LensContext, layer: number, scale: number): Promise<void> {
  const lines = (flag: string) => {
    const path = str(p, flag);
    if (!path) throw new Error(`--${flag} FILE is needed with --positive/--negative`);
    const prompts = readTextFile(path)
      .split('\n')
      .filter((l) => l.trim() !== '');
    if (prompts.length === 0) throw new Error(`--${flag} ${path}: no prompts (one per line)`);
    return prompts.map((l, i) => encode(ctx, l, `--${flag} ${path} line ${i + 1}`));
  };
  const positive = lines('positive');
  const negative = lines('negative');
  const prompt = str(p, 'prompt');
  if (!prompt) throw new Error('--prompt TEXT: what to continue, plain and steered');
  const point = `blocks.${layer}.hook_resid_post`;
  const how = oneOf(p, 'direction', ['mean', 'pca'] as const, 'mean');
  const direction =
    how === 'mean'
      ? meanDifference(ctx.model, point, positive, negative)
      : pairedPrincipalComponent(ctx.model, point, positive, negative);
  const options = { temperature: 0, maxTokens: num(p, 'max-tokens', 60, { integer: true, min: 1 }) };
  const plain = await generateText(ctx.model, ctx.tokenizer, prompt, options);
  const steered = await generateText(ctx.model, ctx.tokenizer, prompt, {
    ...options,
    hooks: hookContext([steer(point, direction, { scale })]),
  });
  if (ctx.json) {
    console.log(
      JSON.stringify({ layer, direction: how, scale, norm: Math.hypot(...direction.data), plain, steered }),
    );
    return;
  }
  console.log(
    `direction (${how}) after layer ${layer}, norm ${Math.hypot(...direction.data).toFixed(3)}, scale ${scale}`,
  );
  console.log(`plain:   ${JSON.stringify(prompt + plain)}`);
  console.log(`steered: ${JSON.stringify(prompt + steered)}`);
}
