// `jielong agent`: give a model a goal and tools and watch it act; `jielong agent trace FILE` reads a
// run's trace back.

import { basename } from 'node:path';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModel, ToolSet } from 'ai';
import {
  Agent,
  builtinTools,
  connectMcp,
  describeEvent,
  formatTrace,
  jielong,
  type McpConnection,
  readTrace,
  TraceWriter,
} from '../agent/index.js';
import { setNumThreads } from '../backend/index.js';
import { loadCheckpoint } from '../train/index.js';
import { num, parse, str } from './args.js';
import { modelDir, SHIPPED_CHAT_MODEL } from './model-path.js';

const USAGE = `usage: jielong agent [options] GOAL
       jielong agent trace FILE

Gives a model a goal and tools; it acts (calls tools), observes, and goes on until it answers or a
budget runs out. Tools: calculator, lookup (the built-in world's facts), clock, and read_file with --files.

model (one of):
  --model DIR          a jielong chat checkpoint, in-process (default: models/chat)
  --endpoint URL       an OpenAI-compatible server (jielong serve, vLLM, llama.cpp's server): its /v1 URL
  --model-id ID        the model to ask the endpoint for (required with --endpoint)
  --api-key KEY        the endpoint's key (default: $OPENAI_API_KEY)
agent:
  --instructions TEXT  the system message
  --steps N            model calls at most (default 10)
  --tokens N           tokens at most, all steps together
  --seconds X          wall-clock time at most
  --tool-timeout MS    a tool call's time limit (default 10000)
  --tools NAMES        the built-in tools to offer, comma-separated (default all; a small model's context
                       fits only a few: models/chat knows lookup)
  --tools-per-step N   show the model only the N tools whose manuals best fit the goal (BM25)
  --mcp COMMAND        also offer the tools of this MCP server (started over stdio; repeatable;
                       its tools replace built-in ones of the same name; --tools none for only these)
  --files DIR          the folder read_file may read
  --world-seed N       the world lookup answers from (default 1)
  --temperature X      (default 0)
  --trace FILE         write every event as a JSON line (read it with: jielong agent trace FILE)
  --threads N`;

const OPTIONS = {
  model: { type: 'string' },
  endpoint: { type: 'string' },
  'model-id': { type: 'string' },
  'api-key': { type: 'string' },
  instructions: { type: 'string' },
  steps: { type: 'string' },
  tokens: { type: 'string' },
  seconds: { type: 'string' },
  'tool-timeout': { type: 'string' },
  files: { type: 'string' },
  tools: { type: 'string' },
  mcp: { type: 'string', multiple: true },
  'tools-per-step': { type: 'string' },
  'world-seed': { type: 'string' },
  temperature: { type: 'string' },
  trace: { type: 'string' },
  threads: { type: 'string' },
} as const;

function chooseModel(p: NonNullable<ReturnType<typeof parse>>): LanguageModel {
  const endpoint = str(p, 'endpoint');
  if (endpoint) {
    if (str(p, 'model')) throw new Error('--model and --endpoint exclude each other');
    const id = str(p, 'model-id');
    if (!id) throw new Error('--endpoint needs --model-id (GET /v1/models lists them)');
    const apiKey = str(p, 'api-key') ?? process.env.OPENAI_API_KEY;
    return createOpenAICompatible({ name: 'endpoint', baseURL: endpoint, apiKey }).chatModel(id);
  }
  const dir = modelDir(str(p, 'model') ?? SHIPPED_CHAT_MODEL);
  return jielong(loadCheckpoint(dir), { modelId: basename(dir) });
}

function chooseTools(p: NonNullable<ReturnType<typeof parse>>) {
  const all: Record<string, unknown> = builtinTools({
    worldSeed: num(p, 'world-seed', 1, { integer: true, min: 0 }),
    files: str(p, 'files'),
  });
  const names = str(p, 'tools') === 'none' ? [] : (str(p, 'tools')?.split(',') ?? Object.keys(all));
  for (const n of names) {
    if (!(n in all))
      throw new Error(
        `--tools: no built-in tool "${n}" (${Object.keys(all).join(', ')}${str(p, 'files') ? '' : '; read_file needs --files'})`,
      );
  }
  return Object.fromEntries(names.map((n) => [n, all[n]])) as ReturnType<typeof builtinTools>;
}

export async function agentCommand(args: string[]): Promise<void> {
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
  const agent = new Agent({
    model: chooseModel(p),
    tools: { ...chooseTools(p), ...fromMcp },
    instructions: str(p, 'instructions'),
    budget: {
      steps: num(p, 'steps', 10, int),
      ...(str(p, 'tokens') ? { tokens: num(p, 'tokens', 0, int) } : {}),
      ...(str(p, 'seconds') ? { seconds: num(p, 'seconds', 0, { above: 0 }) } : {}),
    },
    toolTimeoutMs: num(p, 'tool-timeout', 10_000, int),
    ...(str(p, 'tools-per-step') ? { toolsPerStep: num(p, 'tools-per-step', 1, int) } : {}),
    temperature: num(p, 'temperature', 0, { min: 0 }),
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
  }
  const result = await run.result;
  if (result.reason === 'error') process.exitCode = 1;
}
