// `jielong mcp`: jielong's tools as an MCP server over stdin and stdout, for any MCP client (an IDE, an
// agent, `jielong agent` itself through connectMcp). Nothing but the protocol goes to stdout.
import { tool } from 'ai';
import { z } from 'zod';
import { builtinTools, serveMcp } from '../agent/index.js';
import { generateText, promptIds } from '../generate/index.js';
import { logitLens } from '../lens/index.js';
import { IntTensor } from '../tensor/index.js';
import { loadCheckpoint } from '../train/index.js';
import { num, parse, str } from './args.js';
import { modelDir } from './model-path.js';

const USAGE = `usage: jielong mcp [options]

Serves jielong's tools over MCP (stdio): calculator, lookup (the built-in world's facts), clock,
generate (text from a checkpoint), logit_lens (what each layer of that checkpoint would say next), and
read_file with --files.

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
  // The lens as a tool: the last position's top next tokens decoded from every layer's residual stream.
  const lens = tool({
    description: 'Logit lens: the next tokens each layer of a jielong model would predict after a prompt',
    inputSchema: z.object({ prompt: z.string().min(1), k: z.number().int().min(1).max(10).optional() }),
    execute: async ({ prompt, k }) => {
      loaded ??= loadCheckpoint(dir);
      const { tokenizer, model } = loaded;
      const ids = promptIds(tokenizer, prompt).slice(-model.config.blockSize);
      const last = ids.length - 1;
      return logitLens(model, new IntTensor(Int32Array.from(ids), [1, ids.length]), { k: k ?? 3 })
        .entries.filter((e) => e.position === last)
        .map((e) => ({
          layer: e.layer,
          top: e.top.map((t) => ({ token: tokenizer.decode([t.token]), prob: Number(t.prob.toFixed(4)) })),
        }));
    },
  });
  const tools = {
    ...builtinTools({
      worldSeed: num(p, 'world-seed', 1, { integer: true, min: 0 }),
      files: str(p, 'files'),
    }),
    generate,
    logit_lens: lens,
  };
  await serveMcp(tools);
}
