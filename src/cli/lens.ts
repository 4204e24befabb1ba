// `jielong lens TOOL`: the third lecture's tools on a checkpoint, one file per tool in lens/; this file only
// lists them and dispatches, so `jielong lens --help` reads as a table of contents.
import { parse } from './args.js';
import { ABLATE_OPTIONS, ABLATE_USAGE, ablateTool } from './lens/ablate.js';
import { BACKPATCH_OPTIONS, BACKPATCH_USAGE, backpatchTool } from './lens/backpatch.js';
import { CIRCUIT_OPTIONS, CIRCUIT_USAGE, circuitTool } from './lens/circuit.js';
import { COMMON_OPTIONS, type LensContext, loadLensContext } from './lens/common.js';
import { LOGIT_OPTIONS, LOGIT_USAGE, logitTool } from './lens/logit.js';
import { NEURONS_OPTIONS, NEURONS_USAGE, neuronsTool } from './lens/neurons.js';
import { PATCH_OPTIONS, PATCH_USAGE, patchTool } from './lens/patch.js';
import { PATCHSCOPE_OPTIONS, PATCHSCOPE_USAGE, patchscopeTool } from './lens/patchscope.js';
import { PROBE_OPTIONS, PROBE_USAGE, probeTool } from './lens/probe.js';
import { SAE_OPTIONS, SAE_USAGE, saeTool } from './lens/sae.js';
import { STEER_OPTIONS, STEER_USAGE, steerTool } from './lens/steer.js';
import { TUNED_OPTIONS, TUNED_USAGE, tunedTool } from './lens/tuned.js';

interface Tool {
  summary: string;
  options: Record<string, { type: 'string' | 'boolean' }>;
  usage: string;
  run(p: Parameters<typeof logitTool>[0], ctx: LensContext): void | Promise<void>;
}

const TOOLS: Record<string, Tool> = {
  logit: {
    summary: 'the logit lens: what each layer would predict if it were the last',
    options: LOGIT_OPTIONS,
    usage: LOGIT_USAGE,
    run: logitTool,
  },
  tuned: {
    summary: 'fit a tuned lens, save it beside the model, compare its KL with the logit lens',
    options: TUNED_OPTIONS,
    usage: TUNED_USAGE,
    run: tunedTool,
  },
  patch: {
    summary: 'causal tracing: corrupt the subject, restore one state per layer and position, heatmaps',
    options: PATCH_OPTIONS,
    usage: PATCH_USAGE,
    run: patchTool,
  },
  ablate: {
    summary: 'ablate heads, mixers, MLPs, layers or neurons one by one; rank them by effect',
    options: ABLATE_OPTIONS,
    usage: ABLATE_USAGE,
    run: ablateTool,
  },
  neurons: {
    summary: 'MLP neurons as key-value memories (keys, values, agreement); swap a fact by one value vector',
    options: NEURONS_OPTIONS,
    usage: NEURONS_USAGE,
    run: neuronsTool,
  },
  steer: {
    summary: 'the refusal direction (ablate it, add it), or steer along a direction from two prompt sets',
    options: STEER_OPTIONS,
    usage: STEER_USAGE,
    run: steerTool,
  },
  probe: {
    summary: 'linear relational probes for a relation of the built-in world: faithfulness, causality',
    options: PROBE_OPTIONS,
    usage: PROBE_USAGE,
    run: probeTool,
  },
  sae: {
    summary: 'sparse autoencoders: train one on a hook point (SAELens layout), score it, feature pages',
    options: SAE_OPTIONS,
    usage: SAE_USAGE,
    run: saeTool,
  },
  circuit: {
    summary: "the circuit behind a relation's recall: edge pruning (hard-concrete, L0) and ACDC",
    options: CIRCUIT_OPTIONS,
    usage: CIRCUIT_USAGE,
    run: circuitTool,
  },
  patchscope: {
    summary: 'Patchscopes: patch a state into an inspection prompt and read what the model writes',
    options: PATCHSCOPE_OPTIONS,
    usage: PATCHSCOPE_USAGE,
    run: patchscopeTool,
  },
  backpatch: {
    summary: 'two-hop questions answered too late, fixed by sending a later layer back to an earlier one',
    options: BACKPATCH_OPTIONS,
    usage: BACKPATCH_USAGE,
    run: backpatchTool,
  },
};

function usage(): string {
  const rows = Object.entries(TOOLS).map(([name, t]) => `  ${name.padEnd(10)} ${t.summary}`);
  return [
    'usage: jielong lens <tool> [--model DIR] [options]',
    '',
    'Looks inside a model, attention or any other mixer. Each tool prints its numbers (--json: one JSON',
    'object), and draws a picture to out/lens/<tool>.svg (--out FILE).',
    '',
    'tools:',
    ...rows,
    '',
    'jielong lens <tool> --help for its options',
  ].join('\n');
}

export async function lensCommand(args: string[]): Promise<void> {
  const [name, ...rest] = args;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return;
  }
  const tool = TOOLS[name];
  if (!tool) {
    console.error(`jielong lens: unknown tool "${name}"\n\n${usage()}`);
    process.exitCode = 2;
    return;
  }
  const p = parse(rest, { ...COMMON_OPTIONS, ...tool.options }, tool.usage);
  if (!p) return;
  await tool.run(p, loadLensContext(p));
}
