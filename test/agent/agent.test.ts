// The agent loop's mechanics with a scripted model (budgets, cancellation, schema errors, tool limits,
// interruption), and a goal reached by a real model (models/chat) that decides to look a fact up.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { jsonSchema, tool } from 'ai';
import { z } from 'zod';
import { Agent, type AgentEvent, jielong } from '../../src/agent/index.js';
import { generateWorld, LOOKUP_TOOL } from '../../src/data/index.js';
import { loadCheckpoint } from '../../src/train/index.js';
import { ScriptedModel } from './scripted-model.js';

const add = tool({
  description: 'Add two numbers',
  inputSchema: z.object({ a: z.number(), b: z.number() }),
  execute: async ({ a, b }) => a + b,
});

async function collect(run: AsyncIterable<AgentEvent>): Promise<AgentEvent[]> {
  const events: AgentEvent[] = [];
  for await (const e of run) events.push(e);
  return events;
}

describe('Agent: the loop', () => {
  test('act, observe, answer: events in order, reason done', async () => {
    const model = new ScriptedModel((call) =>
      call === 0 ? { calls: [{ name: 'add', input: { a: 2, b: 3 } }] } : { text: 'It is 5.' },
    );
    const run = new Agent({ model, tools: { add } }).run('What is 2 + 3?');
    const events = await collect(run);
    assert.deepEqual(
      events.map((e) => e.type),
      ['step', 'tool-call', 'tool-result', 'step', 'text', 'text', 'text', 'final'],
    );
    assert.deepEqual((events[2] as { output: unknown }).output, 5);
    assert.deepEqual(await run.result, {
      type: 'final',
      text: 'It is 5.',
      reason: 'done',
      steps: 2,
      tokens: 30,
    });
  });

  test('a step budget ends a model that never stops calling', async () => {
    const model = new ScriptedModel(() => ({ calls: [{ name: 'add', input: { a: 1, b: 1 } }] }));
    const r = await new Agent({ model, tools: { add }, budget: { steps: 3 } }).run('loop').result;
    assert.deepEqual([r.reason, r.steps], ['steps', 3]);
  });

  test('a token budget', async () => {
    const model = new ScriptedModel(() => ({ calls: [{ name: 'add', input: { a: 1, b: 1 } }] }));
    const r = await new Agent({ model, tools: { add }, budget: { steps: 50, tokens: 40 } }).run('loop')
      .result;
    assert.deepEqual([r.reason, r.steps, r.tokens], ['tokens', 3, 45]);
  });

  test('arguments that fail the schema go back to the model as an observation, not a crash', async () => {
    let ran = false;
    const strict = tool({
      description: 'Add',
      inputSchema: z.object({ a: z.number(), b: z.number() }),
      execute: async ({ a, b }) => {
        ran = true;
        return a + b;
      },
    });
    const model = new ScriptedModel((call) =>
      call === 0 ? { calls: [{ name: 'add', input: { a: 'two' } }] } : { text: 'Sorry.' },
    );
    const run = new Agent({ model, tools: { add: strict } }).run('add');
    const events = await collect(run);
    const error = events.find((e) => e.type === 'tool-error') as { error: string };
    assert.match(error.error, /Invalid input|expected number/i);
    assert.equal(ran, false);
    assert.equal((await run.result).reason, 'done');
    // The model saw the error as the call's result.
    assert.match(JSON.stringify(model.prompts[1]), /tool-result/);
  });

  test('a tool that hangs fails at its time limit; one that returns megabytes is cut', async () => {
    const none = jsonSchema<Record<string, never>>({ type: 'object', properties: {} });
    const hang = tool({
      description: 'hangs',
      inputSchema: none,
      execute: () => new Promise<string>(() => {}),
    });
    const flood = tool({
      description: 'floods',
      inputSchema: none,
      execute: async () => 'x'.repeat(10 << 20),
    });
    const model = new ScriptedModel((call) =>
      call === 0
        ? {
            calls: [
              { name: 'hang', input: {} },
              { name: 'flood', input: {} },
            ],
          }
        : { text: 'ok' },
    );
    const events = await collect(new Agent({ model, tools: { hang, flood }, toolTimeoutMs: 50 }).run('go'));
    assert.match(
      (events.find((e) => e.type === 'tool-error') as { error: string }).error,
      /hang took longer than its 50 ms limit/,
    );
    const flooded = events.find((e) => e.type === 'tool-result') as { output: string };
    assert.ok(flooded.output.length < 5000);
    assert.match(flooded.output, /\[cut: the result was 10485760 characters\]$/);
  });

  test('an AbortSignal ends the run mid-generation; a wall-clock budget ends it too', async () => {
    const slow = () => new ScriptedModel(() => ({ text: 'a b c d e f g h i j k l m n o p' }), 20);
    const abort = new AbortController();
    const run = new Agent({ model: slow() }).run('talk', { signal: abort.signal });
    setTimeout(() => abort.abort(), 70);
    const started = performance.now();
    const r = await run.result;
    assert.equal(r.reason, 'aborted');
    assert.ok(performance.now() - started < 250, 'stopped within a step');
    assert.ok(r.text.length < 'a b c d e f g h i j k l m n o p'.length);
    assert.equal(
      (await new Agent({ model: slow(), budget: { seconds: 0.07 } }).run('talk').result).reason,
      'time',
    );
  });

  test('an interruption is delivered at the next step boundary and stays in the conversation', async () => {
    let run: ReturnType<Agent['run']>;
    const model = new ScriptedModel((call) => {
      if (call === 0) {
        run.interrupt('Actually, add 10 instead.');
        return { calls: [{ name: 'add', input: { a: 2, b: 3 } }] };
      }
      if (call === 1) return { calls: [{ name: 'add', input: { a: 2, b: 10 } }] };
      return { text: '12' };
    });
    run = new Agent({ model, tools: { add } }).run('Add 2 and 3.');
    const events = await collect(run);
    assert.deepEqual(
      events.filter((e) => e.type === 'interrupt'),
      [{ type: 'interrupt', text: 'Actually, add 10 instead.' }],
    );
    for (const prompt of model.prompts.slice(1)) {
      const said = JSON.stringify(prompt).match(/Actually, add 10 instead\./g) ?? [];
      assert.equal(said.length, 1, 'once, in every later step');
    }
    assert.equal(model.prompts[0].length, 1);
  });
});

test('Agent with a real model: models/chat looks the fact up and answers', async () => {
  const world = generateWorld(1);
  const lookup = tool({
    description: LOOKUP_TOOL.function.description,
    inputSchema: jsonSchema<{ subject: string; relation: string }>(LOOKUP_TOOL.function.parameters as never),
    execute: async ({ subject, relation }) =>
      world.facts.find((f) => f.subject === subject && f.relation === relation)?.object ?? 'unknown',
  });
  const model = jielong(loadCheckpoint(fileURLToPath(new URL('../../../models/chat', import.meta.url))));
  const run = new Agent({ model, tools: { lookup }, temperature: 0 }).run('Where was Jana Coyle born?');
  const events = await collect(run);
  const call = events.find((e) => e.type === 'tool-call') as { input: unknown };
  assert.deepEqual(call.input, { subject: 'Jana Coyle', relation: 'born_in' });
  assert.deepEqual(await run.result, {
    type: 'final',
    text: 'Jana Coyle was born in Stonebridge.',
    reason: 'done',
    steps: 2,
    tokens: (await run.result).tokens,
  });
});
