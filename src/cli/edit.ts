// `jielong edit`: rewrite facts in a model's weights by ROME or MEMIT, and write the edited checkpoint.
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { setNumThreads } from '../backend/index.js';
import { corpusWindows, generateWorld, readJsonLines } from '../data/index.js';
import { formatNamed } from '../interop/index.js';
import { edit } from '../lens/index.js';
import { loadCheckpoint, saveCheckpoint } from '../train/index.js';
import { num, oneOf, parse, str } from './args.js';
import { modelDir } from './model-path.js';

const USAGE = `usage: jielong edit --out DIR (--prompt TEXT --subject TEXT --target TEXT | --requests FILE | --counterfact N)

Rewrites facts in a model's weights, no training data: ROME changes one MLP output matrix by rank one per
fact (the layer causal tracing picks), MEMIT writes all the facts at once over several layers. Prints each
request's answer before and after, and with --counterfact the CounterFact measures (efficacy, paraphrase,
neighbourhood, fluency, score) before and after; writes the edited model to --out.

  --model DIR          checkpoint or Hugging Face folder (default: the small model shipped with jielong)
  --out DIR            the edited model (required), in the format it came in
  --method rome|memit  (default rome; ROME edits one fact after another)
  --prompt TEXT --subject TEXT --target TEXT
                       one request: the prompt names the subject, the target is the new answer (" Millbrook")
  --requests FILE      JSONL of {"prompt", "subject", "target"}
  --counterfact N      N rewrites of the built-in world's facts, each to another object of its relation
  --layer L | --layers LIST   the layers to change (default: traced for ROME, the first half for MEMIT)
  --lambda X           MEMIT's weight of the old keys against the new (default 100)
  --steps N            value optimisation steps (default 25)
  --corpus-seed N      the built-in world: its text for the key covariance, its facts to trace (default 1)
  --seed N             which facts --counterfact rewrites, and to what (default 0)
  --threads N  --no-verify  --json`;

const OPTIONS = {
  model: { type: 'string' },
  out: { type: 'string' },
  method: { type: 'string' },
  prompt: { type: 'string' },
  subject: { type: 'string' },
  target: { type: 'string' },
  requests: { type: 'string' },
  counterfact: { type: 'string' },
  layer: { type: 'string' },
  layers: { type: 'string' },
  lambda: { type: 'string' },
  steps: { type: 'string' },
  'corpus-seed': { type: 'string' },
  seed: { type: 'string' },
  threads: { type: 'string' },
  'no-verify': { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

const REQUEST = z.strictObject({
  prompt: z.string().min(1),
  subject: z.string().min(1),
  target: z.string().min(1),
});

export async function editCommand(args: string[]): Promise<void> {
  const p = parse(args, OPTIONS, USAGE);
  if (!p) return;
  if (str(p, 'threads')) setNumThreads(num(p, 'threads', 1, { integer: true, min: 1 }));
  const out = str(p, 'out');
  if (!out) throw new Error('--out DIR is required (the edited checkpoint)');
  const method = oneOf(p, 'method', edit.EDIT_METHODS, 'rome');
  const world = generateWorld(num(p, 'corpus-seed', 1, { integer: true, min: 0 }));
  const sources = ['prompt', 'requests', 'counterfact'].filter((f) => p.values[f] !== undefined);
  if (sources.length !== 1)
    throw new Error('give one of --prompt/--subject/--target, --requests FILE or --counterfact N');
  let cases: edit.CounterfactCase[] = [];
  let requests: edit.EditRequest[];
  if (str(p, 'counterfact')) {
    cases = edit.counterfactCases(world, {
      count: num(p, 'counterfact', 10, { integer: true, min: 1 }),
      seed: num(p, 'seed', 0, { integer: true, min: 0 }),
    });
    requests = cases.map((c) => c.request);
  } else if (str(p, 'requests')) {
    const file = str(p, 'requests')!;
    if (!existsSync(file)) throw new Error(`--requests ${file} does not exist`);
    requests = readJsonLines(file, REQUEST, 'edit requests');
  } else {
    const [prompt, subject, target] = ['prompt', 'subject', 'target'].map((f) => str(p, f));
    if (!prompt || !subject || !target) throw new Error('--prompt, --subject and --target go together');
    if (!prompt.includes(subject)) throw new Error(`--subject "${subject}" is not in --prompt "${prompt}"`);
    requests = [{ prompt, subject, target }];
  }
  const dir = modelDir(str(p, 'model'));
  // A Hugging Face folder is edited as it is and written back as one.
  const hf = formatNamed('hf');
  const fromHF = hf.detect(dir);
  const { model, tokenizer, tokenizerConfig } = fromHF
    ? hf.import(dir)
    : loadCheckpoint(dir, { verify: !p.values['no-verify'] });
  model.eval();
  const layers = str(p, 'layers')
    ? str(p, 'layers')!.split(',').map(Number)
    : str(p, 'layer')
      ? [num(p, 'layer', 0, { integer: true, min: 0 })]
      : undefined;
  const started = performance.now();
  const setup = edit.prepareEdits(model, tokenizer, {
    method,
    windows: corpusWindows(world, tokenizer, 32, Math.min(64, model.config.blockSize), 1),
    world,
    layers,
    lambda: str(p, 'lambda') ? num(p, 'lambda', 100, { min: 0 }) : undefined,
    steps: str(p, 'steps') ? num(p, 'steps', 25, { integer: true, min: 1 }) : undefined,
  });
  const json = p.values.json === true;
  const prob = (r: edit.EditRequest) => Math.exp(edit.answerLogProb(model, tokenizer, r.prompt, r.target));
  const before = requests.map(prob);
  const baseline = cases.length ? await edit.subjectEntropy(model, tokenizer, cases) : 0;
  const scoresBefore = cases.length ? await edit.evaluateEdits(model, tokenizer, cases, baseline) : null;
  if (!json)
    console.log(
      `${method.toUpperCase()} on layer${setup.layers.length > 1 ? 's' : ''} ${setup.layers.join(', ')}: ${requests.length} request${requests.length > 1 ? 's' : ''}`,
    );
  edit.applyEdits(model, tokenizer, requests, setup, (done) => {
    if (!json && requests.length > 1 && (done % 10 === 0 || done === requests.length))
      console.log(
        `  ${done}/${requests.length} edited (${((performance.now() - started) / 1000).toFixed(1)} s)`,
      );
  });
  const after = requests.map(prob);
  const scoresAfter = cases.length ? await edit.evaluateEdits(model, tokenizer, cases, baseline) : null;
  if (fromHF) hf.export({ model, tokenizer, tokenizerConfig }, out, 'f32');
  else saveCheckpoint(out, { model, tokenizer, tokenizerConfig });
  const rows = requests.map((r, i) => ({ ...r, before: before[i], after: after[i] }));
  if (json) {
    console.log(
      JSON.stringify({
        method,
        layers: setup.layers,
        requests: rows,
        before: scoresBefore,
        after: scoresAfter,
        out,
      }),
    );
    return;
  }
  for (const r of rows.slice(0, 20))
    console.log(
      `  ${JSON.stringify(r.prompt)} -> ${JSON.stringify(r.target)}: P ${r.before.toFixed(4)} -> ${r.after.toFixed(4)}`,
    );
  if (rows.length > 20) console.log(`  ... (${rows.length - 20} more)`);
  if (scoresBefore && scoresAfter) {
    const line = (name: string, s: edit.EditScores) =>
      `  ${name.padEnd(7)} efficacy ${s.efficacy.toFixed(2)}  paraphrase ${s.paraphrase.toFixed(2)}  neighbourhood ${s.neighbourhood.toFixed(2)}  fluency ${s.fluency.toFixed(2)}  score ${s.score.toFixed(2)}`;
    console.log(line('before', scoresBefore));
    console.log(line('after', scoresAfter));
  }
  console.log(`edited model in ${out} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
}
