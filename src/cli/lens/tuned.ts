// `jielong lens tuned`: fit a tuned lens on the built-in corpus, save it beside the model, and compare its
// KL to the final distribution per layer with the logit lens's (the tuned-lens paper's figure).
import { join } from 'node:path';
import { fitTunedLens, lensKL } from '../../lens/index.js';
import { lineChart } from '../../plot/index.js';
import { num, type Parsed, str } from '../args.js';
import { COMMON_USAGE, corpusWindows, type LensContext, picturePath, writePicture } from './common.js';

export const TUNED_OPTIONS = {
  steps: { type: 'string' },
  lr: { type: 'string' },
  save: { type: 'string' },
} as const;

export const TUNED_USAGE = `usage: jielong lens tuned [--steps N] [--lr X] [--save FILE]

Trains one affine translator per layer so that decoding the translated residual stream matches the
model's final distribution (KL), on windows of the built-in corpus; then reports KL(final || lens) per
layer on held-out windows for the logit lens and the tuned lens.

  --steps N     optimisation steps (default 300)
  --lr X        learning rate (default 1e-3)
  --save FILE   where the translators go (default DIR/tuned-lens.safetensors, beside the model)

${COMMON_USAGE}`;

export function tunedTool(p: Parsed, ctx: LensContext): void {
  const steps = num(p, 'steps', 300, { integer: true, min: 1 });
  const T = Math.min(64, ctx.model.config.blockSize);
  const batches = Array.from({ length: 8 }, (_, i) => corpusWindows(ctx, 8, T, i + 1));
  const started = Date.now();
  const lens = fitTunedLens(ctx.model, batches, {
    steps,
    lr: num(p, 'lr', 1e-3, { above: 0 }),
    onStep: (step, loss) => {
      if (!ctx.json && ((step + 1) % 50 === 0 || step + 1 === steps)) {
        const eta = ((Date.now() - started) / (step + 1)) * (steps - step - 1);
        console.error(
          `step ${step + 1}/${steps}  summed KL ${loss.toFixed(4)}  ETA ${(eta / 1000).toFixed(0)}s`,
        );
      }
    },
  });
  const path = str(p, 'save') ?? join(ctx.dir, 'tuned-lens.safetensors');
  lens.save(path);
  const kl = lensKL(ctx.model, corpusWindows(ctx, 8, T, 0), lens);
  const svg = lineChart({
    title: 'KL(final || lens) per layer: logit lens vs tuned lens',
    xLabel: 'layer (residual stream entering it; last = output)',
    yLabel: 'KL (nats)',
    series: [
      { name: 'logit lens', points: kl.logit.map((v, i) => [i, v]) },
      { name: 'tuned lens', points: kl.tuned!.map((v, i) => [i, v]) },
    ],
  });
  const out = writePicture(ctx, picturePath(p, 'tuned'), svg);
  if (ctx.json) {
    console.log(
      JSON.stringify({ saved: path, layers: kl.labels, logit: kl.logit, tuned: kl.tuned, picture: out }),
    );
    return;
  }
  console.log(`saved the tuned lens to ${path}`);
  console.log('layer       logit KL  tuned KL');
  kl.labels.forEach((l, i) => {
    console.log(
      `${l.padEnd(11)} ${kl.logit[i].toFixed(4).padStart(8)}  ${kl.tuned![i].toFixed(4).padStart(8)}`,
    );
  });
}
