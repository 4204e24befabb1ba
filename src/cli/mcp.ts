// `jielong mcp`: jielong's tools as an MCP server over stdin and stdout, for any MCP client (an IDE, an
// agent, `jielong agent` itself through connectMcp). Nothing but the protocol goes to stdout.
import { tool } from 'ai';
import { z } from 'zod';
import { builtinTools, serveMcp } from '../agent/index.js';
import { generateText } from '../generate/index.js';
import { loadCheckpoint } from '../train/index.js';
import { num, parse, str } from './args.js';
import { modelDir } from './model-path.js';

const USAGE = `usage: jielong mcp [options]

Serves jielong's tools over MCP (stdio): calculator, lookup (the built-in world's facts), clock,
generate (text from a checkpoint), and read_file with --files.

  --model DIR        the checkpoint generate writes with (default: the shipped models/tiny)
  --files DIR        the folder read_file may read
  --world-seed N     the world lookup answers from (default 1)`;

const OPTIONS = {
  model: { type: 'string' },
  files: { type: 'string' },
  'world-seed': { type: 'string' },
} as const;

export async function mcpCommand(args: string[]): Promise<void> {
  const p = parse(args, OPTIONS, USAGE);
  if (!p) return;
  const dir = modelDir(str(p, 'model'));
  let loaded: ReturnType<typeof loadCheckpoint> | null = null; // on first use: listing tools stays fast
  const generate = tool({
    description: 'Continue a text with a jielong language model',
    inputSchema: z.object({
      prompt: z.string().min(1),
      max_tokens: z.number().int().min(1).max(500).optional(),
      temperature: z.number().min(0).max(2).optional(),
    }),
    execute: async ({ prompt, max_tokens, temperature }) => {
      loaded ??= loadCheckpoint(dir);
      return generateText(loaded.model, loaded.tokenizer, prompt, {
        maxTokens: max_tokens ?? 50,
        temperature: temperature ?? 0,
      });
    },
  });
  const tools = {
    ...builtinTools({
      worldSeed: num(p, 'world-seed', 1, { integer: true, min: 0 }),
      files: str(p, 'files'),
    }),
    generate,
  };
  await serveMcp(tools);
}
