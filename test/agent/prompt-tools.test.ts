// Function calling through the prompt: the middleware gives a model the very prompt jielong's template
// makes with native tools, and the SDK's tool loop runs over an endpoint that is never sent a tool.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { generateText, stepCountIs, streamText, wrapLanguageModel } from 'ai';
import { lookupTool, promptToolCalling } from '../../src/agent/index.js';
import {
  CHATML_TEMPLATE,
  ChatTemplate,
  chatmlToolBlock,
  chatmlToolCall,
  type Message,
} from '../../src/chat/index.js';
import { generateWorld, LOOKUP_TOOL } from '../../src/data/index.js';
import { type RunningServer, serve } from '../../src/serve/index.js';
import { loadCheckpoint } from '../../src/train/index.js';

test('the tool block and call format equal what the template renders natively', () => {
  const template = new ChatTemplate(CHATML_TEMPLATE, { eos: '<|im_end|>' });
  const args = '{"subject":"Jana Coyle","relation":"born_in"}';
  const native: Message[] = [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Where was Jana Coyle born?' },
    {
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'c', type: 'function', function: { name: 'lookup', arguments: args } }],
    },
    { role: 'tool', content: 'Stonebridge', tool_call_id: 'c' },
  ];
  const prompted: Message[] = [
    { role: 'system', content: `Be brief.\n${chatmlToolBlock([LOOKUP_TOOL])}` },
    native[1],
    { role: 'assistant', content: chatmlToolCall('lookup', args) },
    native[3],
  ];
  assert.equal(template.render(prompted), template.render(native, { tools: [LOOKUP_TOOL] }));
  assert.equal(
    template.render([{ role: 'system', content: chatmlToolBlock([LOOKUP_TOOL]) }, native[1]]),
    template.render([native[1]], { tools: [LOOKUP_TOOL] }),
  );
});

let server: RunningServer;
const bodies: string[] = [];
before(async () => {
  server = await serve({
    ...loadCheckpoint(fileURLToPath(new URL('../../../models/chat', import.meta.url))),
    name: 'chat',
    port: 0,
    log: null,
  });
});
after(() => server.close());

test('the SDK tool loop over an endpoint sent no tools: calls read from the text, the answer from the result', async () => {
  const provider = createOpenAICompatible({
    name: 'plain',
    baseURL: `${server.url}/v1`,
    fetch: async (url, init) => {
      bodies.push(String(init?.body));
      return fetch(url, init);
    },
  });
  const model = wrapLanguageModel({
    model: provider.chatModel('chat'),
    middleware: promptToolCalling({ resultsAs: 'tool' }),
  });
  const tools = { lookup: lookupTool(generateWorld(1)) };
  const r = await generateText({
    model,
    tools,
    stopWhen: stepCountIs(3),
    prompt: 'Where was Jana Coyle born?',
    temperature: 0,
  });
  assert.deepEqual(
    r.steps[0].toolCalls.map((c) => [c.toolName, c.input]),
    [['lookup', { subject: 'Jana Coyle', relation: 'born_in' }]],
  );
  assert.equal(r.text, 'Jana Coyle was born in Stonebridge.');
  assert.ok(bodies.length === 2 && bodies.every((b) => !JSON.parse(b).tools), 'no request carried tools');
  // Streamed: the same calls and answer.
  const s = streamText({
    model,
    tools,
    stopWhen: stepCountIs(3),
    prompt: 'Where was Jana Coyle born?',
    temperature: 0,
  });
  let text = '';
  for await (const d of s.textStream) text += d;
  assert.equal(text, 'Jana Coyle was born in Stonebridge.');
});
