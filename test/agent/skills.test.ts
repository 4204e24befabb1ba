// Tools the agent writes: the format read and written back; a tool joins the library only when every test
// passes in the sandbox (a wrong answer, a loop and a missing test each keep it out); the library survives
// reopening and its tools run through the AI SDK's tool interface, in the sandbox.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { learnTool, MemoryStore, makeTool, Sandbox, skillTools } from '../../src/agent/index.js';
import { formatWrittenTool, parseWrittenTool, type WrittenTool } from '../../src/chat/index.js';

const dir = mkdtempSync(join(tmpdir(), 'jielong-skills-'));
const sandbox = new Sandbox();
after(async () => {
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
});

const at = new Date('2026-12-04T22:30:00Z');

const daysBetween: WrittenTool = {
  spec: {
    type: 'function',
    function: {
      name: 'days_between',
      description: 'Days from one ISO date to another',
      parameters: {
        type: 'object',
        properties: { from: { type: 'string' }, to: { type: 'string' } },
        required: ['from', 'to'],
      },
    },
  },
  tests: [
    { input: { from: '2026-12-01', to: '2026-12-04' }, output: 3 },
    { input: { from: '2026-12-31', to: '2027-01-01' }, output: 1 },
  ],
  code: 'function main({ from, to }) { return Math.round((Date.parse(to) - Date.parse(from)) / 86400000); }',
};

describe('the format', () => {
  test('written and read back', () => {
    assert.deepEqual(parseWrittenTool(formatWrittenTool(daysBetween)), daysBetween);
  });

  test('what is missing is named', () => {
    const text = formatWrittenTool(daysBetween);
    const cases: [string, RegExp][] = [
      [text.replace(/^code:$/m, 'kode:'), /no "code:" line/],
      [text.replace('name: days_between', 'name: Days Between'), /not snake_case/],
      [text.replace(/^test:.*$/gm, ''), /no test: lines/],
      [text.replace(/^parameters: .*$/m, 'parameters: {oops'), /parameters: not a JSON schema/],
      [text.replace('function main', 'function run'), /defines no function main/],
    ];
    for (const [reply, message] of cases) {
      const r = parseWrittenTool(reply);
      assert.ok('error' in r, reply);
      assert.match(r.error, message);
    }
  });
});

describe('the library', () => {
  const path = join(dir, 'skills.db');

  test('a tool whose tests pass is kept; a wrong one, a looping one and an untested one are not', async () => {
    const store = MemoryStore.open(path);
    const kept = await learnTool(store, sandbox, daysBetween, { at });
    assert.deepEqual(kept, { learned: true, failures: [] });
    const wrong = await learnTool(
      store,
      sandbox,
      {
        ...daysBetween,
        spec: { ...daysBetween.spec, function: { ...daysBetween.spec.function, name: 'days_wrong' } },
        code: 'function main() { return 2; }',
      },
      { at },
    );
    assert.equal(wrong.learned, false);
    assert.match(wrong.failures[0], /returned 2, expected 3/);
    const loops = await learnTool(
      store,
      sandbox,
      {
        ...daysBetween,
        spec: { ...daysBetween.spec, function: { ...daysBetween.spec.function, name: 'days_loop' } },
        code: 'function main() { for (;;) {} }',
      },
      { at, limits: { timeoutMs: 100 } },
    );
    assert.equal(loops.learned, false);
    assert.match(loops.failures[0], /timeout/);
    const untested = await learnTool(store, sandbox, { ...daysBetween, tests: [] }, { at });
    assert.deepEqual(untested, { learned: false, failures: ['no tests'] });
    assert.deepEqual(
      store.skills().map((s) => s.name),
      ['days_between'],
    );
    store.close();
  });

  test('after reopening, the tool runs as an AI SDK tool, in the sandbox', async () => {
    const store = MemoryStore.open(path);
    const tools = skillTools(store, sandbox);
    assert.deepEqual(Object.keys(tools), ['days_between']);
    const run = (input: unknown) =>
      tools.days_between.execute!(input as never, { toolCallId: 'c1', messages: [] });
    assert.equal(await run({ from: '2026-03-01', to: '2026-06-01' }), 92);
    // Bad dates give NaN inside, which crosses the boundary as JSON: null.
    assert.equal(await run({ from: 'soon', to: 'later' }), null);
    store.close();
  });

  test('makeTool: the model writes it (scripted here), the sandbox tests it, the library keeps it', async () => {
    const store = MemoryStore.open(':memory:');
    const ask = async () => formatWrittenTool(daysBetween);
    const made = await makeTool(store, sandbox, 'How many days from 1 to 4 December?', { ask, at });
    assert.equal(made.learned, true);
    const broken = await makeTool(store, sandbox, 'anything', {
      ask: async () => 'I would use a calendar.',
      at,
    });
    assert.deepEqual(broken, { learned: false, failures: ['no "code:" line'] });
    store.close();
  });
});
