// The built-in tools against answers known in advance, and the ways they refuse.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { asSchema, type ToolSet } from 'ai';
import {
  builtinTools,
  evaluate,
  formatTrace,
  lookupTool,
  readFileTool,
  readTrace,
  TraceWriter,
} from '../../src/agent/index.js';
import { CALCULATOR_TOOL, generateWorld, LOOKUP_TOOL } from '../../src/data/index.js';

const dir = mkdtempSync(join(tmpdir(), 'jielong-tools-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const call = <I>(t: { execute?: unknown }, input: I) =>
  (t.execute as (input: I, options: object) => Promise<unknown>)(input, { toolCallId: 'x', messages: [] });

test('calculator: precedence, parentheses, powers, unary minus; errors say where', () => {
  assert.equal(evaluate('2 + 3 * 4'), 14);
  assert.equal(evaluate('(2 + 3) * 4'), 20);
  assert.equal(evaluate('2 ^ 3 ^ 2'), 512);
  assert.equal(evaluate('-3 + 10 % 4'), -1);
  assert.equal(evaluate('1.5e2 / 3'), 50);
  assert.throws(() => evaluate('2 +'), /expected a number at position 2/);
  assert.throws(() => evaluate('(1'), /expected "\)"/);
  assert.throws(() => evaluate('1 / 0'), /not a finite number/);
  assert.throws(() => evaluate('process.exit()'), /expected a number at position 0/);
});

test("calculator and lookup carry the very manuals the world's chats teach", async () => {
  const tools: ToolSet = builtinTools();
  for (const spec of [CALCULATOR_TOOL, LOOKUP_TOOL]) {
    const t = tools[spec.function.name];
    assert.equal(t.description, spec.function.description);
    assert.deepEqual(await asSchema(t.inputSchema).jsonSchema, spec.function.parameters);
  }
  // And arguments are checked against them before a tool runs.
  const check = (name: string, v: unknown) => asSchema(tools[name].inputSchema).validate!(v);
  assert.equal((await check('lookup', { subject: 'Ada', relation: 'born_in' })).success, true);
  for (const [name, bad, why] of [
    ['lookup', { subject: 'Ada', relation: 'birthday' }, /relation must be one of born_in/],
    ['lookup', { subject: 'Ada' }, /relation is missing/],
    ['calculator', { expression: 7 }, /expression must be a string, got 7/],
    ['calculator', { expression: '1', x: 1 }, /unknown field x/],
  ] as const) {
    const r = await check(name, bad);
    assert.ok(!r.success && why.test(r.error.message), `${name} ${JSON.stringify(bad)}`);
  }
});

test('lookup answers from the world, and says when it knows nothing', async () => {
  const lookup = lookupTool(generateWorld(1));
  assert.equal(await call(lookup, { subject: 'Jana Coyle', relation: 'born_in' }), 'Stonebridge');
  assert.equal(
    await call(lookup, { subject: 'Nobody', relation: 'born_in' }),
    'no born_in is known for Nobody',
  );
});

test('read_file stays in its folder', async () => {
  const root = join(dir, 'files');
  mkdirSync(join(root, 'sub'), { recursive: true });
  writeFileSync(join(root, 'sub', 'a.txt'), 'hello');
  writeFileSync(join(dir, 'secret.txt'), 'no');
  writeFileSync(join(root, 'big.txt'), 'x'.repeat(100));
  symlinkSync(join(dir, 'secret.txt'), join(root, 'link.txt'));
  const read = readFileTool(root, 50);
  assert.equal(await call(read, { path: 'sub/a.txt' }), 'hello');
  for (const [path, why] of [
    ['../secret.txt', /outside the folder/],
    ['link.txt', /outside the folder/],
    [join(dir, 'secret.txt'), /is absolute/],
    ['missing.txt', /does not exist/],
    ['sub', /not a file/],
    ['big.txt', /100 bytes, more than 50/],
  ] as const)
    await assert.rejects(call(read, { path }), why);
});

test('a trace is written as it happens and read back readably', () => {
  const path = join(dir, 'trace.jsonl');
  const w = new TraceWriter(path);
  w.write({ type: 'step', step: 1 });
  w.write({ type: 'tool-call', toolCallId: 'c', toolName: 'lookup', input: { subject: 'Ada' } });
  w.write({ type: 'text', text: 'Ada ' });
  w.write({ type: 'text', text: 'was born.' });
  w.write({ type: 'final', text: 'Ada was born.', reason: 'done', steps: 1, tokens: 9 });
  const text = formatTrace(readTrace(path));
  assert.match(
    text,
    /ms {2}step 1\n.*ms {2}-> lookup\(\{"subject":"Ada"\}\)\n.*ms {2}"Ada was born\."\n.*final \(done; 1 steps, 9 tokens\)/,
  );
  writeFileSync(path, '{"t": 1}\n');
  assert.throws(() => readTrace(path), /trace\.jsonl:1: not a trace entry/);
});
