// `npm run bench -- agent`: does a small model do better with tools? Held-out tasks of the built-in world
// (arithmetic too long for one's head, facts about people its training never named, today's date), each
// asked three ways: without tools, with the three tools that fit, and with those three hidden among 200
// distractors of which BM25 retrieval (or the model's embeddings, --embed) shows 5 per step. Reported
// per kind and condition: accuracy, model calls and seconds per task (tools are not always the faster
// way). Writes out/bench/agent.svg.
//
// The model: --model DIR (default models/agent, in-process), or any OpenAI-compatible server:
// --endpoint URL --model-id ID [--api-key K] [--completions: its /v1/completions, tools through the prompt].
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  endpointEmbed,
  endpointModel,
  evaluateTools,
  jielong,
  jielongEmbed,
  scoreOutcomes,
  TOOL_CONDITIONS,
  type ToolCondition,
} from '../src/agent/index.js';
import { generateWorld, toolTasks } from '../src/data/index.js';
import { barChart, writeSvg } from '../src/plot/index.js';
import { loadCheckpoint } from '../src/train/index.js';
import { outputDir } from './_mixers.js';
import { option, progress, type Row, report, row } from './_report.js';

const shipped = fileURLToPath(new URL('../../models/agent', import.meta.url));
const endpoint = option('endpoint', '');
const modelId = option('model-id', '');
const apiKey = option('api-key', process.env.OPENAI_API_KEY ?? '') || undefined;
const perKind = Number(option('per-kind', '30'));
const conditions = option('conditions', TOOL_CONDITIONS.join(',')).split(',') as ToolCondition[];
for (const c of conditions)
  if (!TOOL_CONDITIONS.includes(c))
    throw new Error(`--conditions: no "${c}" (${TOOL_CONDITIONS.join(', ')})`);
if (endpoint && !modelId) throw new Error('--endpoint needs --model-id');

const checkpoint = endpoint ? null : loadCheckpoint(option('model', shipped));
const model = checkpoint
  ? jielong(checkpoint)
  : endpointModel({
      baseURL: endpoint,
      modelId,
      apiKey,
      completions: process.argv.includes('--completions'),
    });
// --embed: retrieval by the model's own embeddings (in-process, or the endpoint's /v1/embeddings).
const embed = !process.argv.includes('--embed')
  ? undefined
  : checkpoint
    ? jielongEmbed(checkpoint)
    : endpointEmbed({ baseURL: endpoint, modelId, apiKey });
const world = generateWorld(1);
const tasks = toolTasks(world, { split: 'held-out', perKind, seed: Number(option('seed', '1')) });
const started = performance.now();
const outcomes = await evaluateTools(tasks, conditions, {
  model,
  world,
  embed,
  onTask: (o, done, total) => {
    if (done % 10 === 0 || done === total)
      progress(
        `${done}/${total} tasks (${o.condition}), ${((performance.now() - started) / 1000).toFixed(0)} s`,
      );
  },
});
const kinds = ['arithmetic', 'lookup', 'date', 'all'] as const;
const scores = scoreOutcomes(outcomes).sort(
  (a, b) =>
    conditions.indexOf(a.condition) - conditions.indexOf(b.condition) ||
    kinds.indexOf(a.kind) - kinds.indexOf(b.kind),
);
const rows: Row[] = scores.flatMap((s) => {
  const base = { bench: 'agent', case: `${s.condition} ${s.kind}`, peer: null, theirs: null };
  return [
    row({ ...base, metric: 'accuracy', ours: s.accuracy }),
    row({ ...base, metric: 'steps/task', ours: s.steps }),
    row({ ...base, metric: 'seconds/task', ours: s.seconds }),
  ];
});
const path = join(outputDir(), 'agent.svg');
writeSvg(
  path,
  barChart({
    title: `Held-out tasks with and without tools (${endpoint ? modelId : 'models/agent'})`,
    yLabel: 'accuracy',
    groups: [...kinds],
    series: conditions.map((c) => ({
      name: c === 'none' ? 'no tools' : c === 'tools' ? '3 tools' : 'retrieval among 203',
      values: kinds.map((k) => scores.find((s) => s.kind === k && s.condition === c)?.accuracy ?? Number.NaN),
    })),
  }),
);
report(rows, [
  `${tasks.length} held-out tasks (${perKind} per kind) per condition; model ${endpoint ? `${modelId} at ${endpoint}` : option('model', 'models/agent')}; temperature 0; plot ${path}`,
]);
