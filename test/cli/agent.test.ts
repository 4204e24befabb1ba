// `jielong agent` end to end on the shipped chat model: it looks the fact up and answers; the trace
// reads back; bad flags are one line.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../../bin/jielong.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'jielong-agent-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const jielong = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });

test('jielong agent: models/chat looks the fact up, answers, and the trace reads back', () => {
  const trace = join(dir, 'run.jsonl');
  const r = jielong('agent', '--tools', 'lookup', '--trace', trace, 'Where was Jana Coyle born?');
  assert.equal(r.status, 0, r.stderr);
  assert.match(
    r.stdout,
    /-> lookup\(\{"subject":"Jana Coyle","relation":"born_in"\}\)\n {2}<- lookup: Stonebridge\n/,
  );
  assert.match(r.stdout, /final \(done; 2 steps, \d+ tokens\): Jana Coyle was born in Stonebridge\./);
  const back = jielong('agent', 'trace', trace);
  assert.equal(back.status, 0, back.stderr);
  assert.match(back.stdout, /ms {2}"Jana Coyle was born in Stonebridge\."/);
});

test('jielong agent --mcp: the tools of an MCP server (here jielong mcp itself), chosen by retrieval', () => {
  const r = jielong(
    'agent',
    '--tools',
    'none',
    '--mcp',
    `${process.execPath} ${BIN} mcp`,
    '--tools-per-step',
    '1',
    'Where was Jana Coyle born?',
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /tools shown: lookup\n/);
  assert.match(r.stdout, /final \(done; 2 steps, \d+ tokens\): Jana Coyle was born in Stonebridge\./);
});

test('jielong agent: errors are one line', () => {
  const cases: [string[], RegExp][] = [
    [
      ['agent', '--tools', 'nope', 'x'],
      /no built-in tool "nope" \(calculator, lookup, clock; read_file needs --files\)/,
    ],
    [['agent', '--endpoint', 'http://127.0.0.1:9/v1', 'x'], /--endpoint needs --model-id/],
    [['agent', 'a', 'b'], /expected one goal \(in quotes\), got 2 arguments/],
  ];
  for (const [args, message] of cases) {
    const r = jielong(...args);
    assert.equal(r.status, 1, args.join(' '));
    assert.match(r.stderr, message);
  }
  // Every tool offered at once overflows models/chat's context: the run ends saying so. Retrieval
  // shows it the one that fits.
  const picked = jielong('agent', '--tools-per-step', '1', 'Where was Jana Coyle born?');
  assert.equal(picked.status, 0, picked.stderr);
  assert.match(picked.stdout, /tools shown: lookup\n/);
  assert.match(picked.stdout, /final \(done; 2 steps, \d+ tokens\): Jana Coyle was born in Stonebridge\./);
  const long = jielong('agent', 'Where was Jana Coyle born?');
  assert.equal(long.status, 1);
  assert.match(long.stdout, /final \(error: jielong: the prompt has \d+ tokens; the model's context is 192/);
});
