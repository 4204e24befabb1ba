// The knowledge graph with time, against answers known in advance: a contradicted fact's edge is closed,
// not deleted, and still answers for its time, whichever order the facts were learned in; local search
// follows the neighbourhood; Louvain finds the two groups of a graph made of two; global search maps the
// question over communities and reduces (its mechanics, with scripted answers).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  type Ask,
  communities,
  formatEdge,
  globalSearch,
  knowledgeGraph,
  localSearch,
  MemoryStore,
  rememberFacts,
} from '../../src/agent/index.js';
import { parseTriples } from '../../src/chat/index.js';

const dir = mkdtempSync(join(tmpdir(), 'jielong-graph-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const day = (d: string) => new Date(`${d}T00:00:00Z`);
const learned = day('2026-12-01');
const livesIn = (store: MemoryStore, object: string, from: string) =>
  store.assertEdge({
    subject: 'Ada Lin',
    relation: 'lives_in',
    object,
    validFrom: day(from),
    learnedAt: learned,
    functional: true,
  });
const where = (store: MemoryStore, at: string) =>
  store
    .edges({ at: day(at), entity: 'Ada Lin' })
    .filter((e) => e.relation === 'lives_in')
    .map((e) => e.object);

test('a contradiction closes the old edge; the closed edge still answers for its time', () => {
  const path = join(dir, 'graph.db');
  const store = MemoryStore.open(path);
  livesIn(store, 'Rivermouth', '2026-03-01');
  const { closed } = livesIn(store, 'Norwick', '2026-06-01');
  assert.deepEqual(
    closed.map((e) => [e.object, e.validUntil?.toISOString().slice(0, 10)]),
    [['Rivermouth', '2026-06-01']],
  );
  assert.deepEqual(where(store, '2026-03-15'), ['Rivermouth']);
  assert.deepEqual(where(store, '2026-07-01'), ['Norwick']);
  assert.deepEqual(where(store, '2026-01-01'), []);
  // The same fact again adds nothing.
  assert.equal(
    livesIn(store, 'Norwick', '2026-08-01').edge.validFrom.toISOString().slice(0, 10),
    '2026-06-01',
  );
  assert.equal(store.edges().length, 2);
  store.close();
  const again = MemoryStore.open(path);
  assert.deepEqual(where(again, '2026-04-01'), ['Rivermouth']);
  assert.match(
    formatEdge(again.edges()[0]),
    /^Ada Lin \| lives_in \| Rivermouth \(from 2026-03-01 until 2026-06-01\)$/,
  );
  again.close();
});

test('a fact learned late about earlier times is closed where the newer one starts', () => {
  const store = MemoryStore.open(':memory:');
  livesIn(store, 'Norwick', '2026-06-01');
  const { edge, closed } = livesIn(store, 'Rivermouth', '2026-03-01');
  assert.deepEqual(closed, []);
  assert.equal(edge.validUntil?.toISOString().slice(0, 10), '2026-06-01');
  assert.deepEqual(where(store, '2026-04-01'), ['Rivermouth']);
  assert.deepEqual(where(store, '2026-09-01'), ['Norwick']);
  // A relation with many objects (friends) adds without closing.
  for (const friend of ['Bo Kim', 'Cy Orr']) {
    store.assertEdge({
      subject: 'Ada Lin',
      relation: 'friend_of',
      object: friend,
      validFrom: day('2026-01-01'),
      learnedAt: learned,
      functional: false,
    });
  }
  assert.equal(store.edges({ at: day('2026-10-01') }).filter((e) => e.relation === 'friend_of').length, 2);
  store.close();
});

/** Two triangles of people, each with their city, and no edge between them. */
function twoGroups(): MemoryStore {
  const store = MemoryStore.open(':memory:');
  const add = (subject: string, relation: string, object: string) =>
    store.assertEdge({
      subject,
      relation,
      object,
      validFrom: day('2026-01-01'),
      learnedAt: learned,
      functional: false,
    });
  for (const [a, b, c, city] of [
    ['Ada Lin', 'Bo Kim', 'Cy Orr', 'Rivermouth'],
    ['Dee Fox', 'Eli Park', 'Fay Yun', 'Norwick'],
  ]) {
    add(a, 'friend_of', b);
    add(b, 'friend_of', c);
    add(c, 'friend_of', a);
    for (const p of [a, b, c]) add(p, 'lives_in', city);
  }
  return store;
}

test('local search: one hop, then two', () => {
  const store = twoGroups();
  const one = localSearch(store, ['Ada Lin']);
  assert.ok(one.every((e) => e.subject === 'Ada Lin' || e.object === 'Ada Lin'));
  assert.equal(one.length, 3);
  const two = localSearch(store, ['Ada Lin'], { depth: 2 });
  assert.ok(two.length > one.length);
  assert.ok(two.every((e) => !['Dee Fox', 'Eli Park', 'Fay Yun', 'Norwick'].includes(e.subject)));
  assert.equal(knowledgeGraph(store).order, 8);
  assert.equal(knowledgeGraph(store).size, 12);
  store.close();
});

test('communities: the two groups, each with its facts', () => {
  const store = twoGroups();
  const found = communities(store, { seed: 1 });
  assert.equal(found.length, 2);
  const sets = found.map((c) => [...c.members].sort().join(', ')).sort();
  assert.deepEqual(sets, ['Ada Lin, Bo Kim, Cy Orr, Rivermouth', 'Dee Fox, Eli Park, Fay Yun, Norwick']);
  assert.deepEqual(
    found.map((c) => c.edges.length),
    [6, 6],
  );
  store.close();
});

test('global search: the question over each community, answers that say nothing left out, then reduced', async () => {
  const store = twoGroups();
  const asked: string[] = [];
  const ask: Ask = async (q) => {
    asked.push(q);
    if (q.startsWith('Partial answers')) return 'Everyone lives in Rivermouth or Norwick.';
    return q.includes('Rivermouth') ? 'They live in Rivermouth.' : 'They live in Norwick.';
  };
  const { answer, partials } = await globalSearch(store, 'Where do people live?', { ask, seed: 1 });
  assert.equal(partials.length, 2);
  assert.equal(answer, 'Everyone lives in Rivermouth or Norwick.');
  assert.equal(asked.length, 3);
  const quiet: Ask = async (q) => (q.includes('Rivermouth') ? 'NONE' : 'Norwick.');
  assert.deepEqual(await globalSearch(store, 'Where?', { ask: quiet, seed: 1 }), {
    answer: 'Norwick.',
    partials: ['Norwick.'],
  });
  store.close();
});

test('facts read from an observation become edges', async () => {
  assert.deepEqual(parseTriples('Ada Lin | lives_in | Norwick\nnot a triple\n- Bo | friend_of | Ada |\n'), [
    { subject: 'Ada Lin', relation: 'lives_in', object: 'Norwick' },
  ]);
  const store = MemoryStore.open(':memory:');
  const ask: Ask = async () => 'Ada Lin | lives_in | Norwick\nAda Lin | friend_of | Bo Kim';
  const edges = await rememberFacts(store, 'Ada moved to Norwick, near her friend Bo.', {
    ask,
    at: day('2026-06-01'),
    functional: (r) => r === 'lives_in',
  });
  assert.deepEqual(
    edges.map((e) => e.object),
    ['Norwick', 'Bo Kim'],
  );
  store.close();
});
