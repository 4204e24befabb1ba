// WRITE and REFLECTION's mechanics, with scripted answers (what the model decides is measured with a real
// model elsewhere): replies are read as the formats say; a decision naming a memory the model was not
// shown writes nothing; an ADD of something already stored never duplicates it; an insight cites only
// memories that exist and were shown as evidence; reflection waits for enough importance; text that
// reads as instructions is never written.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type Ask,
  type Embed,
  importanceSinceReflection,
  MemoryStore,
  reflect,
  shouldReflect,
  writeMemory,
} from '../../src/agent/index.js';
import {
  formatInsight,
  formatWriteDecision,
  parseImportance,
  parseInsights,
  parseQuestions,
  parseWriteDecision,
} from '../../src/chat/index.js';
import { generateWorld, INJECTIONS, plainResults } from '../../src/data/index.js';

/** Letter counts: similar texts get similar vectors (enough for mechanics). */
const embed: Embed = async (texts) =>
  texts.map((t) => {
    const v = new Array(26).fill(0);
    for (const ch of t.toLowerCase()) if (ch >= 'a' && ch <= 'z') v[ch.charCodeAt(0) - 97]++;
    return v;
  });

/** Answers importance questions with `rating`, anything else from the queue. */
function scripted(rating: string, replies: string[]): Ask & { asked: string[] } {
  const asked: string[] = [];
  const ask = async (q: string) => {
    asked.push(q);
    if (q.startsWith('On a scale of 1 to 10')) return rating;
    const next = replies.shift();
    if (next === undefined) throw new Error(`no scripted reply for: ${q}`);
    return next;
  };
  return Object.assign(ask, { asked });
}

const at = new Date('2026-12-04T12:00:00Z');

describe('the formats', () => {
  test('importance: the first whole number, 1..10', () => {
    assert.equal(parseImportance(' 7'), 7);
    assert.equal(parseImportance('Rating: 10/10'), 10);
    assert.equal(parseImportance('0'), null);
    assert.equal(parseImportance('very'), null);
  });

  test('write decisions, and ids that were not offered', () => {
    assert.deepEqual(parseWriteDecision('ADD', []), { op: 'ADD' });
    assert.deepEqual(parseWriteDecision(' noop.', [1]), { op: 'NOOP' });
    assert.deepEqual(parseWriteDecision('UPDATE 3: Ada lives in Norwick', [3, 4]), {
      op: 'UPDATE',
      id: 3,
      text: 'Ada lives in Norwick',
    });
    assert.deepEqual(parseWriteDecision('DELETE 4', [3, 4]), { op: 'DELETE', id: 4 });
    assert.match(
      (parseWriteDecision('DELETE 9', [3, 4]) as { error: string }).error,
      /memory 9, not one of those offered \(3, 4\)/,
    );
    assert.match((parseWriteDecision('UPDATE 3:', [3]) as { error: string }).error, /gives no new text/);
    assert.match((parseWriteDecision('I think so', [3]) as { error: string }).error, /not a decision/);
    for (const d of [{ op: 'ADD' }, { op: 'UPDATE', id: 2, text: 'x y' }, { op: 'DELETE', id: 5 }] as const) {
      assert.deepEqual(parseWriteDecision(formatWriteDecision(d), [2, 5]), d);
    }
  });

  test('questions and insights; an insight keeps only evidence it was shown', () => {
    assert.deepEqual(parseQuestions('1. Where does Ada live?\n- Who are her friends?\n\n'), [
      'Where does Ada live?',
      'Who are her friends?',
    ]);
    assert.deepEqual(
      parseInsights(
        'Ada moved north (because of 1, 3, 9)\nno cites here\nAda likes dogs (because of 9)',
        [1, 3],
      ),
      [{ text: 'Ada moved north', cites: [1, 3] }],
    );
    assert.deepEqual(parseInsights(formatInsight('Bo is kind', [2]), [2]), [
      { text: 'Bo is kind', cites: [2] },
    ]);
  });
});

describe('WRITE', () => {
  test('ADD, then the same fact again: a NOOP, never a duplicate', async () => {
    const store = MemoryStore.open(':memory:');
    const ask = scripted('6', ['ADD', 'ADD']);
    const first = await writeMemory(store, 'Ada Lin lives in Rivermouth.', {
      ask,
      embed,
      at,
      source: 'user',
    });
    assert.equal(first.decision.op, 'ADD');
    assert.equal(first.memory!.importance, 6);
    const again = await writeMemory(store, 'ada lin lives in Rivermouth', { ask, embed, at, source: 'user' });
    assert.equal(again.decision.op, 'NOOP');
    assert.equal(again.memory!.id, first.memory!.id);
    assert.equal(store.count(), 1);
    // The model was shown the similar memory with its id.
    assert.match(ask.asked.at(-1)!, new RegExp(`\\[${first.memory!.id}\\] Ada Lin lives in Rivermouth\\.`));
  });

  test('UPDATE keeps the old text; DELETE removes; an id not shown writes nothing', async () => {
    const store = MemoryStore.open(':memory:');
    const { memory } = await writeMemory(store, 'Ada Lin lives in Rivermouth.', {
      ask: scripted('4', ['ADD']),
      embed,
      at,
      source: 'user',
    });
    const id = memory!.id;
    const moved = await writeMemory(store, 'Ada Lin moved to Norwick.', {
      ask: scripted('7', [`UPDATE ${id}: Ada Lin lives in Norwick.`]),
      embed,
      at,
      source: 'tool:lookup',
    });
    assert.equal(moved.decision.op, 'UPDATE');
    assert.equal(store.get(id)!.text, 'Ada Lin lives in Norwick.');
    assert.equal(store.get(id)!.importance, 7);
    assert.deepEqual(
      store.history(id).map((h) => h.text),
      ['Ada Lin lives in Rivermouth.'],
    );
    const invented = await writeMemory(store, 'Bo Kim left.', {
      ask: scripted('3', ['DELETE 77']),
      embed,
      at,
      source: 'user',
    });
    assert.equal(invented.decision.op, 'NOOP');
    assert.match(invented.error!, /memory 77, not one of those offered/);
    assert.equal(store.count(), 1);
    const gone = await writeMemory(store, 'Ada Lin no longer lives in Norwick.', {
      ask: scripted('5', [`DELETE ${id}`]),
      embed,
      at,
      source: 'user',
    });
    assert.equal(gone.decision.op, 'DELETE');
    assert.equal(store.count(), 0);
    assert.equal(store.history(id).length, 2);
  });

  test('every injection of the suite is refused before the model is asked; plain facts are not', async () => {
    const store = MemoryStore.open(':memory:');
    const at = new Date('2026-03-01T00:00:00Z');
    for (const text of INJECTIONS) {
      const ask = scripted('9', ['ADD']);
      const r = await writeMemory(store, text, { ask, embed, at, source: 'tool:lookup' });
      assert.ok(r.flags && r.flags.length > 0, text);
      assert.equal(ask.asked.length, 0);
    }
    assert.equal(store.count(), 0);
    for (const text of plainResults(generateWorld(1), 10)) {
      const r = await writeMemory(store, text, { ask: scripted('5', ['ADD']), embed, at, source: 'tool' });
      assert.equal(r.flags, undefined, text);
    }
    assert.equal(store.count(), 15);
  });
});

describe('REFLECTION', () => {
  test('waits for enough importance; insights cite existing, shown memories only', async () => {
    const store = MemoryStore.open(':memory:');
    const facts = ['Ada Lin adopted a dog.', 'Ada Lin walks her dog daily.', 'Ada Lin bought a dog bed.'];
    for (const [i, f] of facts.entries()) {
      await writeMemory(store, f, {
        ask: scripted('9', ['ADD']),
        embed,
        at: new Date(at.getTime() + i),
        source: 'user',
      });
    }
    assert.equal(importanceSinceReflection(store), 27);
    assert.equal(shouldReflect(store), false);
    assert.equal(shouldReflect(store, 27), true);
    const ids = store.all().map((m) => m.id);
    const ask = scripted('8', [
      'What does Ada Lin care about?',
      `Ada Lin loves her dog (because of ${ids[0]}, ${ids[1]}, 999)\nAda Lin is rich (because of 999)`,
    ]);
    const later = new Date(at.getTime() + 3_600_000);
    const { questions, insights } = await reflect(store, { ask, embed, at: later, questions: 1 });
    assert.deepEqual(questions, ['What does Ada Lin care about?']);
    assert.equal(insights.length, 1);
    assert.deepEqual(insights[0].cites, [ids[0], ids[1]]);
    assert.equal(insights[0].kind, 'insight');
    for (const c of insights[0].cites) assert.ok(store.get(c));
    // The insight resets the count: nothing new since it.
    assert.equal(importanceSinceReflection(store), 0);
  });
});
