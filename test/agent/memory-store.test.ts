// The memory store and READ against answers known in advance: the retrieval score computed by hand; what
// UPDATE and DELETE keep; full-text search that treats its query as text; a process killed with SIGKILL
// while writing loses none of the memories it had committed; damaged, foreign and locked databases are
// refused with a clear error and nothing lost.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { formatMemories, MemoryStore, minMax, readMemories } from '../../src/agent/index.js';

const dir = mkdtempSync(join(tmpdir(), 'jielong-memory-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const T0 = new Date('2026-12-04T12:00:00Z');
const hours = (h: number) => new Date(T0.getTime() + h * 3_600_000);
const vec = (...xs: number[]) => Float32Array.from(xs);

test('READ: recency, importance and relevance, min-max normalised and summed, as computed by hand', () => {
  const store = MemoryStore.open(':memory:');
  // Written (and so last read) 0, 10 and 100 hours after T0; read at T0 + 100 h.
  const a = store.add({
    text: 'a',
    kind: 'observation',
    importance: 2,
    source: 'user',
    at: hours(0),
    embedding: vec(1, 0),
  });
  const b = store.add({
    text: 'b',
    kind: 'observation',
    importance: 8,
    source: 'user',
    at: hours(10),
    embedding: vec(0, 1),
  });
  const c = store.add({
    text: 'c',
    kind: 'observation',
    importance: 5,
    source: 'user',
    at: hours(100),
    embedding: vec(1, 1),
  });
  const query = vec(1, 0);
  // recency 0.995^100, 0.995^90, 1; importance 2, 8, 5; relevance 1, 0, 1/sqrt(2).
  const rec = minMax([0.995 ** 100, 0.995 ** 90, 1]);
  const imp = minMax([2, 8, 5]);
  const rel = minMax([1, 0, Math.SQRT1_2]);
  const expected = [a.id, b.id, c.id].map((id, i) => ({ id, score: rec[i] + 2 * imp[i] + 0.5 * rel[i] }));
  const read = readMemories(store, query, {
    now: hours(100),
    k: 3,
    weights: { importance: 2, relevance: 0.5 },
    peek: true,
  });
  expected.sort((x, y) => y.score - x.score);
  assert.deepEqual(
    read.map((r) => r.memory.id),
    expected.map((e) => e.id),
  );
  for (const [i, r] of read.entries()) assert.ok(Math.abs(r.score - expected[i].score) < 1e-6, `score ${i}`);
  // Without peek the chosen ones are marked read, which makes them the most recent.
  const [top] = readMemories(store, query, { now: hours(200), k: 1 });
  assert.equal(store.get(top.memory.id)!.accessedAt.getTime(), hours(200).getTime());
  assert.match(formatMemories(read), /^- \[2026-12-0[48] \d\d:00 UTC, user\] [abc]$/m);
  store.close();
});

test('UPDATE keeps the old text as history, DELETE keeps the text; search reads its query as text', () => {
  const store = MemoryStore.open(join(dir, 'history.db'));
  const m = store.add({
    text: 'Ada Lin lives in Rivermouth',
    kind: 'observation',
    importance: 4,
    source: 'user',
    at: T0,
  });
  store.update(m.id, 'Ada Lin lives in Norwick', { at: hours(1) });
  assert.equal(store.get(m.id)!.text, 'Ada Lin lives in Norwick');
  assert.deepEqual(
    store.history(m.id).map((h) => [h.text, h.event]),
    [['Ada Lin lives in Rivermouth', 'update']],
  );
  assert.deepEqual(
    store.search('Norwick').map((r) => r.memory.id),
    [m.id],
  );
  assert.deepEqual(store.search('Rivermouth'), []);
  assert.deepEqual(store.search('NOT "OR AND ) ('), []);
  const insight = store.add({
    text: 'Ada moved',
    kind: 'insight',
    importance: 6,
    source: 'reflection',
    at: hours(2),
    cites: [m.id],
  });
  assert.deepEqual(store.get(insight.id)!.cites, [m.id]);
  assert.throws(
    () =>
      store.add({ text: 'x', kind: 'insight', importance: 5, source: 'reflection', at: T0, cites: [999] }),
    /history\.db: cites memory 999, which does not exist/,
  );
  assert.throws(
    () => store.add({ text: 'x', kind: 'observation', importance: 11, source: 'user', at: T0 }),
    /importance must be in 1\.\.10, got 11/,
  );
  store.delete(m.id, hours(3));
  assert.equal(store.get(m.id), null);
  assert.deepEqual(
    store.history(m.id).map((h) => h.event),
    ['update', 'delete'],
  );
  assert.equal(store.count(), 1);
  store.close();
  const again = MemoryStore.open(join(dir, 'history.db'));
  assert.equal(again.count(), 1);
  assert.equal(again.history(m.id).length, 2);
  again.close();
});

test('embeddings: cosine over every embedded memory; a query of the wrong width is named', () => {
  const store = MemoryStore.open(':memory:');
  store.add({ text: 'x', kind: 'observation', importance: 1, source: 'user', at: T0, embedding: vec(3, 4) });
  store.add({ text: 'y', kind: 'observation', importance: 1, source: 'user', at: T0 });
  const { ids, cosine } = store.similarities(vec(4, 3));
  assert.equal(ids.length, 1);
  assert.ok(Math.abs(cosine[0] - 24 / 25) < 1e-6);
  assert.throws(() => store.similarities(vec(1, 2, 3)), /a query of 3 dimensions for embeddings of 2/);
  assert.throws(
    () =>
      store.add({ text: 'z', kind: 'observation', importance: 1, source: 'user', at: T0, embedding: vec(1) }),
    /an embedding of 1 dimensions among embeddings of 2/,
  );
  // An update moves the memory's vector with it, and a vector of the wrong width changes nothing.
  const x = store.all()[0];
  store.update(x.id, 'x moved', { at: T0, embedding: vec(4, 3), importance: 6 });
  assert.ok(Math.abs(store.similarities(vec(4, 3)).cosine[0] - 1) < 1e-6);
  assert.equal(store.scores().importance[0], 6);
  assert.throws(
    () => store.update(x.id, 'x again', { at: T0, embedding: vec(1, 2, 3) }),
    /3 dimensions among embeddings of 2/,
  );
  assert.equal(store.get(x.id)!.text, 'x moved');
  store.close();
});

test('killed with SIGKILL while writing: every memory it had committed is there', async () => {
  const path = join(dir, 'killed.db');
  const storeUrl = new URL('../../src/agent/memory/store.js', import.meta.url).href;
  const script = join(dir, 'writer.mjs');
  writeFileSync(
    script,
    `import { MemoryStore } from ${JSON.stringify(storeUrl)};
const store = MemoryStore.open(${JSON.stringify(path)});
for (let i = 0; ; i++) {
  const m = store.add({ text: 'memory ' + i + ' ' + 'x'.repeat(i % 500), kind: 'observation', importance: 1 + (i % 10), source: 'writer', at: new Date(), embedding: Float32Array.from({ length: 64 }, (_, j) => i + j) });
  process.stdout.write(m.id + '\\n');
}
`,
  );
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const committed: number[] = [];
  let buffered = '';
  await new Promise<void>((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const l of lines) committed.push(Number(l));
      if (committed.length >= 300 && !child.killed) child.kill('SIGKILL');
    });
    child.on('exit', () => resolve());
  });
  assert.ok(committed.length >= 300);
  const store = MemoryStore.open(path);
  for (const id of committed) assert.ok(store.get(id), `memory ${id} was committed`);
  const last = store.get(committed.at(-1)!)!;
  assert.equal(last.embedding!.length, 64);
  assert.ok(store.count() >= committed.length);
  store.close();
});

test('a damaged file, a foreign database and a locked store are refused by name, nothing lost', () => {
  const garbage = join(dir, 'garbage.db');
  writeFileSync(
    garbage,
    'this is not a database at all, just text that is long enough to look like a header.',
  );
  assert.throws(() => MemoryStore.open(garbage), /memory store .*garbage\.db: file is not a database/);

  const foreign = join(dir, 'foreign.db');
  const db = new Database(foreign);
  db.exec('CREATE TABLE other (x)');
  db.close();
  assert.throws(
    () => MemoryStore.open(foreign),
    /foreign\.db: it is an SQLite database, but not a memory store/,
  );

  const cut = join(dir, 'cut.db');
  const full = MemoryStore.open(cut);
  for (let i = 0; i < 200; i++) {
    full.add({
      text: `memory ${i} ${'y'.repeat(200)}`,
      kind: 'observation',
      importance: 3,
      source: 'user',
      at: T0,
    });
  }
  full.close();
  truncateSync(cut, 8192);
  assert.throws(() => MemoryStore.open(cut), /memory store .*cut\.db: .*(malformed|damaged|disk image)/);

  const shared = join(dir, 'locked.db');
  const store = MemoryStore.open(shared, { busyTimeoutMs: 50 });
  store.add({ text: 'before', kind: 'observation', importance: 1, source: 'user', at: T0 });
  const other = new Database(shared);
  other.prepare('BEGIN IMMEDIATE').run();
  assert.throws(
    () => store.add({ text: 'during', kind: 'observation', importance: 1, source: 'user', at: T0 }),
    /locked\.db: database is locked \(another process holds it/,
  );
  other.prepare('COMMIT').run();
  other.close();
  store.add({ text: 'after', kind: 'observation', importance: 1, source: 'user', at: T0 });
  assert.deepEqual(
    store.all().map((m) => m.text),
    ['before', 'after'],
  );
  store.close();
});
