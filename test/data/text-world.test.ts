// The text world: the same seed gives the same world; a player who knows everything (where the key is,
// which chest is cursed) finds the treasure by the shortest way; the cursed chest ends the episode for
// good; the key moves between episodes; a locked vault and actions that make no sense are answered.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TextWorld } from '../../src/data/index.js';

test('the same seed, the same world; another seed, another', () => {
  const [a, b] = [new TextWorld(3), new TextWorld(3)];
  assert.deepEqual(
    [a.rooms, a.passages, a.vaultFrom, a.cursed, a.noteRoom],
    [b.rooms, b.passages, b.vaultFrom, b.cursed, b.noteRoom],
  );
  assert.notDeepEqual(new TextWorld(4).rooms, a.rooms);
  assert.throws(() => new TextWorld(1, { rooms: 20 }), /rooms must be an integer in \[3, 8\], got 20/);
});

test('one who knows everything finds the treasure by the shortest way', () => {
  for (let seed = 0; seed < 10; seed++) {
    const w = new TextWorld(seed);
    for (let episode = 0; episode < 3; episode++) {
      assert.match(w.reset(episode), new RegExp(`^Episode ${episode}\\. Find the treasure`));
      const keyRoom = w.keyRoomIn(episode);
      const route = [
        ...w.route(w.rooms[0], keyRoom),
        `take the ${w.keyColour} key`,
        ...w.route(keyRoom, w.vaultFrom),
        'vault',
      ];
      let last = null;
      for (const step of route) {
        const action = step.startsWith('take') ? step : `go to the ${step}`;
        assert.ok(w.actions().includes(action), `${action} among ${w.actions()}`);
        last = w.act(action);
      }
      const safe = w.chests.find((c) => c !== w.cursed)!;
      last = w.act(`open the ${safe} chest`);
      assert.deepEqual([last.done, last.outcome], [true, 'treasure']);
      assert.equal(w.steps, route.length + 1);
    }
  }
});

test('the cursed chest ends the episode and cannot be undone', () => {
  const w = new TextWorld(1);
  w.reset(0);
  const keyRoom = w.keyRoomIn(0);
  for (const r of w.route(w.rooms[0], keyRoom)) w.act(`go to the ${r}`);
  w.act(`take the ${w.keyColour} key`);
  for (const r of w.route(keyRoom, w.vaultFrom)) w.act(`go to the ${r}`);
  assert.match(w.act('go to the vault').observation, new RegExp(`carved with a ${w.chests[0]}`));
  assert.equal(TextWorld.irreversible(`open the ${w.cursed} chest`), true);
  assert.equal(TextWorld.irreversible('go to the hall'), false);
  const r = w.act(`open the ${w.cursed} chest`);
  assert.deepEqual([r.done, r.outcome], [true, 'cursed']);
  assert.deepEqual(w.actions(), []);
  assert.throws(() => w.act('go to the hall'), /the episode is over/);
});

test('the key moves between episodes; the note tells the curse; the vault is locked without the key', () => {
  const w = new TextWorld(2);
  assert.ok(new Set(Array.from({ length: 10 }, (_, e) => w.keyRoomIn(e))).size >= 2);
  w.reset(0);
  for (const r of w.route(w.rooms[0], w.noteRoom)) w.act(`go to the ${r}`);
  assert.equal(
    w.act('read the note').observation,
    `The note says: "The chest carved with a ${w.cursed} is cursed; the one carved with a ${w.chests.find((c) => c !== w.cursed)} is safe." ${w.observe()}`,
  );
  assert.match(w.observe(), new RegExp(`^You are in the ${w.noteRoom}\\.`));
  w.reset(0);
  for (const r of w.route(w.rooms[0], w.vaultFrom)) w.act(`go to the ${r}`);
  if (w.keyRoomIn(0) !== w.vaultFrom) {
    assert.match(w.act('go to the vault').observation, /locked; it needs the \w+ key/);
  }
  assert.match(w.act('dance').observation, /^Nothing happens\. You can: go to the/);
});

test('open layout: every room opens on every other; the key moves only every few episodes', () => {
  const w = new TextWorld(5, { layout: 'open', rooms: 5, keyMovesEvery: 3 });
  assert.equal(w.passages.length, 10);
  w.reset(0);
  for (const r of w.rooms.slice(1)) assert.ok(w.actions().includes(`go to the ${r}`));
  const rooms = Array.from({ length: 9 }, (_, e) => w.keyRoomIn(e));
  for (let e = 0; e < 9; e++) assert.equal(rooms[e], rooms[e - (e % 3)]);
  // Every episode moves it by default, as before the option existed.
  assert.equal(
    new TextWorld(5, { layout: 'open', rooms: 5 }).keyRoomIn(4),
    new TextWorld(5, { layout: 'open', rooms: 5, keyMovesEvery: 1 }).keyRoomIn(4),
  );
  assert.throws(
    () => new TextWorld(1, { keyMovesEvery: 0 }),
    /keyMovesEvery must be a positive integer, got 0/,
  );
});
