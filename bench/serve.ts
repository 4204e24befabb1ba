// `npm run bench -- serve`: jielong serve under load on loopback. 1, 4, 16 and 64 clients stream chat
// completions for a bounded time each; reported: requests completed, errors, total tokens/s, and the
// p50/p99 time to first token and per-token latency. The same 16 clients against a server decoding one
// sequence at a time (--max-batch 1) give the gain of continuous batching as a ratio of throughputs.
// The server runs as its own process (`jielong serve`), as a user would run it.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { option, progress, type Row, report, row } from './_report.js';

const BIN = fileURLToPath(new URL('../../bin/jielong.js', import.meta.url));
const shipped = fileURLToPath(new URL('../../models/chat', import.meta.url));
const model = option('model', shipped);
const seconds = Number(option('seconds', '8'));
const clientCounts = option('clients', '1,4,16,64').split(',').map(Number);
const maxTokens = Number(option('max-tokens', '32'));
// The clients run on the same machine: by default the server leaves them a core.
const threads = option('threads', '1');
const QUESTIONS = [
  'Where was Jana Coyle born?',
  'What does Abel Udall do for a living?',
  'Where does Kira Udall live?',
  'What is the hobby of Bea Novak?',
];

interface Server {
  url: string;
  stop(): void;
}

async function startServer(maxBatch: number): Promise<Server> {
  const child = spawn(
    process.execPath,
    [
      BIN,
      'serve',
      '--model',
      model,
      '--port',
      '0',
      '--quiet',
      '--name',
      'bench',
      '--max-batch',
      String(maxBatch),
      '--max-queue',
      '4096',
      '--threads',
      threads,
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /at (http:\/\/[^ ]+)\/v1/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`jielong serve exited with ${code}`)));
  });
  return { url, stop: () => child.kill('SIGTERM') };
}

interface Sample {
  ttft: number;
  gaps: number[];
  tokens: number;
}

/** One streamed chat completion: when its first token came, the gaps between the next ones. */
async function request(url: string, seed: number): Promise<Sample> {
  const start = performance.now();
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'bench',
      messages: [{ role: 'user', content: QUESTIONS[seed % QUESTIONS.length] }],
      max_tokens: maxTokens,
      temperature: 0.8,
      seed,
      ignore_eos: true, // every reply max_tokens long, so runs compare like for like
      stream: true,
      stream_options: { include_usage: true },
    }),
  });
  if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  const times: number[] = [];
  let tokens = 0;
  let buffer = '';
  const decoder = new TextDecoder();
  for await (const chunk of res.body) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true });
    const events = buffer.split('\n\n');
    buffer = events.pop()!;
    // The clients share the machine with the server: only the usage event is parsed whole, a token is
    // seen by its non-empty content field.
    const now = performance.now();
    for (const e of events) {
      if (e.includes('"usage"')) tokens = JSON.parse(e.slice(6)).usage.completion_tokens;
      else if (e.includes('"delta":{"content":"') && !e.includes('"delta":{"content":""')) times.push(now);
    }
  }
  if (times.length === 0) throw new Error('no token arrived');
  return { ttft: times[0] - start, gaps: times.slice(1).map((t, i) => t - times[i]), tokens };
}

interface Load {
  completed: number;
  errors: number;
  tokensPerSec: number;
  ttft: number[];
  gaps: number[];
}

/** `clients` loops, each sending its next request when the last one ends, for `seconds`. */
async function load(url: string, clients: number): Promise<Load> {
  const end = performance.now() + seconds * 1000;
  const samples: Sample[] = [];
  let errors = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; performance.now() < end; i++) {
        try {
          samples.push(await request(url, c * 1000 + i));
        } catch (e) {
          errors++;
          if (errors === 1) progress(`error: ${(e as Error).message}`);
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const tokens = samples.reduce((a, s) => a + s.tokens, 0);
  return {
    completed: samples.length,
    errors,
    tokensPerSec: tokens / elapsed,
    ttft: samples.map((s) => s.ttft),
    gaps: samples.flatMap((s) => s.gaps),
  };
}

const percentile = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted.length
    ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
    : Number.NaN;
};

async function measure(maxBatch: number, clients: number): Promise<Load> {
  const server = await startServer(maxBatch);
  try {
    await request(server.url, 0); // warm-up
    return await load(server.url, clients);
  } finally {
    server.stop();
  }
}

if (!existsSync(model)) throw new Error(`no model at ${model} (pass --model DIR: a chat model)`);
const rows: Row[] = [];
for (const clients of clientCounts) {
  const l = await measure(16, clients);
  progress(
    `${clients} clients: ${l.completed} requests, ${l.errors} errors, ${l.tokensPerSec.toFixed(0)} tokens/s, ttft p50 ${percentile(l.ttft, 50).toFixed(0)} ms`,
  );
  const base = { bench: 'serve', case: `${clients} clients`, peer: null, theirs: null };
  rows.push(
    row({ ...base, metric: 'requests', ours: l.completed }),
    row({ ...base, metric: 'errors', ours: l.errors }),
    row({ ...base, metric: 'tokens/s', ours: l.tokensPerSec }),
    row({ ...base, metric: 'ttft p50 ms', ours: percentile(l.ttft, 50) }),
    row({ ...base, metric: 'ttft p99 ms', ours: percentile(l.ttft, 99) }),
    row({ ...base, metric: 'per-token p50 ms', ours: percentile(l.gaps, 50) }),
    row({ ...base, metric: 'per-token p99 ms', ours: percentile(l.gaps, 99) }),
  );
}
// Batched against one at a time, 16 clients each, in alternating rounds (the host is shared): best of each.
let batched = 0;
let single = 0;
for (let round = 0; round < 2; round++) {
  batched = Math.max(batched, (await measure(16, 16)).tokensPerSec);
  single = Math.max(single, (await measure(1, 16)).tokensPerSec);
  progress(
    `round ${round + 1}: batched ${batched.toFixed(0)} tokens/s, one at a time ${single.toFixed(0)} tokens/s`,
  );
}
rows.push(
  row({
    bench: 'serve',
    case: '16 clients, batched vs one at a time',
    metric: 'tokens/s',
    ours: batched,
    peer: 'max-batch 1',
    theirs: single,
  }),
);
report(rows, [
  `jielong serve on loopback (${threads} thread), model ${model}, ${seconds} s per load, ${maxTokens} tokens per reply, streaming chat`,
]);
