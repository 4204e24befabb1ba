// The road world of the planning study: the map, routes known in advance, what a drive observes, and
// chats whose plans are the shortest routes given what the traveller has seen.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PLAN_REQUEST, parsePlan } from '../../src/chat/index.js';
import {
  DRIVE_TOOL,
  generateWorld,
  neighbours,
  type RoadMap,
  RoadTrip,
  roadKey,
  roadMap,
  roadTripConversations,
  shortestRoute,
} from '../../src/data/index.js';

const square: RoadMap = {
  towns: ['A', 'B', 'C', 'D'],
  roads: [
    ['A', 'B'],
    ['B', 'D'],
    ['A', 'C'],
    ['C', 'D'],
  ],
};

test('shortestRoute: fewest roads, ties to the alphabetically first, closed roads avoided', () => {
  assert.deepEqual(shortestRoute(square, 'A', 'D'), ['A', 'B', 'D']);
  assert.deepEqual(shortestRoute(square, 'A', 'D', new Set([roadKey('D', 'B')])), ['A', 'C', 'D']);
  assert.equal(shortestRoute(square, 'A', 'D', new Set([roadKey('A', 'B'), roadKey('C', 'A')])), null);
  assert.deepEqual(shortestRoute(square, 'B', 'B'), ['B']);
  assert.deepEqual(neighbours(square, 'A'), ['B', 'C']);
});

test('RoadTrip: a drive observes arrival, a closed road, or no road at all', () => {
  const trip = new RoadTrip(square, 'A', [['B', 'D']]);
  assert.equal(trip.drive('D'), 'There is no road to D. You are in A.');
  assert.equal(trip.drive('B'), 'You are in B.');
  assert.equal(trip.drive('D'), 'The road to D is closed. You are in B.');
  assert.equal(trip.at, 'B');
  assert.throws(() => new RoadTrip(square, 'Z'), /Z is not a town of the map/);
});

test("roadMap: a ring of the world's cities plus chords, so closing any road leaves a way round", () => {
  const world = generateWorld(1);
  const map = roadMap(world);
  assert.equal(map.towns.length, 6);
  assert.equal(map.roads.length, 8);
  const cities = new Set(world.cities.map((c) => c.name));
  for (const t of map.towns) assert.ok(cities.has(t));
  assert.equal(new Set(map.roads.map(([a, b]) => roadKey(a, b))).size, 8);
  for (const [a, b] of map.roads)
    for (const from of map.towns)
      for (const to of map.towns) assert.ok(shortestRoute(map, from, to, new Set([roadKey(a, b)])));
  assert.deepEqual(roadMap(world), map, 'seeded');
  assert.throws(() => roadMap(world, { towns: 99 }), /towns must be 4\.\.20/);
});

test('road-trip chats: every plan is the shortest route from where the traveller is, around the roads seen closed', () => {
  const map = roadMap(generateWorld(1));
  const chats = roadTripConversations(map, 400, 3);
  assert.equal(chats.length, 400);
  let plans = 0;
  let actions = 0;
  let detours = 0;
  for (const { messages, tools } of chats) {
    const goal = messages[1].content as string;
    let [, at, to] = /You are in (\w+)\. Drive to (\w+)\./.exec(goal)!;
    const closed = new Set<string>();
    for (const m of messages.slice(2, -1)) {
      if (m.role === 'tool') {
        const blocked = /The road to (\w+) is closed\. You are in (\w+)\./.exec(m.content);
        if (blocked) closed.add(roadKey(blocked[1], blocked[2]));
        at = /You are in (\w+)\./.exec(m.content)![1];
      }
      const detour = m.role === 'user' ? /Drive to (\w+) instead\./.exec(m.content) : null;
      if (detour) {
        to = detour[1];
        detours++;
      }
      if (m.role === 'assistant') assert.equal(m.weight, 0, 'earlier actions are context, not targets');
    }
    const last = messages.at(-1)!;
    assert.equal(last.role, 'assistant');
    if (messages.at(-2)!.content === PLAN_REQUEST) {
      plans++;
      assert.equal(tools, undefined);
      assert.deepEqual(parsePlan(last.content as string), shortestRoute(map, at, to, closed));
      continue;
    }
    actions++;
    assert.deepEqual(tools, [DRIVE_TOOL]);
    const plan = parsePlan((messages[0].content as string).split('Plan: ')[1]);
    if (at === to) assert.equal(last.content, `I am in ${to}.`);
    else {
      const next = plan[plan.indexOf(at) + 1];
      assert.equal(last.tool_calls?.[0].function.arguments, JSON.stringify({ to: next }));
      assert.ok(neighbours(map, at).includes(next));
    }
  }
  assert.ok(
    plans > 100 && actions > 150 && detours > 10,
    `${plans} plans, ${actions} actions, ${detours} detours`,
  );
});
