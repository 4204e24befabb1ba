// `jielong lens patchscope`: let the model say what its hidden states hold. By default, for the world's
// people, the share whose name (token identity) and city (an attribute prompt) can be read from the state
// at the last token of their name, per layer; with --source, what the model writes from one state patched
// in at each layer.

import { entityReadout, inspectionPrompt, patchInto, residStream } from '../../lens/index.js';
import { barChart, lineChart } from '../../plot/index.js';
import { num, oneOf, type Parsed, str } from '../args.js';
import { COMMON_USAGE, encode, type LensContext, picturePath, writePicture } from './common.js';

export const PATCHSCOPE_OPTIONS = {
  source: { type: 'string' },
  'source-position': { type: 'string' },
  target: { type: 'string' },
  'target-position': { type: 'string' },
  'target-layer': { type: 'string' },
  relation: { type: 'string' },
  'max-tokens': { type: 'string' },
} as const;

export const PATCHSCOPE_USAGE = `usage: jielong lens patchscope [--relation lives_in|born_in] [--source TEXT [--target TEXT]]

Patches the residual stream of a source prompt at (layer, position) into a target prompt and reads what
the model writes from there (Patchscopes). Without --source: for every person of the world, the state at
the last token of their name, read at each layer with the token-identity prompt ("Rivermouth ->
Rivermouth; ...; x ->") and with "x lives in"; prints the share whose name and whose city come out, per
layer, and draws it.

  --relation R          the attribute read: lives_in (default) or born_in (shared by siblings, so a last
                        name alone tells it)
  --source TEXT         one source prompt instead; --source-position N (default its last token)
  --target TEXT         the target (default the identity prompt, or " x lives in" where the vocabulary
                        cannot write "->"); --target-position N (default: the placeholder, else the
                        last token)
  --target-layer N      patch into this layer (default: the source's layer)
  --max-tokens N        tokens to write (default 6)

${COMMON_USAGE}`;

export function patchscopeTool(p: Parsed, ctx: LensContext): void {
  const { model, tokenizer, world } = ctx;
  const L = model.config.nLayer;
  const targetLayer = str(p, 'target-layer')
    ? num(p, 'target-layer', 0, { integer: true, min: 0, max: L })
    : undefined;
  const source = str(p, 'source');
  if (source === undefined) {
    const relation = oneOf(p, 'relation', ['lives_in', 'born_in'] as const, 'lives_in');
    const rows = entityReadout(model, tokenizer, world, { relation, targetLayer });
    const readings = [
      ['name', 'name (few-shot identity)'],
      ['echo', 'name (echoed in an answer)'],
      ['attribute', `${relation === 'lives_in' ? 'city lived in' : 'city of birth'} (attribute)`],
    ] as const;
    const svg = lineChart({
      title: `Patchscopes: what the state at a name's last token says, per layer (${rows[0].subjects} people)`,
      xLabel: 'source layer (residual stream entering it)',
      yLabel: 'share read out',
      series: readings
        .filter(([key]) => rows[0][key] !== null)
        .map(([key, name]) => ({ name, points: rows.map((r) => [r.layer, r[key] ?? Number.NaN] as const) })),
    });
    const out = writePicture(ctx, picturePath(p, 'patchscope'), svg);
    if (ctx.json) {
      console.log(JSON.stringify({ relation, rows, picture: out }));
      return;
    }
    console.log(
      `layer  identity  echo  ${relation}   (${rows[0].subjects} people; target layer ${targetLayer ?? 'same as source'})`,
    );
    for (const r of rows)
      console.log(
        `${String(r.layer).padStart(5)}  ${pct(r.name).padStart(8)}  ${pct(r.echo).padStart(4)}  ${pct(r.attribute).padStart(8)}`,
      );
    return;
  }
  const ids = Array.from(encode(ctx, source, '--source').data);
  const sourcePosition = num(p, 'source-position', ids.length - 1, {
    integer: true,
    min: 0,
    max: ids.length - 1,
  });
  const identity = inspectionPrompt(tokenizer, world);
  const targetText = str(p, 'target');
  const targetIds =
    targetText === undefined ? identity.ids : Array.from(encode(ctx, targetText, '--target').data);
  const fallback = targetText === undefined ? identity.position : targetIds.length - 1;
  const targetPosition = num(p, 'target-position', fallback, {
    integer: true,
    min: 0,
    max: targetIds.length - 1,
  });
  const maxTokens = num(p, 'max-tokens', 6, { integer: true, min: 1 });
  const stream = residStream(model, ids);
  const rows = stream.map((layerStates, layer) => {
    const target = { ids: targetIds, layer: targetLayer ?? layer, position: targetPosition };
    const out = patchInto(model, layerStates[sourcePosition], target, { maxTokens });
    const max = Math.max(...out.logits);
    const z = out.logits.reduce((s, v) => s + Math.exp(v - max), 0);
    const firstProb = Math.exp(out.logits[out.tokens[0]] - max) / z;
    return { layer, targetLayer: target.layer, text: tokenizer.decode(out.tokens), firstProb };
  });
  const svg = barChart({
    title: 'Patchscopes: what the model writes from the state of each layer',
    yLabel: 'probability of the first token written',
    groups: rows.map((r) => `${r.layer}: ${JSON.stringify(r.text).slice(0, 18)}`),
    series: [{ name: 'P(first token)', values: rows.map((r) => r.firstProb) }],
  });
  const out = writePicture(ctx, picturePath(p, 'patchscope'), svg);
  if (ctx.json) {
    console.log(
      JSON.stringify({
        source,
        sourcePosition,
        target: tokenizer.decode(targetIds),
        targetPosition,
        rows,
        picture: out,
      }),
    );
    return;
  }
  console.log(
    `source ${JSON.stringify(source)} at position ${sourcePosition}; target ${JSON.stringify(tokenizer.decode(targetIds))} at ${targetPosition}`,
  );
  for (const r of rows) console.log(`layer ${r.layer} -> ${r.targetLayer}: ${JSON.stringify(r.text)}`);
}

const pct = (x: number | null) => (x === null ? 'n/a' : `${(100 * x).toFixed(0)}%`);
