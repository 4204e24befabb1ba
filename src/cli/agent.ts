// `jielong agent`: give a model a goal and tools and watch it act; `jielong agent trace FILE` reads a
// run's trace back.

import type { ToolSet } from 'ai';
import {
  Agent,
  builtinTools,
  connectMcp,
  describeEvent,
  driveTool,
  formatTrace,
  type McpConnection,
  MemoryStore,
  readTrace,
  Sandbox,
  skillTools,
  TraceWriter,
} from '../agent/index.js';
import { setNumThreads } from '../backend/index.js';
import {
  generateWorld,
  neighbours,
  type PlanningStrategy,
  ROUTE_INSTRUCTIONS,
  RoadTrip,
  roadMap,
  toolExamples,
  type World,
} from '../data/index.js';
import { num, parse, str } from './args.js';
import { chooseModel, MODEL_OPTIONS } from './model-choice.js';
import { SHIPPED_AGENT_MODEL } from './model-path.js';
import { textWorldCommand } from './text-world.js';

const USAGE = `usage: jielong agent [options] GOAL
       jielong agent trace FILE
       jielong agent text-world [options]   (the text world, with memory: jielong agent text-world --help)

Gives a model a goal and tools; it acts (calls tools), observes, and goes on until it answers or a
budget runs out. Tools: calculator, lookup (the built-in world's facts), clock, and read_file with --files.

model (one of):
  --model DIR          a jielong chat checkpoint, in-process (default: models/agent, which knows
                       calculator, lookup, clock and drive)
  --endpoint URL       an OpenAI-compatible server (jielong serve, vLLM, llama.cpp's server): its /v1 URL
  --model-id ID        the model to ask the endpoint for (required with --endpoint)
  --api-key KEY        the endpoint's key (default: $OPENAI_API_KEY)
  --completions        use the endpoint's /v1/completions: the conversation rendered with ChatML, tools
                       through the prompt (for a base model, or a server without a chat route)
agent:
  --instructions TEXT  the system message
  --steps N            model calls at most (default 10)
  --tokens N           tokens at most, all steps together
  --seconds X          wall-clock time at most
  --tool-timeout MS    a tool call's time limit (default 10000)
  --tools NAMES        the built-in tools to offer, comma-separated, or none (default all; a small
                       model's context fits only a few: models/chat knows lookup alone)
  --tools-per-step N   show the model only the N tools whose manuals best fit the goal (BM25)
  --mcp COMMAND        also offer the tools of this MCP server (started over stdio; repeatable;
                       its tools replace built-in ones of the same name; --tools none for only these)
  --planning S         plan-then-act (plan once) or replan (plan again after every observation); the
                       plan is shown to the model while it acts, and in the trace
  --trip TOWN          a road trip on the world's map from TOWN: the drive tool (alone, unless --tools
                       names more) and the trip's instructions (the planning study)
  --closed A-B         a road of the trip that turns out closed (repeatable)
  --files DIR          the folder read_file may read
  --skills DB          also offer the tools in this memory store's skill library (jielong memory learn),
                       each run in the QuickJS sandbox when called
  --world-seed N       the world lookup answers from (default 1)
  --temperature X      (default 0)
  --trace FILE         write every event as a JSON line (read it with: jielong agent trace FILE)
  --threads N`;

const OPTIONS = {
  ...MODEL_OPTIONS,
  planning: { type: 'string' },
  trip: { type: 'string' },
  closed: { type: 'string', multiple: true },
  instructions: { type: 'string' },
  steps: { type: 'string' },
  tokens: { type: 'string' },
  seconds: { type: 'string' },
  'tool-timeout': { type: 'string' },
  files: { type: 'string' },
  skills: { type: 'string' },
  tools: { type: 'string' },
  mcp: { type: 'string', multiple: true },
  'tools-per-step': { type: 'string' },
  'world-seed': { type: 'string' },
  temperature: { type: 'string' },
  trace: { type: 'string' },
  threads: { type: 'string' },
} as const;

function chooseTools(p: NonNullable<ReturnType<typeof parse>>): ToolSet {
  const seed = num(p, 'world-seed', 1, { integer: true, min: 0 });
  const all: ToolSet = builtinTools({
    worldSeed: seed,
    files: str(p, 'files'),
  });
  // A road trip offers drive alone unless --tools says more: the model learned to drive with one tool.
  const given = str(p, 'tools') ?? (str(p, 'trip') ? 'none' : undefined);
  const names = given === 'none' ? [] : (given?.split(',') ?? Object.keys(all));
  for (const n of names) {
    if (!(n in all))
      throw new Error(
        `--tools: no built-in tool "${n}" (${Object.keys(all).join(', ')}${str(p, 'files') ? '' : '; read_file needs --files'})`,
      );
  }
  const chosen: ToolSet = Object.fromEntries(names.map((n) => [n, all[n]]));
  const from = str(p, 'trip');
  if (from)
    chosen.drive = driveTool(roadTrip(generateWorld(seed), from, (p.values.closed as string[]) ?? []));
  else if (p.values.closed) throw new Error('--closed needs --trip');
  return chosen;
}

/** A trip on the world's road map from `from`, with the roads given as "A-B" closed. */
function roadTrip(world: World, from: string, closed: string[]): RoadTrip {
  const map = roadMap(world);
  const town = (t: string, what: string) => {
    if (!map.towns.includes(t)) throw new Error(`${what}: no town "${t}" (towns: ${map.towns.join(', ')})`);
    return t;
  };
  const roads = closed.map((c): [string, string] => {
    const ends = c.split('-');
    if (ends.length !== 2) throw new Error(`--closed: "${c}" is not A-B`);
    const [a, b] = [town(ends[0], '--closed'), town(ends[1], '--closed')];
    if (!neighbours(map, a).includes(b))
      throw new Error(`--closed: no road ${a}-${b} (roads: ${map.roads.map((r) => r.join('-')).join(', ')})`);
    return [a, b];
  });
  return new RoadTrip(map, town(from, '--trip'), roads);
}

function planningOf(given: string): PlanningStrategy {
  if (given !== 'plan-then-act' && given !== 'replan')
    throw new Error(`--planning: "${given}" is not plan-then-act or replan`);
  return given;
}

export async function agentCommand(args: string[]): Promise<void> {
  if (args[0] === 'text-world') return textWorldCommand(args.slice(1));
  if (args[0] === 'trace') {
    if (args.length !== 2) throw new Error('usage: jielong agent trace FILE');
    console.log(formatTrace(readTrace(args[1])));
    return;
  }
  const p = parse(args, OPTIONS, USAGE);
  if (!p) return;
  if (p.positionals.length !== 1)
    throw new Error(`expected one goal (in quotes), got ${p.positionals.length} arguments`);
  if (str(p, 'threads')) setNumThreads(num(p, 'threads', 1, { integer: true, min: 1 }));
  const int = { integer: true, min: 1 };
  const servers: McpConnection[] = [];
  const fromMcp: ToolSet = {};
  for (const command of (p.values.mcp as string[] | undefined) ?? []) {
    const [cmd, ...rest] = command.split(' ').filter(Boolean);
    const connection = await connectMcp({ command: cmd, args: rest });
    servers.push(connection);
    Object.assign(fromMcp, connection.tools);
  }
  // The skill library: tools the agent (or anyone) wrote and tested, run in the sandbox when called.
  const skills = str(p, 'skills')
    ? { store: MemoryStore.open(str(p, 'skills')!), sandbox: new Sandbox() }
    : null;
  const learned = skills ? skillTools(skills.store, skills.sandbox) : {};
  const agent = new Agent({
    model: chooseModel(p, SHIPPED_AGENT_MODEL),
    tools: { ...chooseTools(p), ...learned, ...fromMcp },
    // A road trip runs under the instructions its chats were trained with, unless told otherwise.
    instructions: str(p, 'instructions') ?? (str(p, 'trip') ? ROUTE_INSTRUCTIONS : undefined),
    budget: {
      steps: num(p, 'steps', 10, int),
      ...(str(p, 'tokens') ? { tokens: num(p, 'tokens', 0, int) } : {}),
      ...(str(p, 'seconds') ? { seconds: num(p, 'seconds', 0, { above: 0 }) } : {}),
    },
    toolTimeoutMs: num(p, 'tool-timeout', 10_000, int),
    ...(str(p, 'tools-per-step')
      ? { toolsPerStep: num(p, 'tools-per-step', 1, int), examples: toolExamples() }
      : {}),
    temperature: num(p, 'temperature', 0, { min: 0 }),
    ...(str(p, 'planning') ? { planning: planningOf(str(p, 'planning')!) } : {}),
  });
  const trace = str(p, 'trace') ? new TraceWriter(str(p, 'trace')!) : null;
  const run = agent.run(p.positionals[0]);
  const stop = () => run.interrupt('Stop now and answer with what you have.');
  process.once('SIGINT', stop);
  const out = process.stdout;
  let inText = false;
  try {
    for await (const e of run) {
      trace?.write(e);
      if (e.type === 'prompt') continue; // the whole conversation each step: for the trace, not the screen
      if (e.type === 'text') {
        if (!inText) out.write('  ');
        inText = true;
        out.write(e.text);
        continue;
      }
      if (inText) out.write('\n');
      inText = false;
      out.write(`${e.type === 'step' ? '' : '  '}${describeEvent(e)}\n`);
    }
  } finally {
    process.off('SIGINT', stop);
    await Promise.all(servers.map((s) => s.close()));
    await skills?.sandbox.close();
    skills?.store.close();
  }
  const result = await run.result;
  if (result.reason === 'error') process.exitCode = 1;
}
