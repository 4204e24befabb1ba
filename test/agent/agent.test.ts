// The agent loop's mechanics with a scripted model (budgets, cancellation, schema errors, tool limits,
// interruption), and a goal reached by a real model (models/chat) that decides to look a fact up.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { jsonSchema, tool, wrapLanguageModel } from 'ai';
import { z } from 'zod';
import { Agent, type AgentEvent, jielong, promptToolCalling } from '../../src/agent/index.js';
import { PLAN_REQUEST } from '../../src/chat/index.js';
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
      [
        'prompt',
        'step',
        'tool-call',
        'tool-result',
        'usage',
        'prompt',
        'step',
        'text',
        'text',
        'text',
        'usage',
        'final',
      ],
    );
    assert.deepEqual((events[3] as { output: unknown }).output, 5);
    // Each step's prompt and cost, for the trace.
    const prompts = events.filter((e) => e.type === 'prompt');
    assert.deepEqual(
      prompts.map((e) => [e.step, e.messages.length]),
      [
        [1, 1],
        [2, 3],
      ],
    );
    assert.deepEqual(events[4], {
      type: 'usage',
      step: 1,
      inputTokens: 10,
      outputTokens: 5,
      finishReason: 'tool-calls',
    });
    assert.deepEqual(await run.result, {
      type: 'final',
      text: 'It is 5.',
      reason: 'done',
      steps: 2,
      tokens: 30,
    });
  });

  test('a step budget ends a model that never stops calling', async () => {
    const model = new ScriptedModel((call) => ({ calls: [{ name: 'add', input: { a: call, b: 1 } }] }));
    const r = await new Agent({ model, tools: { add }, budget: { steps: 3 } }).run('loop').result;
    assert.deepEqual([r.reason, r.steps], ['steps', 3]);
  });

  test('a token budget', async () => {
    const model = new ScriptedModel((call) => ({ calls: [{ name: 'add', input: { a: call, b: 1 } }] }));
    const r = await new Agent({ model, tools: { add }, budget: { steps: 50, tokens: 40 } }).run('loop')
      .result;
    assert.deepEqual([r.reason, r.steps, r.tokens], ['tokens', 3, 45]);
  });

  test('a model that makes the same call step after step is stopped as a loop', async () => {
    const model = new ScriptedModel(() => ({ calls: [{ name: 'add', input: { a: 1, b: 1 } }] }));
    const r = await new Agent({ model, tools: { add }, budget: { steps: 20 } }).run('loop').result;
    assert.deepEqual([r.reason, r.steps], ['loop', 3]);
    const r2 = await new Agent({ model, tools: { add }, maxRepeats: 5, budget: { steps: 20 } }).run('loop')
      .result;
    assert.deepEqual([r2.reason, r2.steps], ['loop', 5]);
  });

  test('broken JSON or an unknown tool in a call ends the run with an error that says so', async () => {
    for (const [text, why] of [
      ['<tool_call>{"name": "add", "arguments": {"a": 1,}}</tool_call>', /call 1 is not JSON/],
      ['<tool_call>{"name": "nope", "arguments": {}}</tool_call>', /"nope", which is not an offered tool/],
    ] as const) {
      const model = wrapLanguageModel({
        model: new ScriptedModel(() => ({ text })),
        middleware: promptToolCalling(),
      });
      const r = await new Agent({ model, tools: { add } }).run('add').result;
      assert.equal(r.reason, 'error');
      assert.match(r.error!, /the model's tool call could not be read: /);
      assert.match(r.error!, why);
    }
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

test('an interruption during the final answer is not lost: the run goes on with it', async () => {
  let run: ReturnType<Agent['run']>;
  const model = new ScriptedModel((call) => {
    if (call === 0) {
      run.interrupt('And what about 5?');
      return { text: 'It is 4.' };
    }
    return { text: 'Then 5.' };
  });
  run = new Agent({ model }).run('What is 2 + 2?');
  const events = await collect(run);
  assert.deepEqual(
    events.filter((e) => e.type === 'interrupt' || e.type === 'step').map((e) => e.type),
    ['step', 'interrupt', 'step'],
  );
  const r = await run.result;
  assert.deepEqual([r.reason, r.text, r.steps], ['done', 'Then 5.', 2]);
  // The second call saw the goal, the first answer, then the interruption.
  assert.deepEqual(
    model.prompts[1].map((m) => m.role),
    ['user', 'assistant', 'user'],
  );
  assert.match(JSON.stringify(model.prompts[1]), /What is 2 \+ 2\?.*It is 4\..*And what about 5\?/);
});

describe('Agent: planning', () => {
  // The script answers a planning request with a plan naming the call it was, and otherwise adds
  // until told (by the plan in its system message) that it is on plan 3.
  const planner = () =>
    new ScriptedModel((call, options) => {
      const last = JSON.stringify(options.prompt.at(-1));
      if (last.includes(PLAN_REQUEST)) return { text: `1. add (plan at call ${call})\n2. answer` };
      const system = JSON.stringify(options.prompt[0]);
      return system.includes('Plan: add (plan at call 0)') || call > 6
        ? { calls: [{ name: 'add', input: { a: call, b: 1 } }] }
        : { text: 'done' };
    });
  const plans = (events: AgentEvent[]) =>
    events.flatMap((e) => (e.type === 'plan' ? [[e.revision, e.reason, e.steps.length]] : []));

  test('plan-then-act: one plan, shown in the system message of every step', async () => {
    const model = planner();
    const run = new Agent({
      model,
      tools: { add },
      instructions: 'Be brief.',
      planning: 'plan-then-act',
    }).run('go');
    const events = await collect(run);
    assert.deepEqual(plans(events), [[1, 'start', 2]]);
    // The plan never changes, so the model adds on until the step budget.
    assert.deepEqual([(await run.result).reason, (await run.result).steps], ['steps', 10]);
    const acting = model.prompts.filter((p) => !JSON.stringify(p.at(-1)).includes(PLAN_REQUEST));
    for (const p of acting)
      assert.deepEqual(p[0], {
        role: 'system',
        content: 'Be brief.\n\nPlan: add (plan at call 0) -> answer',
      });
  });

  test('replan: a new plan after every observation, and the model acts on the newest', async () => {
    const model = planner();
    const run = new Agent({ model, tools: { add }, planning: 'replan' }).run('go');
    const events = await collect(run);
    // call 0 plans, call 1 acts (plan 0 says add), call 2 re-plans, call 3 acts on plan 2 and answers.
    assert.deepEqual(plans(events), [
      [1, 'start', 2],
      [2, 'observation', 2],
    ]);
    assert.deepEqual(await run.result, { type: 'final', text: 'done', reason: 'done', steps: 2, tokens: 60 });
    assert.equal(
      JSON.stringify(model.prompts[3][0]),
      JSON.stringify({ role: 'system', content: 'Plan: add (plan at call 2) -> answer' }),
    );
  });

  test('an interruption makes a new plan under plan-then-act too', async () => {
    let run: ReturnType<Agent['run']>;
    const model = new ScriptedModel((call, options) => {
      if (JSON.stringify(options.prompt.at(-1)).includes(PLAN_REQUEST)) return { text: `step ${call}` };
      if (call === 1) {
        run.interrupt('Something else.');
        return { calls: [{ name: 'add', input: { a: 1, b: 1 } }] };
      }
      return { text: 'ok' };
    });
    run = new Agent({ model, tools: { add }, planning: 'plan-then-act' }).run('go');
    const events = await collect(run);
    assert.deepEqual(plans(events), [
      [1, 'start', 1],
      [2, 'interruption', 1],
    ]);
    // The re-planning request came after the interruption, which it saw.
    assert.match(JSON.stringify(model.prompts[2]), /Something else\..*Make a plan\./);
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
