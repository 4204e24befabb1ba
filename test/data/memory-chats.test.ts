// The memory model's data: what a text tells is read off its words; the best action uses only what the
// prompt shows (a newer sighting of an empty room cancels an older key); one who knows everything wins by
// the shortest way; and every generated answer is one its reader accepts (an action offered, a decision
// naming a memory shown, insights citing their evidence, triples of three parts).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { parseAction, parseInsights, parseTriples, parseWriteDecision } from '../../src/chat/index.js';
import {
  bestAction,
  generateWorld,
  knownFrom,
  memoryConversations,
  type Recalled,
  revealsOf,
  TextWorld,
  textWorldInsights,
  textWorldTriples,
} from '../../src/data/index.js';

const open = (seed: number) => new TextWorld(seed, { layout: 'open', rooms: 5 });

test('what an observation tells: the vault, the key, the note, the curse (from the note or the chest)', () => {
  const w = open(3);
  const at = (room: string, key: boolean, note: boolean) => w.describe(room, { key, note, unlocked: false });
  assert.deepEqual(revealsOf(w, at(w.vaultFrom, true, false)), { vault: w.vaultFrom, keyAt: w.vaultFrom });
  const other = w.rooms.find((r) => r !== w.vaultFrom)!;
  assert.deepEqual(revealsOf(w, at(other, false, true)), { keyNotAt: other, note: other });
  assert.deepEqual(revealsOf(w, w.noteText()), { cursed: w.cursed });
  const safe = w.chests.find((c) => c !== w.cursed)!;
  assert.deepEqual(revealsOf(w, `The ${safe} chest opens: you find the treasure!`), { cursed: w.cursed });
  assert.deepEqual(revealsOf(w, `The ${w.cursed} chest opens and a curse falls on you.`), {
    cursed: w.cursed,
  });
  assert.deepEqual(
    textWorldTriples(w, { vault: 'hall', keyAt: 'attic', cursed: 'owl' }).map((t) => t.relation),
    ['opens off', 'lies in', 'is', 'is'],
  );
  assert.deepEqual(textWorldInsights(w, { note: 'study' }), ['The note lies in the study.']);
});

test('the newest memory decides; a room seen since without the key cancels an older key', () => {
  const r = (reveals: Recalled['reveals'], episode: number): Recalled => ({
    text: '',
    reveals,
    at: [episode, 0],
  });
  assert.deepEqual(knownFrom([r({ keyAt: 'hall' }, 3), r({ keyAt: 'attic' }, 1)]), { keyAt: 'hall' });
  assert.deepEqual(knownFrom([r({ keyNotAt: 'hall' }, 3), r({ keyAt: 'hall' }, 1)]), {});
  assert.deepEqual(knownFrom([r({ keyNotAt: 'study' }, 3), r({ keyAt: 'hall' }, 1)]), { keyAt: 'hall' });
  assert.deepEqual(knownFrom([r({ cursed: 'owl', vault: 'hall' }, 2)]), { cursed: 'owl', vault: 'hall' });
});

test('one who knows everything takes the shortest way and the safe chest; one who knows nothing explores', () => {
  for (let seed = 0; seed < 8; seed++) {
    const w = open(seed);
    const known = { keyAt: w.keyRoomIn(2), vault: w.vaultFrom, cursed: w.cursed };
    w.reset(2);
    let room = w.rooms[0];
    let carrying = false;
    let outcome = null;
    for (let t = 0; t < 8 && !w.done; t++) {
      const a = bestAction(w, known, { room, seen: [], carrying, noteRead: false, actions: w.actions() });
      const r = w.act(a);
      room = r.observation.match(/You are in the (\w+)\./)?.[1] ?? room;
      carrying ||= a.startsWith('take');
      outcome = r.outcome;
    }
    assert.equal(outcome, 'treasure');
    // Key (0 or 1 move), take, the vault's room (0 or 1), the vault, the chest.
    const least = (w.keyRoomIn(2) === w.rooms[0] ? 0 : 1) + 1 + (w.keyRoomIn(2) === w.vaultFrom ? 0 : 1) + 2;
    assert.equal(w.steps, least);
  }
  const w = open(1);
  w.reset(0);
  const a = bestAction(
    w,
    {},
    { room: w.rooms[0], seen: [w.rooms[0]], carrying: false, noteRead: false, actions: w.actions() },
  );
  assert.equal(
    a,
    w.actions().find((x) => x.startsWith('go to the') && x !== 'go to the vault'),
  );
});

test('every answer in the memory chats is one its reader accepts', () => {
  const chats = memoryConversations(generateWorld(1), { count: 1500, seed: 2 });
  assert.equal(chats.length, 1500);
  const again = memoryConversations(generateWorld(1), { count: 1500, seed: 2 });
  assert.deepEqual(again, chats);
  const seen = { act: 0, write: 0, insight: 0, triples: 0 };
  for (const c of chats) {
    const [u, a] = c.messages;
    if (
      u.role !== 'user' ||
      a?.role !== 'assistant' ||
      typeof a.content !== 'string' ||
      c.messages.length !== 2
    )
      continue;
    const q = u.content as string;
    if (q.endsWith('Which action? Answer with the action only.')) {
      const actions = q.match(/\nActions: (.*)\n/)![1].split('; ');
      assert.ok(parseAction(a.content, actions), `${a.content} among ${actions}`);
      seen.act++;
    } else if (q.startsWith('New fact:')) {
      const offered = [...q.matchAll(/^\[(\d+)\]/gm)].map((m) => Number(m[1]));
      assert.ok(!('error' in parseWriteDecision(a.content, offered)), a.content);
      seen.write++;
    } else if (q.startsWith('Statements:') && a.content !== 'NONE') {
      const offered = [...q.matchAll(/^\[(\d+)\]/gm)].map((m) => Number(m[1]));
      assert.equal(parseInsights(a.content, offered).length, 1, a.content);
      seen.insight++;
    } else if (q.startsWith('Observation:') && a.content !== 'NONE') {
      assert.ok(parseTriples(a.content).length >= 1, a.content);
      seen.triples++;
    }
  }
  for (const [k, n] of Object.entries(seen)) assert.ok(n > 20, `${k}: ${n}`);
});

test("models/memory's recipe data stays the same (its chats are seeded)", () => {
  const json = JSON.stringify(memoryConversations(generateWorld(1), { count: 24000, seed: 1 }));
  assert.equal(
    createHash('sha256').update(json).digest('hex'),
    'b98ae852aab50d09e2c3274627f1431c64611ee26b2fad68cf6464b7a3320c68',
  );
});
