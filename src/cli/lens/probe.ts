// `jielong lens probe`: linear relational probes for a relation of the built-in world, at every layer.
import { RELATIONS, type Relation } from '../../data/index.js';
import {
  bestPhrasings,
  causality,
  faithfulness,
  fitLRE,
  type LabelledCase,
  subjectSpan,
} from '../../lens/index.js';
import { barChart } from '../../plot/index.js';
import { IntTensor } from '../../tensor/index.js';
import { num, oneOf, type Parsed } from '../args.js';
import { COMMON_USAGE, type LensContext, picturePath, writePicture } from './common.js';

export const PROBE_OPTIONS = {
  relation: { type: 'string' },
  method: { type: 'string' },
  beta: { type: 'string' },
  train: { type: 'string' },
} as const;

const FUNCTIONAL = (Object.keys(RELATIONS) as Relation[]).filter((r) => RELATIONS[r].functional);

export const PROBE_USAGE = `usage: jielong lens probe [--relation R] [--method jacobian|least-squares] [--beta X] [--train N]

Fits a linear relational embedding (Hernandez et al. 2023) o = beta W s + b from the subject's last token
after each layer (s) to the last hidden state at the prompt's end (o), on --train facts the model knows,
and measures on the other known facts of the relation:
  faithfulness  how often the probe's decoded object (among the relation's objects) is the model's answer
  causality     how often editing s by W^+ (o' - o) makes the model answer another object o'

  --relation R   one of ${FUNCTIONAL.join(', ')} (default born_in)
  --method M     jacobian (the paper's mean Jacobian, default) or least-squares
  --beta X       the scale on W (default 2.5, the paper's usual setting)
  --train N      facts to fit on (default 8)

${COMMON_USAGE}`;

export function probeTool(p: Parsed, ctx: LensContext): void {
  const relation = oneOf(p, 'relation', FUNCTIONAL, 'born_in');
  const method = oneOf(p, 'method', ['jacobian', 'least-squares'] as const, 'jacobian');
  const beta = num(p, 'beta', 2.5);
  const nTrain = num(p, 'train', 8, { integer: true, min: 1 });
  const facts = ctx.world.facts.filter((f) => f.relation === relation);
  const { checks, phrasing } = bestPhrasings(ctx.model, ctx.tokenizer, facts).get(relation)!;
  const known = checks.filter((c) => c.known);
  const cases: LabelledCase[] = known.map((c) => {
    const span = subjectSpan(ctx.tokenizer, c.prompt, c.fact.subject);
    return {
      ids: new IntTensor(Int32Array.from(c.promptIds), [1, c.promptIds.length]),
      subjectPos: span[span.length - 1],
      object: c.answerIds[0],
    };
  });
  if (cases.length < nTrain + 2) {
    throw new Error(
      `probe: the model knows ${cases.length} of ${checks.length} ${relation} facts; --train ${nTrain} leaves fewer than 2 to measure on`,
    );
  }
  const candidates = [...new Set(cases.map((c) => c.object))];
  const [train, test] = [cases.slice(0, nTrain), cases.slice(nTrain)];
  const L = ctx.model.config.nLayer;
  const layers = Array.from({ length: L }, (_, l) => {
    const probe = fitLRE(
      ctx.model,
      `blocks.${l}.hook_resid_post`,
      train,
      method === 'jacobian' ? { beta } : { beta, method },
    );
    const edited = test.slice(0, 8);
    const cause =
      new Set(edited.map((c) => c.object)).size >= 2
        ? causality(ctx.model, probe, edited, { candidates }).success
        : null;
    return {
      layer: l,
      faithfulness: faithfulness(ctx.model, probe, test, { candidates }).candidates!,
      causality: cause,
    };
  });
  const svg = barChart({
    title: `Linear relational probe for ${relation} (${method}, beta ${beta}), held-out subjects`,
    yLabel: 'share',
    groups: layers.map((l) => `layer ${l.layer}`),
    series: [
      { name: 'faithfulness', values: layers.map((l) => l.faithfulness) },
      { name: 'causality', values: layers.map((l) => l.causality ?? Number.NaN) },
      { name: 'chance', values: layers.map(() => 1 / candidates.length) },
    ],
  });
  const out = writePicture(ctx, picturePath(p, 'probe'), svg);
  const prompt = known[0].prompt.replace(known[0].fact.subject, '<subject>');
  if (ctx.json) {
    console.log(
      JSON.stringify({
        relation,
        prompt,
        known: known.length,
        total: checks.length,
        train: train.length,
        test: test.length,
        candidates: candidates.length,
        method,
        beta,
        layers,
        picture: out,
      }),
    );
    return;
  }
  console.log(
    `${relation}: the model knows ${known.length} of ${checks.length} facts with "${prompt}" (phrasing ${phrasing}); fitted on ${train.length}, measured on ${test.length}; ${candidates.length} objects (chance ${(1 / candidates.length).toFixed(2)})`,
  );
  for (const l of layers) {
    console.log(
      `layer ${l.layer}: faithfulness ${l.faithfulness.toFixed(2)}  causality ${l.causality === null ? '-' : l.causality.toFixed(2)}`,
    );
  }
}
