// `jielong serve`: an OpenAI-compatible HTTP server over a checkpoint (src/serve).
import { basename } from 'node:path';
import { setNumThreads } from '../backend/index.js';
import { serve } from '../serve/index.js';
import { loadCheckpoint } from '../train/index.js';
import { num, parse, str } from './args.js';
import { modelDir } from './model-path.js';

const USAGE = `usage: jielong serve --model DIR [options]

Serves a model over OpenAI's HTTP API: GET /v1/models, POST /v1/completions, POST /v1/chat/completions
(a model with a chat template), POST /v1/embeddings, GET /health. Concurrent requests are decoded
together, one forward per step for all of them (continuous batching).

  --model DIR          checkpoint folder (default: the small model shipped with jielong)
  --no-verify          load a folder without checkpoint.json
  --name ID            the model's id for clients (default: the folder's name)
  --host ADDR          address to bind (default 127.0.0.1: this machine only)
  --port N             port (default 8000; 0 picks a free one)
  --api-key KEY        require Authorization: Bearer KEY (default: $JIELONG_API_KEY, else open)
  --max-batch N        sequences decoded together (default 16)
  --max-queue N        requests that may wait for a slot; more get 429 (default 256)
  --max-body BYTES     largest request body; larger gets 413 (default 1048576)
  --timeout SECONDS    longest a generation may run (default 120)
  --threads N
  --quiet              no log line per request`;

const OPTIONS = {
  model: { type: 'string' },
  name: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  'api-key': { type: 'string' },
  'max-batch': { type: 'string' },
  'max-queue': { type: 'string' },
  'max-body': { type: 'string' },
  timeout: { type: 'string' },
  threads: { type: 'string' },
  quiet: { type: 'boolean' },
  'no-verify': { type: 'boolean' },
} as const;

export async function serveCommand(args: string[]): Promise<void> {
  const p = parse(args, OPTIONS, USAGE);
  if (!p) return;
  if (str(p, 'threads')) setNumThreads(num(p, 'threads', 1, { integer: true, min: 1 }));
  const int = { integer: true, min: 1 };
  const options = {
    host: str(p, 'host') ?? '127.0.0.1',
    port: num(p, 'port', 8000, { integer: true, min: 0, max: 65535 }),
    apiKey: str(p, 'api-key') ?? process.env.JIELONG_API_KEY ?? null,
    maxBatch: num(p, 'max-batch', 16, int),
    maxQueue: num(p, 'max-queue', 256, { integer: true, min: 0 }),
    maxBodyBytes: num(p, 'max-body', 1 << 20, int),
    timeoutSeconds: num(p, 'timeout', 120, { above: 0 }),
    log: p.values.quiet ? null : undefined,
  };
  const dir = modelDir(str(p, 'model'));
  const { model, tokenizer, tokenizerConfig } = loadCheckpoint(dir, { verify: !p.values['no-verify'] });
  const name = str(p, 'name') ?? basename(dir);
  const running = await serve({ ...options, model, tokenizer, tokenizerConfig, name });
  const chat = tokenizerConfig?.chat_template
    ? 'chat and completions'
    : 'completions only (no chat template)';
  console.log(
    `serving "${name}" at ${running.url}/v1 (${chat}; ${options.apiKey ? 'API key required' : 'no API key'})`,
  );
  const stop = () => {
    console.log('shutting down');
    void running.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
