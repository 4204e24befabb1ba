// The AI SDK on jielong models, with a real model deciding: `models/chat` (trained here on the world's
// conversations) in-process through jielong's LanguageModelV3, and behind `jielong serve` through the
// SDK's own OpenAI-compatible provider. The SDK's tool loop calls the world's lookup, and the model
// answers from the result: known answers.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { generateText, jsonSchema, type LanguageModel, stepCountIs, streamText, tool } from 'ai';
import { endpointEmbed, endpointModel, jielong, jielongEmbed } from '../../src/agent/index.js';
import { generateWorld, LOOKUP_TOOL } from '../../src/data/index.js';
import { type RunningServer, serve } from '../../src/serve/index.js';
import { loadCheckpoint } from '../../src/train/index.js';

const CHAT_MODEL = fileURLToPath(new URL('../../../models/chat', import.meta.url));
const checkpoint = loadCheckpoint(CHAT_MODEL);
const world = generateWorld(1);
const looked: unknown[] = [];
const lookup = tool({
  description: LOOKUP_TOOL.function.description,
  inputSchema: jsonSchema<{ subject: string; relation: string }>(LOOKUP_TOOL.function.parameters as never),
  execute: async ({ subject, relation }) => {
    looked.push({ subject, relation });
    return world.facts.find((f) => f.subject === subject && f.relation === relation)?.object ?? 'unknown';
  },
});
const QUESTION = 'Where was Jana Coyle born?';
const ANSWER = 'Jana Coyle was born in Stonebridge.';

/** The SDK's tool loop on `model`: it looks Jana Coyle's birthplace up, then answers with it. */
async function asksAndAnswers(model: LanguageModel) {
  looked.length = 0;
  const r = await generateText({
    model,
    tools: { lookup },
    stopWhen: stepCountIs(3),
    prompt: QUESTION,
    temperature: 0,
  });
  assert.deepEqual(looked, [{ subject: 'Jana Coyle', relation: 'born_in' }]);
  assert.equal(r.text, ANSWER);
  return r;
}

describe('jielong as an AI SDK model, in-process', () => {
  const model = jielong(checkpoint, { modelId: 'chat' });

  test('generateText: a plain answer, and a refusal', async () => {
    assert.equal((await generateText({ model, prompt: QUESTION, temperature: 0 })).text, ANSWER);
    const declined = await generateText({ model, prompt: 'Where does Jana Coyle live?', temperature: 0 });
    assert.equal(declined.text, 'I cannot tell you that.');
    assert.equal(declined.finishReason, 'stop');
    assert.ok(declined.usage.inputTokens! > 0 && declined.usage.outputTokens! > 0);
  });

  test('generateText with a tool: the SDK runs the call the model makes, the model answers from it', async () => {
    const r = await asksAndAnswers(model);
    assert.equal(r.steps[0].finishReason, 'tool-calls');
    assert.equal(r.steps[0].toolResults[0].output, 'Stonebridge');
  });

  test('streamText with a tool: the same, streamed', async () => {
    const r = streamText({
      model,
      tools: { lookup },
      stopWhen: stepCountIs(3),
      prompt: QUESTION,
      temperature: 0,
    });
    let text = '';
    for await (const delta of r.textStream) text += delta;
    assert.equal(text, ANSWER);
    assert.equal((await r.steps).length, 2);
  });

  test('an AbortSignal stops the generation, before it starts or in the middle', async () => {
    const abort = new AbortController();
    abort.abort();
    await assert.rejects(generateText({ model, prompt: QUESTION, abortSignal: abort.signal }));
    assert.equal(model.engine.active, 0);
    const midway = new AbortController();
    const r = streamText({ model, prompt: QUESTION, abortSignal: midway.signal, maxOutputTokens: 150 });
    let deltas = 0;
    try {
      for await (const _ of r.textStream) if (++deltas === 2) midway.abort();
    } catch {}
    for (let i = 0; i < 50 && model.engine.active > 0; i++) await new Promise((res) => setTimeout(res, 5));
    assert.equal(model.engine.active, 0);
    assert.ok(deltas <= 4, `${deltas} deltas after the abort`);
  });
});

describe('jielong serve through the SDK OpenAI-compatible provider', () => {
  let server: RunningServer;
  before(async () => {
    server = await serve({ ...checkpoint, name: 'chat', port: 0, log: null });
  });
  after(() => server.close());

  test('generateText with a tool over HTTP', async () => {
    const provider = createOpenAICompatible({ name: 'jielong', baseURL: `${server.url}/v1` });
    await asksAndAnswers(provider.chatModel('chat'));
  });

  test('the same through /v1/completions: ChatML rendered here, the tools through the prompt', async () => {
    const seen: string[] = [];
    const original = globalThis.fetch;
    globalThis.fetch = (async (url: string, init?: RequestInit) => {
      seen.push(`${url} ${init?.body}`);
      return original(url, init);
    }) as typeof fetch;
    try {
      await asksAndAnswers(
        endpointModel({ baseURL: `${server.url}/v1`, modelId: 'chat', completions: true }),
      );
    } finally {
      globalThis.fetch = original;
    }
    assert.equal(seen.length, 2);
    for (const s of seen) assert.ok(s.startsWith(`${server.url}/v1/completions `), s);
    // The second prompt holds the call the model made and the tool's result as ChatML turns.
    const prompt = JSON.parse(seen[1].slice(seen[1].indexOf(' ') + 1)).prompt as string;
    assert.match(prompt, /^<\|im_start\|>system\nTools:\n\{"name": "lookup"/);
    assert.match(
      prompt,
      /<tool_call>\{"name": "lookup", "arguments": \{"subject":"Jana Coyle","relation":"born_in"\}\}<\/tool_call><\|im_end\|>\n<\|im_start\|>tool\nStonebridge<\|im_end\|>\n<\|im_start\|>assistant\n$/,
    );
  });

  test("jielongEmbed in-process gives the server's /v1/embeddings", async () => {
    const texts = ['Where was Jana Coyle born?', 'Look up a fact about a person or place'];
    const local = await jielongEmbed(checkpoint)(texts);
    const remote = await endpointEmbed({ baseURL: `${server.url}/v1`, modelId: 'chat' })(texts);
    assert.equal(local.length, 2);
    for (let i = 0; i < 2; i++) {
      assert.equal(local[i].length, checkpoint.model.config.nEmbd);
      for (let d = 0; d < local[i].length; d++) assert.ok(Math.abs(local[i][d] - remote[i][d]) < 1e-6);
    }
  });

  test('a completions endpoint that fails is a clear error', async () => {
    const model = endpointModel({ baseURL: `${server.url}/v1`, modelId: 'nope', completions: true });
    await assert.rejects(
      generateText({ model, prompt: 'Hi', maxRetries: 0 }),
      /\/v1\/completions: HTTP 404: .*nope/,
    );
  });
});
