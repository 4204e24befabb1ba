// MCP both ways: jielong as the client of its own MCP server (`jielong mcp`, a real process over stdio),
// and an agent whose real model (models/chat) calls a tool that lives on the other side.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Agent, connectMcp, jielong, type McpConnection } from '../../src/agent/index.js';
import { loadCheckpoint } from '../../src/train/index.js';

const BIN = fileURLToPath(new URL('../../../bin/jielong.js', import.meta.url));
let mcp: McpConnection;
before(async () => {
  mcp = await connectMcp({ command: process.execPath, args: [BIN, 'mcp'] });
});
after(() => mcp.close());

const run = (name: string, input: unknown) =>
  (mcp.tools[name].execute as (i: unknown, o: object) => Promise<unknown>)(input, {
    toolCallId: 't',
    messages: [],
  });

test('jielong mcp lists its tools; calls go through, and bad ones come back as errors', async () => {
  assert.deepEqual(Object.keys(mcp.tools).sort(), [
    'calculator',
    'clock',
    'generate',
    'logit_lens',
    'lookup',
  ]);
  assert.equal(await run('calculator', { expression: '(2 + 3) * 4' }), '20');
  assert.equal(await run('lookup', { subject: 'Jana Coyle', relation: 'born_in' }), 'Stonebridge');
  assert.match(
    String(await run('generate', { prompt: 'Jana Coyle was born in', max_tokens: 5 })),
    /^.{1,60}$/s,
  );
  // The lens's last layer is the model's own output: its top token is what greedy generation writes.
  const lensOut = await run('logit_lens', { prompt: 'Jana Coyle was born in', k: 2 });
  const layers = (typeof lensOut === 'string' ? JSON.parse(lensOut) : lensOut) as {
    layer: string;
    top: { token: string; prob: number }[];
  }[];
  assert.deepEqual(
    layers.map((l) => l.layer),
    ['0_pre', '1_pre', '2_pre', '3_pre', 'final_post'], // into each of models/tiny's 4 blocks, then out
  );
  assert.equal(layers.at(-1)!.top.length, 2);
  assert.equal(
    layers.at(-1)!.top[0].token,
    await run('generate', { prompt: 'Jana Coyle was born in', max_tokens: 1 }),
  );
  await assert.rejects(run('calculator', { expression: '2 +' }), /calculator: calculator: expected a number/);
  await assert.rejects(run('calculator', { nope: 1 }), /invalid arguments/);
});

test('an agent with models/chat calls a tool served over MCP and answers', async () => {
  const model = jielong(loadCheckpoint(fileURLToPath(new URL('../../../models/chat', import.meta.url))));
  const r = await new Agent({ model, tools: { lookup: mcp.tools.lookup }, temperature: 0 }).run(
    'Where was Jana Coyle born?',
  ).result;
  assert.deepEqual([r.reason, r.text], ['done', 'Jana Coyle was born in Stonebridge.']);
});
