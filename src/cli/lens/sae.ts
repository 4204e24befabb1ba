// `jielong lens sae train|eval`: a sparse autoencoder on one hook point of a checkpoint, trained on the
// built-in corpus from a shuffled buffer of activations, saved in SAELens's layout, and scored with the
// field's metrics (the SAE spliced into the forward pass); the picture is the features' firing rates.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { generateCorpus } from '../../data/index.js';
import { writeFileAtomic } from '../../io/index.js';
import {
  ActivationBuffer,
  evaluateSae,
  featurePagesHtml,
  featureReports,
  groundTruth,
  loadSae,
  runWithCache,
  SAE_ARCHITECTURES,
  type SaeMetrics,
  type SparseAutoencoder,
  saveSae,
  trainSae,
} from '../../lens/index.js';
import { barChart } from '../../plot/index.js';
import { Generator, noGrad } from '../../tensor/index.js';
import { num, oneOf, type Parsed, str } from '../args.js';
import { COMMON_USAGE, corpusWindows, type LensContext, picturePath, writePicture } from './common.js';

export const SAE_OPTIONS = {
  hook: { type: 'string' },
  architecture: { type: 'string' },
  'd-sae': { type: 'string' },
  k: { type: 'string' },
  l1: { type: 'string' },
  l0: { type: 'string' },
  steps: { type: 'string' },
  lr: { type: 'string' },
  seed: { type: 'string' },
  sae: { type: 'string' },
  features: { type: 'string' },
  html: { type: 'string' },
} as const;

export const SAE_USAGE = `usage: jielong lens sae train [--hook NAME] [--architecture topk|standard|jumprelu] [--d-sae N]
                             [--k K | --l1 X | --l0 X] [--steps N] [--lr X] [--sae DIR]
       jielong lens sae eval --sae DIR
       jielong lens sae pages --sae DIR [--features N] [--html FILE]
       jielong lens sae truth --sae DIR

train: a sparse autoencoder on one hook point, from a shuffled buffer of activations the model makes
reading the built-in corpus; saved in SAELens's layout (cfg.json, sae_weights.safetensors) to --sae
(default DIR/sae/<hook>, beside the model). eval: the metrics of a saved one (SAELens's too).
Both print l0, explained_variance, ce_loss_score, kl_div_score, l2_ratio, dead and dense features.
pages: one self-contained HTML file (default out/lens/sae-pages.html): an index of the features, and
for each its top-activating contexts shaded by activation, its activation histogram, and the tokens its
decoder direction promotes and suppresses through the unembedding (--features N: the N most frequent,
default 100). truth: which of the world's concepts the SAE found as features: for each entity kind
(person, city, ...) and each relation's template words, the best single feature's F1 at marking its
tokens in the held-out tail of the corpus.

  --hook NAME          the hook point (default: the residual stream after the middle block)
  --architecture A     topk (default; k features per token, an auxiliary loss revives dead ones),
                       standard (ReLU, L1 penalty weighted by decoder norms) or jumprelu (a learned
                       threshold per feature, an L0 penalty through straight-through estimators)
  --d-sae N            features (default 4 x the width)
  --k K  --l1 X        topk's k (default 8); standard's L1 coefficient (default 1)
  --l0 X               jumprelu's L0 coefficient (default 0.1)
  --steps N  --lr X    training steps of 256 activations (default 1000) and learning rate (3e-3)
  --seed N             (default 0)

${COMMON_USAGE}`;

export function saeTool(p: Parsed, ctx: LensContext): void {
  const [action, ...rest] = p.positionals;
  if (!['train', 'eval', 'pages', 'truth'].includes(action) || rest.length)
    throw new Error('jielong lens sae: say train, eval, pages or truth (jielong lens sae --help)');
  if (action === 'pages' || action === 'truth') {
    (action === 'pages' ? pages : truth)(p, ctx);
    return;
  }
  const sae = action === 'train' ? train(p, ctx) : loadSae(required(p, 'sae'));
  if (action === 'eval' && sae.cfg.d_in !== ctx.model.config.nEmbd)
    throw new Error(
      `--sae: it reads ${sae.cfg.d_in} dimensions; ${sae.cfg.hook_name} of this model has ${ctx.model.config.nEmbd}`,
    );
  const T = Math.min(64, ctx.model.config.blockSize);
  const metrics = evaluateSae(ctx.model, sae, [corpusWindows(ctx, 8, T, 3)]);
  const out = writePicture(ctx, picturePath(p, 'sae'), firingPicture(ctx, sae, T));
  if (ctx.json) {
    console.log(
      JSON.stringify({
        hook: sae.cfg.hook_name,
        architecture: sae.cfg.architecture,
        d_sae: sae.cfg.d_sae,
        ...metrics,
        picture: out,
      }),
    );
    return;
  }
  console.log(`${sae.cfg.architecture} SAE of ${sae.cfg.d_sae} features on ${sae.cfg.hook_name}`);
  for (const [k, v] of Object.entries(metrics) as [keyof SaeMetrics, number][])
    console.log(`  ${k.padEnd(20)} ${Number.isInteger(v) ? v : v.toFixed(4)}`);
  console.log(`picture: ${out}`);
}

function required(p: Parsed, flag: string): string {
  const v = str(p, flag);
  if (!v) throw new Error(`--${flag} is required`);
  return v;
}

function train(p: Parsed, ctx: LensContext): SparseAutoencoder {
  const hook = str(p, 'hook') ?? `blocks.${Math.floor(ctx.model.config.nLayer / 2)}.hook_resid_post`;
  const architecture = oneOf(p, 'architecture', SAE_ARCHITECTURES, 'topk');
  const generator = new Generator(num(p, 'seed', 0, { integer: true, min: 0 }));
  const text = generateCorpus(ctx.world).text;
  const ids = ctx.tokenizer.encode(text.slice(0, Math.floor(text.length * 0.9))); // the tail is for eval
  const buffer = new ActivationBuffer(ctx.model, hook, ids, {
    contextSize: Math.min(32, ctx.model.config.blockSize),
    capacity: 4096,
    generator,
  });
  const steps = num(p, 'steps', 1000, { integer: true, min: 1 });
  const started = Date.now();
  const sae = trainSae(buffer, {
    architecture,
    dSae: num(p, 'd-sae', 4 * buffer.dIn, { integer: true, min: 1 }),
    k: num(p, 'k', 8, { integer: true, min: 1 }),
    l1Coefficient: num(p, 'l1', 1, { min: 0 }),
    l0Coefficient: num(p, 'l0', 0.1, { min: 0 }),
    steps,
    lr: num(p, 'lr', 3e-3, { above: 0 }),
    generator,
    every: 100,
    onProgress: ({ step, mse, l0, dead }) => {
      if (ctx.json) return;
      const eta = ((Date.now() - started) / step) * (steps - step);
      console.error(
        `step ${step}/${steps}  mse ${mse.toFixed(4)}  l0 ${l0.toFixed(1)}  dead ${dead}  ETA ${(eta / 1000).toFixed(0)}s`,
      );
    },
  });
  const dir = str(p, 'sae') ?? join(ctx.dir, 'sae', hook);
  saveSae(sae, dir);
  if (!ctx.json) console.error(`saved to ${dir}`);
  return sae;
}

/** How often each feature fires on held-out windows, as a histogram of log10 rates (the field's plot). */
function firingPicture(ctx: LensContext, sae: SparseAutoencoder, T: number): string {
  const ids = corpusWindows(ctx, 8, T, 5);
  const rates = new Float64Array(sae.cfg.d_sae);
  noGrad(() => {
    const { cache } = runWithCache(ctx.model, ids, { names: [sae.cfg.hook_name] });
    const f = sae.encode(cache.get(sae.cfg.hook_name));
    for (let i = 0; i < f.data.length; i++) if (f.data[i] !== 0) rates[i % sae.cfg.d_sae]++;
  });
  const tokens = ids.data.length;
  const bins = ['dead', '<1e-3', '1e-3..1e-2', '1e-2..1e-1', '>1e-1'];
  const counts = new Array(bins.length).fill(0);
  for (const r of rates) {
    const rate = r / tokens;
    counts[rate === 0 ? 0 : rate < 1e-3 ? 1 : rate < 1e-2 ? 2 : rate < 1e-1 ? 3 : 4]++;
  }
  return barChart({
    title: `How often each of ${sae.cfg.d_sae} features fires (${sae.cfg.hook_name})`,
    yLabel: 'features',
    groups: bins,
    series: [{ name: sae.cfg.architecture, values: counts }],
  });
}

function pages(p: Parsed, ctx: LensContext): void {
  const sae = loadSae(required(p, 'sae'));
  const T = Math.min(64, ctx.model.config.blockSize);
  const reports = featureReports(ctx.model, ctx.tokenizer, sae, corpusWindows(ctx, 64, T, 7)).slice(
    0,
    num(p, 'features', 100, { integer: true, min: 1 }),
  );
  const out = str(p, 'html') ?? join('out', 'lens', 'sae-pages.html');
  mkdirSync(dirname(out), { recursive: true });
  writeFileAtomic(out, featurePagesHtml(reports, `${sae.cfg.architecture} SAE on ${sae.cfg.hook_name}`));
  if (ctx.json) console.log(JSON.stringify({ html: out, features: reports.map((r) => r.feature) }));
  else console.log(`${reports.length} feature pages: ${out}`);
}

function truth(p: Parsed, ctx: LensContext): void {
  const sae = loadSae(required(p, 'sae'));
  const text = generateCorpus(ctx.world).text;
  const tail = text.slice(Math.floor(text.length * 0.9), Math.floor(text.length * 0.9) + 40_000);
  const rows = groundTruth(ctx.model, ctx.tokenizer, sae, ctx.world, tail);
  const svg = barChart({
    title: `Best single feature's F1 per concept of the world (${sae.cfg.hook_name})`,
    yLabel: 'F1',
    groups: rows.map((r) => r.concept),
    series: [{ name: sae.cfg.architecture, values: rows.map((r) => r.f1) }],
  });
  const out = writePicture(ctx, picturePath(p, 'sae-truth'), svg);
  if (ctx.json) {
    console.log(JSON.stringify({ concepts: rows, picture: out }));
    return;
  }
  console.log('concept        kind       tokens  feature     F1  precision  recall');
  for (const r of rows)
    console.log(
      `${r.concept.padEnd(14)} ${r.what.padEnd(9)} ${String(r.positives).padStart(7)}  ${(r.feature < 0 ? '-' : String(r.feature)).padStart(7)}  ${r.f1.toFixed(2).padStart(5)}  ${r.precision.toFixed(2).padStart(9)}  ${r.recall.toFixed(2).padStart(6)}`,
    );
  console.log(`picture: ${out}`);
}
