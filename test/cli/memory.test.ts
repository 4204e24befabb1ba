// `jielong memory` end to end: memories written and read back through the CLI (JSON), the graph's facts
// in time, a written tool learned only when its tests pass (and offered by jielong agent --skills), and
// errors that name what is wrong.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../../bin/jielong.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'jielong-memory-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const db = join(dir, 'memory.db');

function memory(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, 'memory', '--db', db, ...args], {
    encoding: 'utf8',
    env: { ...process.env, JIELONG_THREADS: '1' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const json = (...args: string[]) => {
  const r = memory(...args, '--json');
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
};

test('add, list, search, read: what was written comes back', () => {
  assert.equal(json('add', 'Ada Lin lives in Rivermouth.', '--importance', '4').id, 1);
  assert.equal(
    json('add', 'Bo Kim bought a dog.', '--importance', '9', '--source', 'tool:lookup').source,
    'tool:lookup',
  );
  assert.deepEqual(
    json('list').map((m: { text: string }) => m.text),
    ['Ada Lin lives in Rivermouth.', 'Bo Kim bought a dog.'],
  );
  assert.deepEqual(
    json('search', 'dog').map((m: { id: number }) => m.id),
    [2],
  );
  const read = json('read', 'Where does Ada live?', '--k', '2', '--peek');
  assert.equal(read.length, 2);
  for (const r of read) assert.ok(r.score >= 0 && r.recency >= 0 && r.relevance >= 0 && r.importance >= 0);
});

test('facts in time: a functional fact closes the old one, which still answers for its time', () => {
  json('fact', 'Ada Lin', 'lives_in', 'Rivermouth', '--at', '2026-03-01', '--functional');
  const moved = json('fact', 'Ada Lin', 'lives_in', 'Norwick', '--at', '2026-06-01', '--functional');
  assert.equal(moved.closed[0].object, 'Rivermouth');
  assert.deepEqual(
    json('facts', '--at', '2026-04-01', '--entity', 'Ada Lin').map((e: { object: string }) => e.object),
    ['Rivermouth'],
  );
  assert.match(memory('facts').stdout, /Rivermouth \(from 2026-03-01 until 2026-06-01\)/);
});

const DAYS = (answer: number) =>
  [
    'name: days_between',
    'description: Days from one ISO date to another',
    'parameters: {"type":"object","properties":{"from":{"type":"string"},"to":{"type":"string"}},"required":["from","to"]}',
    'test: {"from":"2026-12-01","to":"2026-12-04"} => 3',
    `test: {"from":"2026-01-01","to":"2027-01-01"} => ${answer}`,
    'code:',
    'function main({ from, to }) { return Math.round((Date.parse(to) - Date.parse(from)) / 86400000); }',
  ].join('\n');

test('learn: a written tool joins the skill library only when its tests pass; jielong agent --skills offers it', () => {
  writeFileSync(join(dir, 'wrong.txt'), DAYS(366));
  const wrong = memory('learn', join(dir, 'wrong.txt'));
  assert.equal(wrong.status, 1);
  assert.match(
    wrong.stdout,
    /not learned: \{"from":"2026-01-01","to":"2027-01-01"\}: returned 365, expected 366/,
  );
  assert.deepEqual(json('skills'), []);
  writeFileSync(join(dir, 'right.txt'), DAYS(365));
  assert.equal(json('learn', join(dir, 'right.txt')).learned, true);
  assert.deepEqual(json('skills'), [
    { name: 'days_between', description: 'Days from one ISO date to another' },
  ]);
  const r = spawnSync(
    process.execPath,
    [
      BIN,
      'agent',
      '--skills',
      db,
      '--tools',
      'calculator,clock',
      '--tools-per-step',
      '1',
      '--steps',
      '1',
      'How many days from one date to another?',
    ],
    { encoding: 'utf8', env: { ...process.env, JIELONG_THREADS: '1' } },
  );
  // Retrieval picks the learned tool among the built-in ones (what the small model then writes is its own).
  assert.match(r.stdout, /tools shown: days_between\n/, r.stderr);
});

test('errors name what is wrong', () => {
  for (const [args, message] of [
    [['nope'], /say add, write, read, search, list, history, fact, facts, learn or skills .*not "nope"/],
    [['add', 'x', '--importance', '11'], /--importance/],
    [['facts', '--at', 'someday'], /--at: "someday" is not a date/],
    [['fact', 'Ada'], /say SUBJECT RELATION OBJECT/],
  ] as const) {
    const r = memory(...args);
    assert.equal(r.status, 1, args.join(' '));
    assert.match(r.stderr, message);
  }
  const noDb = spawnSync(process.execPath, [BIN, 'memory', 'list'], { encoding: 'utf8' });
  assert.match(noDb.stderr, /--db FILE is required/);
});
