// What goes wrong around an agent becomes an observation or a clear ending, within its budgets: a tool
// that throws; an endpoint that is down, answers garbage, or never answers.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { tool } from 'ai';
import { z } from 'zod';
import { Agent, type AgentEvent, endpointModel } from '../../src/agent/index.js';
import { ScriptedModel } from './scripted-model.js';

test('a tool that throws is an observation: the model reads the error and goes on', async () => {
  const broken = tool({
    description: 'breaks',
    inputSchema: z.object({}),
    execute: async (): Promise<string> => {
      throw new Error('the disk is on fire');
    },
  });
  const model = new ScriptedModel((call) =>
    call === 0 ? { calls: [{ name: 'broken', input: {} }] } : { text: 'It failed.' },
  );
  const run = new Agent({ model, tools: { broken } }).run('go');
  const events: AgentEvent[] = [];
  for await (const e of run) events.push(e);
  assert.deepEqual(
    events.filter((e) => e.type === 'tool-error').map((e) => (e as { error: string }).error),
    ['the disk is on fire'],
  );
  assert.match(JSON.stringify(model.prompts[1]), /the disk is on fire/);
  assert.deepEqual([(await run.result).reason, (await run.result).text], ['done', 'It failed.']);
});

describe('an endpoint that misbehaves', () => {
  let server: Server;
  let url: string;
  before(async () => {
    // Every route answers garbage, except /slow/..., which never answers.
    server = createServer((req, res) => {
      if (req.url?.startsWith('/slow/')) return;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('this is not JSON');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  const ask = (baseURL: string, completions = false, seconds?: number) =>
    new Agent({
      model: endpointModel({ baseURL, modelId: 'm', completions }),
      budget: seconds ? { seconds } : {},
    }).run('Hello?').result;

  test('down: the run ends with an error naming the failure', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    for (const completions of [false, true]) {
      const r = await ask(`http://127.0.0.1:${port}/v1`, completions);
      assert.equal(r.reason, 'error');
      assert.match(r.error!, /fetch failed|ECONNREFUSED|Cannot connect/i);
    }
  });

  test('garbage: an error, not a crash', async () => {
    const chat = await ask(`${url}/v1`);
    assert.equal(chat.reason, 'error');
    assert.ok(chat.error);
    const raw = await ask(`${url}/v1`, true);
    assert.equal(raw.reason, 'error');
    assert.match(raw.error!, /\/v1\/completions: the reply is not JSON: this is not JSON/);
  });

  test('slow: the wall-clock budget ends the run on time', async () => {
    for (const completions of [false, true]) {
      const started = performance.now();
      const r = await ask(`${url}/slow/v1`, completions, 0.3);
      assert.equal(r.reason, 'time');
      assert.ok(performance.now() - started < 2000);
    }
  });
});
