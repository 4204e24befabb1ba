// `jielong agent` end to end on the shipped models: models/agent looks the fact up and answers, and
// drives a road trip that re-plans around a closed road; the trace reads back; bad flags are one line.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../../bin/jielong.js', import.meta.url));
const AGENT = fileURLToPath(new URL('../../../models/agent', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'jielong-agent-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const jielong = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });

test('jielong agent: the default model (models/agent) looks the fact up, answers, and the trace reads back', () => {
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
    [['agent', '--planning', 'later', 'x'], /--planning: "later" is not plan-then-act or replan/],
    [['agent', '--completions', 'x'], /--completions needs --endpoint/],
    [['agent', '--trip', 'Atlantis', 'x'], /--trip: no town "Atlantis" \(towns: Eastwick, Coldharbor, /],
    [['agent', '--trip', 'Eastwick', '--closed', 'Eastwick', 'x'], /--closed: "Eastwick" is not A-B/],
    [['agent', '--closed', 'Eastwick-Deepdale', 'x'], /--closed needs --trip/],
    [
      ['agent', '--trip', 'Eastwick', '--closed', 'Eastwick-Thornbury', 'x'],
      /--closed: no road Eastwick-Thornbury \(roads: Eastwick-Coldharbor, /,
    ],
  ];
  for (const [args, message] of cases) {
    const r = jielong(...args);
    assert.equal(r.status, 1, args.join(' '));
    assert.match(r.stderr, message);
  }
  // Every tool offered at once overflows models/chat's context: the run ends saying so. Retrieval
  // shows it the one that fits.
  const CHAT = fileURLToPath(new URL('../../../models/chat', import.meta.url));
  const picked = jielong('agent', '--model', CHAT, '--tools-per-step', '1', 'Where was Jana Coyle born?');
  assert.equal(picked.status, 0, picked.stderr);
  assert.match(picked.stdout, /tools shown: lookup\n/);
  assert.match(picked.stdout, /final \(done; 2 steps, \d+ tokens\): Jana Coyle was born in Stonebridge\./);
  const long = jielong('agent', '--model', CHAT, 'Where was Jana Coyle born?');
  assert.equal(long.status, 1);
  assert.match(long.stdout, /final \(error: jielong: the prompt has \d+ tokens; the model's context is 192/);
});

test('jielong agent --trip --planning: models/agent re-plans around a closed road; the trace shows each plan', () => {
  const trace = join(dir, 'trip.jsonl');
  const goal = 'You are in Eastwick. Drive to Thornbury.';
  const trip = ['--model', AGENT, '--trip', 'Eastwick', '--closed', 'Deepdale-Thornbury'];
  const r = jielong('agent', ...trip, '--planning', 'replan', '--trace', trace, goal);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /plan 1 \(start\): Eastwick -> Deepdale -> Thornbury\n/);
  assert.match(r.stdout, /<- drive: The road to Thornbury is closed\. You are in Deepdale\.\n/);
  assert.match(r.stdout, /final \(done; \d+ steps, \d+ tokens\): I am in Thornbury\./);
  assert.match(jielong('agent', 'trace', trace).stdout, /ms {2}plan 2 \(observation\): Deepdale -> /);
  const once = jielong('agent', ...trip, '--planning', 'plan-then-act', goal);
  assert.equal(once.status, 0, once.stderr);
  // The plan made once still says to take the closed road: the model goes nowhere until the repeat
  // guard ends the run.
  assert.match(once.stdout, /<- drive: The road to Thornbury is closed\. You are in Deepdale\.\n/);
  assert.match(once.stdout, /final \(loop; \d+ steps, \d+ tokens\)/);
  assert.doesNotMatch(once.stdout, /plan 2/);
});

test('jielong agent text-world: episodes with memory on the shipped models/memory, one JSON line each', () => {
  const db = join(dir, 'world.db');
  const r = jielong(
    'agent',
    'text-world',
    '--episodes',
    '2',
    '--memory',
    'read-write',
    '--max-steps',
    '6',
    '--db',
    db,
    '--json',
  );
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    lines.map((l) => l.episode),
    [0, 1],
  );
  for (const l of lines) {
    assert.ok(['treasure', 'cursed', null].includes(l.outcome));
    assert.ok(l.steps >= 1 && l.steps <= 6);
  }
  // The memories it kept are in the store for the next run.
  const kept = spawnSync(process.execPath, [BIN, 'memory', '--db', db, 'list', '--json'], {
    encoding: 'utf8',
  });
  assert.ok(JSON.parse(kept.stdout).length > 0, kept.stderr);
  const bad = jielong('agent', 'text-world', '--memory', 'everything');
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /--memory.*none, read, read-write, reflection, graph/);
});
