// jielong serve for real: a server started by the test on a free loopback port, the shipped chat model
// behind it, and the official `openai` client, unmodified, as the caller. Known answers: the batched
// engine must reproduce each request run alone; every bad request gets OpenAI's error shape and status.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { LOOKUP_TOOL } from '../../src/data/index.js';
import { type RunningServer, serve } from '../../src/serve/index.js';
import { type Checkpoint, loadCheckpoint } from '../../src/train/index.js';

const CHAT_MODEL = fileURLToPath(new URL('../../../models/chat', import.meta.url));
const BIN = fileURLToPath(new URL('../../../bin/jielong.js', import.meta.url));
const QUESTION = [{ role: 'user' as const, content: 'Where was Jana Coyle born?' }];

let checkpoint: Checkpoint;
let server: RunningServer;
let client: OpenAI;
const logLines: string[] = [];

before(async () => {
  checkpoint = loadCheckpoint(CHAT_MODEL);
  server = await serve({ ...checkpoint, name: 'chat', port: 0, log: (l) => logLines.push(l) });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
after(() => server.close());

/** A raw request: status and parsed JSON (or text). */
async function call(path: string, init: RequestInit & { json?: unknown } = {}, url = server.url) {
  const { json, ...rest } = init;
  const res = await fetch(`${url}${path}`, {
    method: json === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    ...(json === undefined ? {} : { body: typeof json === 'string' ? json : JSON.stringify(json) }),
    ...rest,
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return {
    status: res.status,
    body: body as { error: { message: string; type: string; param: string | null; code: string | null } },
  };
}

describe('the OpenAI client against jielong serve', () => {
  test('binds loopback by default and lists its model', async () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const models = await client.models.list();
    assert.deepEqual(
      models.data.map((m) => [m.id, m.object, m.owned_by]),
      [['chat', 'model', 'jielong']],
    );
  });

  test('chat: the model answers from the world it was taught, and declines the private', async () => {
    const ask = (content: string) =>
      client.chat.completions
        .create({ model: 'chat', messages: [{ role: 'user', content }], temperature: 0, max_tokens: 40 })
        .then((r) => r.choices[0].message.content);
    assert.equal(await ask('Where was Jana Coyle born?'), 'Jana Coyle was born in Stonebridge.');
    assert.equal(await ask('Where does Jana Coyle live?'), 'I cannot tell you that.');
  });

  test('chat: the reply ends at the end of turn; usage counts the tokens', async () => {
    const r = await client.chat.completions.create({
      model: 'chat',
      messages: QUESTION,
      temperature: 0,
      max_tokens: 60,
    });
    const choice = r.choices[0];
    assert.equal(choice.message.role, 'assistant');
    assert.equal(typeof choice.message.content, 'string');
    assert.ok(
      !choice.message.content!.includes('<|im_end|>'),
      'the end-of-turn token is not part of the text',
    );
    assert.equal(choice.finish_reason, 'stop');
    const prompt = checkpoint.tokenizer.encode(
      '<|im_start|>user\nWhere was Jana Coyle born?<|im_end|>\n<|im_start|>assistant\n',
    );
    assert.equal(r.usage!.prompt_tokens, prompt.length);
    assert.ok(r.usage!.completion_tokens > 0);
  });

  test('streaming gives the same text as a plain request, and usage on request', async () => {
    const plain = await client.chat.completions.create({
      model: 'chat',
      messages: QUESTION,
      temperature: 0.7,
      seed: 5,
      max_tokens: 30,
    });
    const stream = await client.chat.completions.create({
      model: 'chat',
      messages: QUESTION,
      temperature: 0.7,
      seed: 5,
      max_tokens: 30,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    assert.equal(text, plain.choices[0].message.content);
    assert.equal(finish, plain.choices[0].finish_reason);
    assert.deepEqual(usage, plain.usage);
  });

  test('the event stream ends with data: [DONE]', async () => {
    const res = await fetch(`${server.url}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat', prompt: 'Ada Lin', max_tokens: 5, stream: true }),
    });
    assert.equal(res.headers.get('content-type'), 'text/event-stream');
    const events = (await res.text()).split('\n\n').filter(Boolean);
    assert.equal(events.at(-1), 'data: [DONE]');
    for (const e of events.slice(0, -1)) assert.equal(JSON.parse(e.slice(6)).object, 'text_completion');
  });

  test('logprobs: the greedy token is the most likely one, in both API shapes', async () => {
    const r = await client.chat.completions.create({
      model: 'chat',
      messages: QUESTION,
      temperature: 0,
      max_tokens: 8,
      logprobs: true,
      top_logprobs: 3,
    });
    const content = r.choices[0].logprobs!.content!;
    assert.ok(content.length > 0);
    for (const t of content) {
      assert.equal(t.top_logprobs.length, 3);
      assert.equal(t.token, t.top_logprobs[0].token);
      assert.ok(t.logprob <= 0 && t.top_logprobs[0].logprob >= t.top_logprobs[1].logprob);
      assert.deepEqual(t.bytes, [...Buffer.from(t.token)]);
    }
    const c = await client.completions.create({
      model: 'chat',
      prompt: 'Ada Lin was born in',
      max_tokens: 4,
      temperature: 0,
      logprobs: 2,
    });
    const lp = c.choices[0].logprobs!;
    assert.equal(lp.tokens!.join(''), c.choices[0].text);
    lp.top_logprobs!.forEach((top, i) => {
      const best = Object.entries(top).sort((a, b) => b[1] - a[1])[0];
      assert.equal(best[0], lp.tokens![i]);
      assert.equal(best[1], lp.token_logprobs![i]);
    });
    assert.deepEqual(
      lp.text_offset,
      lp.tokens!.map((_, i) => lp.tokens!.slice(0, i).join('').length),
    );
  });

  test('embeddings: unit vectors, the same as floats and as the client default base64', async () => {
    const asBase64 = await client.embeddings.create({ model: 'chat', input: ['Ada Lin', 'a city'] });
    const asFloat = await client.embeddings.create({
      model: 'chat',
      input: ['Ada Lin', 'a city'],
      encoding_format: 'float',
    });
    assert.equal(asBase64.data.length, 2);
    for (const [i, d] of asBase64.data.entries()) {
      assert.equal(d.embedding.length, checkpoint.model.config.nEmbd);
      assert.ok(Math.abs(Math.hypot(...d.embedding) - 1) < 1e-5);
      for (const [j, v] of d.embedding.entries())
        assert.ok(Math.abs(v - asFloat.data[i].embedding[j]) < 1e-6);
    }
    assert.equal(
      asFloat.usage.prompt_tokens,
      checkpoint.tokenizer.encode('Ada Lin').length + checkpoint.tokenizer.encode('a city').length,
    );
  });

  test('tool calls: the model calls the offered tool; the reply is parsed into tool_calls', async () => {
    const tools = [LOOKUP_TOOL]; // the tool the world's conversations taught the model
    const r = await client.chat.completions.create({
      model: 'chat',
      messages: QUESTION,
      tools,
      tool_choice: 'required',
      temperature: 0,
      max_tokens: 60,
    });
    const choice = r.choices[0];
    assert.equal(choice.finish_reason, 'tool_calls', JSON.stringify(choice.message));
    const call = choice.message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall;
    assert.equal(call.function.name, 'lookup');
    // The known answer: the question's subject and relation, as the world's conversations taught.
    assert.deepEqual(JSON.parse(call.function.arguments), { subject: 'Jana Coyle', relation: 'born_in' });
    assert.match(call.id, /^call_/);
    // The same, streamed: one tool_calls delta, then finish_reason tool_calls.
    const stream = await client.chat.completions.create({
      model: 'chat',
      messages: QUESTION,
      tools,
      tool_choice: 'required',
      temperature: 0,
      max_tokens: 60,
      stream: true,
    });
    const deltas: OpenAI.ChatCompletionChunk.Choice.Delta.ToolCall[] = [];
    let finish = null;
    for await (const chunk of stream) {
      deltas.push(...(chunk.choices[0]?.delta?.tool_calls ?? []));
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(finish, 'tool_calls');
    assert.equal(deltas[0].function!.arguments, call.function.arguments);
  });

  test('a tool result goes back as a tool message and the model answers', async () => {
    const r = await client.chat.completions.create({
      model: 'chat',
      temperature: 0,
      max_tokens: 40,
      tools: [LOOKUP_TOOL],
      messages: [
        ...QUESTION,
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'lookup', arguments: '{"subject":"Jana Coyle","relation":"born_in"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'Stonebridge' },
      ],
    });
    assert.equal(r.choices[0].message.content, 'Jana Coyle was born in Stonebridge.');
  });

  test('n choices come back with their own indexes and dice', async () => {
    const r = await client.chat.completions.create({
      model: 'chat',
      messages: QUESTION,
      n: 3,
      temperature: 1.5,
      seed: 1,
      max_tokens: 12,
    });
    assert.deepEqual(
      r.choices.map((c) => c.index),
      [0, 1, 2],
    );
  });
});

describe('serving for real', () => {
  test('concurrent requests are batched, and each gets exactly what it gets alone', async () => {
    const asks = Array.from({ length: 6 }, (_, i) => ({
      prompt: `${['Ada', 'Gus', 'Mina'][i % 3]} Lin`,
      seed: i,
      max_tokens: 10 + i,
    }));
    const one = (a: (typeof asks)[number]) =>
      client.completions.create({ model: 'chat', ...a, temperature: 0.9 }).then((r) => r.choices[0].text);
    const alone: string[] = [];
    for (const a of asks) alone.push(await one(a));
    const before = { ...server.engine.stats };
    const together = await Promise.all(asks.map(one));
    assert.deepEqual(together, alone);
    const steps = server.engine.stats.steps - before.steps;
    const rows = server.engine.stats.stepRows - before.stepRows;
    assert.ok(rows / steps > 2, `mean batch ${rows / steps}: the requests were not decoded together`);
  });

  test('a client that disconnects cancels its generation', async () => {
    const abort = new AbortController();
    const res = await fetch(`${server.url}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'chat',
        prompt: 'Ada',
        max_tokens: 100000,
        stream: true,
        stop: ['never'],
      }),
      signal: abort.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    abort.abort();
    for (let i = 0; i < 200 && server.engine.active > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(server.engine.active, 0);
    for (let i = 0; i < 100 && !logLines.some((l) => l.includes('cancelled')); i++)
      await new Promise((r) => setTimeout(r, 10));
    assert.ok(
      logLines.some((l) => / 200 \d+ms \d+\+\d+ tokens cancelled/.test(l)),
      logLines.join('\n'),
    );
  });

  test('bad requests get OpenAI errors with the field named; the server goes on serving', async () => {
    const good = client.chat.completions.create({ model: 'chat', messages: QUESTION, max_tokens: 20 });
    const cases: [unknown, number, string | null, RegExp][] = [
      ['{"model": "chat", "messages": [', 400, null, /not valid JSON/],
      [
        { model: 'chat', messages: QUESTION, temperature: 'hot' },
        400,
        'temperature',
        /temperature: must be a number/,
      ],
      [
        { model: 'chat', messages: QUESTION, max_tokens: -3 },
        400,
        'max_tokens',
        /max_tokens: must be an integer from 1/,
      ],
      [{ model: 'chat', messages: [] }, 400, 'messages', /at least one message/],
      [
        { model: 'chat', messages: [{ role: 'wizard', content: 'x' }] },
        400,
        'messages.0.role',
        /messages\.0\.role/,
      ],
      [{ model: 'gpt-9', messages: QUESTION }, 404, 'model', /"gpt-9" does not exist/],
      [
        { model: 'chat', messages: [{ role: 'user', content: 'Ada '.repeat(400) }] },
        400,
        'messages',
        /context is \d+/,
      ],
      [
        { model: 'chat', messages: QUESTION, tool_choice: { type: 'function', function: { name: 'x' } } },
        400,
        'tool_choice',
        /not among the tools/,
      ],
    ];
    for (const [json, status, param, message] of cases) {
      const r = await call('/v1/chat/completions', { json });
      assert.equal(r.status, status, JSON.stringify(r.body));
      assert.equal(r.body.error.param, param);
      assert.match(r.body.error.message, message);
      assert.equal(typeof r.body.error.type, 'string');
    }
    assert.equal((await call('/v1/nothing')).status, 404);
    assert.equal((await call('/v1/chat/completions')).status, 405);
    const huge = await call('/v1/completions', { json: { model: 'chat', prompt: 'x'.repeat(2 << 20) } });
    assert.equal(huge.status, 413);
    assert.match(huge.body.error.message, /larger than the limit of 1048576 bytes/);
    assert.equal((await good).choices.length, 1);
  });

  test('--api-key: 401 without the key or with a wrong one; /health stays open', async () => {
    const locked = await serve({ ...checkpoint, name: 'chat', port: 0, apiKey: 'sesame', log: null });
    try {
      const denied = await call('/v1/models', {}, locked.url);
      assert.equal(denied.status, 401);
      assert.equal(denied.body.error.code, 'invalid_api_key');
      assert.equal(
        (await call('/v1/models', { headers: { authorization: 'Bearer sesamf' } }, locked.url)).status,
        401,
      );
      assert.equal(
        (await call('/v1/models', { headers: { authorization: 'Bearer sesame' } }, locked.url)).status,
        200,
      );
      assert.equal((await call('/health', {}, locked.url)).status, 200);
      const keyed = new OpenAI({ baseURL: `${locked.url}/v1`, apiKey: 'sesame', maxRetries: 0 });
      assert.equal((await keyed.models.list()).data[0].id, 'chat');
    } finally {
      await locked.close();
    }
  });

  test('a full queue answers 429; a time limit ends a generation', async () => {
    const small = await serve({
      ...checkpoint,
      name: 'chat',
      port: 0,
      maxBatch: 1,
      maxQueue: 0,
      timeoutSeconds: 0.2,
      log: null,
    });
    try {
      const c = new OpenAI({ baseURL: `${small.url}/v1`, apiKey: 'x', maxRetries: 0 });
      const long = c.completions.create({
        model: 'chat',
        prompt: 'Ada',
        max_tokens: 100000,
        stop: ['never'],
      });
      await new Promise((r) => setTimeout(r, 50));
      const busy = await call(
        '/v1/completions',
        { json: { model: 'chat', prompt: 'Ada', max_tokens: 2 } },
        small.url,
      );
      assert.equal(busy.status, 429);
      assert.equal(busy.body.error.code, 'server_busy');
      const r = await long;
      assert.equal(r.choices[0].finish_reason, 'length');
      assert.ok(
        r.usage!.completion_tokens < checkpoint.model.config.blockSize,
        'stopped by the time limit, not the context',
      );
    } finally {
      await small.close();
    }
  });

  test('jielong serve from the CLI: prints its address and answers', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', '--model', CHAT_MODEL, '--port', '0', '--quiet'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d) => {
          out += d;
          const m = /at (http:\/\/127\.0\.0\.1:\d+)\/v1/.exec(out);
          if (m) resolve(m[1]);
        });
        child.once('exit', (code) => reject(new Error(`serve exited ${code}`)));
      });
      const health = await call('/health', {}, url);
      assert.equal(health.status, 200);
      assert.deepEqual(health.body, { status: 'ok', model: 'chat', active: 0, queued: 0 });
    } finally {
      child.kill('SIGTERM');
    }
  });
});

test('an imported Hugging Face model serves too (completions; no chat template, so chat is a clear 400)', async () => {
  const { importHF } = await import('../../src/interop/hf/index.js');
  const folder = fileURLToPath(new URL('../../../test/fixtures/hf/llama', import.meta.url));
  const hf = await serve({ ...importHF(folder), name: 'llama', port: 0, log: null });
  try {
    const c = new OpenAI({ baseURL: `${hf.url}/v1`, apiKey: 'x', maxRetries: 0 });
    const r = await c.completions.create({ model: 'llama', prompt: 'the ', max_tokens: 5, temperature: 0 });
    assert.equal(r.usage!.completion_tokens, 5);
    const chat = await call('/v1/chat/completions', { json: { model: 'llama', messages: QUESTION } }, hf.url);
    assert.equal(chat.status, 400);
    assert.equal(chat.body.error.code, 'no_chat_template');
  } finally {
    await hf.close();
  }
});
