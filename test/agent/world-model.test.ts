// Searching in a world model before an irreversible act, against answers known in advance: with the text
// world itself as the model (a perfect simulator), the search opens the safe chest and keeps the cursed
// branch in its trace; the budget bounds the predictions; a model asked in words is read as the formats
// say (scripted replies: mechanics only).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tool } from 'ai';
import { z } from 'zod';
import {
  Agent,
  type AgentEvent,
  guardIrreversible,
  languageWorldModel,
  searchBeforeActing,
  type WorldModel,
} from '../../src/agent/index.js';
import { TextWorld } from '../../src/data/index.js';
import { ScriptedModel } from './scripted-model.js';

/** The world as its own model: replay the history's actions on a fresh copy, then the action. */
function simulator(seed: number, episode: number): WorldModel {
  const replay = (history: readonly string[]) => {
    const w = new TextWorld(seed);
    w.reset(episode);
    for (let i = 1; i < history.length; i += 2) w.act(history[i]);
    return w;
  };
  return {
    predict: async (history, action) => replay(history).act(action).observation,
    value: async (history) => {
      const last = history.at(-1) ?? '';
      return /treasure!/.test(last) ? 1 : /curse/i.test(last) ? 0 : 0.5;
    },
  };
}

test('before opening a chest: the simulated curse is avoided, both branches traced', async () => {
  for (const seed of [1, 2, 3]) {
    const w = new TextWorld(seed);
    const history = [w.reset(0)];
    // Walk to the vault the long way round: key first.
    const act = (a: string) => history.push(a, w.act(a).observation);
    const go = (to: string) => {
      const seen = new Set([w.observe()]);
      for (let guard = 0; guard < 20 && !w.observe().startsWith(`You are in the ${to}.`); guard++) {
        const next =
          w.actions().find((a) => a === `go to the ${to}`) ??
          w.actions().find((a) => a.startsWith('go to') && !seen.has(a));
        act(next!);
        seen.add(next!);
      }
    };
    go(w.keyRoomIn(0));
    act(`take the ${w.keyColour} key`);
    go(w.vaultFrom);
    act('go to the vault');
    assert.match(history.at(-1)!, /two chests|Two chests/);
    const candidates = () => w.actions().filter((a) => TextWorld.irreversible(a));
    const r = await searchBeforeActing(simulator(seed, 0), history, { candidates, depth: 1 });
    const safe = w.chests.find((c) => c !== w.cursed)!;
    assert.equal(r.best, `open the ${safe} chest`);
    assert.deepEqual(
      r.branches.map((b) => [b.actions[0], b.value]),
      [
        [`open the ${safe} chest`, 1],
        [`open the ${w.cursed} chest`, 0],
      ],
    );
    assert.equal(r.predictions, 2);
    assert.equal(w.act(r.best!).outcome, 'treasure');
  }
});

test('the budget bounds the predictions; depth lengthens the branches', async () => {
  let calls = 0;
  const model: WorldModel = {
    predict: async (_h, a) => {
      calls++;
      return `after ${a}`;
    },
    value: async (h) => (h.at(-1)?.includes('b') ? 0.9 : 0.1),
  };
  const r = await searchBeforeActing(model, ['start'], {
    candidates: () => ['a', 'b', 'c'],
    depth: 3,
    budget: 5,
  });
  assert.equal(calls, 5);
  assert.equal(r.predictions, 5);
  assert.equal(r.best, 'b');
  assert.ok(r.branches.some((b) => b.actions.length === 2 && b.actions[0] === 'b'));
});

test('a world model asked in words: its prediction, and its 0-10 value read as a share', async () => {
  const asked: string[] = [];
  const model = languageWorldModel(async (q) => {
    asked.push(q);
    return q.includes('from 0 to 10') ? (q.includes('curse') ? '1' : 'about 7') : 'A curse falls on you.';
  });
  assert.equal(
    await model.predict(['You are in the vault.'], 'open the snake chest'),
    'A curse falls on you.',
  );
  assert.match(asked[0], /If the next action is "open the snake chest", what will be observed\?/);
  assert.equal(await model.value(['A curse falls on you.']), 0.1);
  assert.equal(await model.value(['You are in the vault.']), 0.7);
  const mute = languageWorldModel(async () => 'no idea');
  assert.equal(await mute.value(['x']), 0.5);
});

test('in the agent loop: an irreversible tool simulates first, refuses the cursed chest, opens the safe one', async () => {
  const seed = 2;
  const w = new TextWorld(seed);
  const history = [w.reset(0)];
  const act = (a: string) => history.push(a, w.act(a).observation);
  // Straight to the vault, as one who knows the way.
  const walk = (to: string) => {
    const from = w.observe().match(/^You are in the (\w+)\./)![1];
    for (const r of w.route(from, to)) act(`go to the ${r}`);
  };
  walk(w.keyRoomIn(0));
  act(`take the ${w.keyColour} key`);
  walk(w.vaultFrom);
  act('go to the vault');
  const safe = w.chests.find((c) => c !== w.cursed)!;
  const searches: unknown[] = [];
  const open = guardIrreversible(
    async ({ chest }: { chest: string }) => w.act(`open the ${chest} chest`).observation,
    {
      model: simulator(seed, 0),
      history: () => history,
      describe: ({ chest }) => `open the ${chest} chest`,
      alternatives: ({ chest }) => w.chests.filter((c) => c !== chest).map((c) => ({ chest: c })),
      onSearch: (r) => searches.push(r),
    },
  );
  const open_chest = tool({
    description: 'open a chest',
    inputSchema: z.object({ chest: z.string() }),
    execute: open,
  });
  // The scripted model only drives the loop (mechanics): it tries the cursed chest, then the other.
  const model = new ScriptedModel((call) => {
    if (call === 0) return { calls: [{ name: 'open_chest', input: { chest: w.cursed } }] };
    if (call === 1) return { calls: [{ name: 'open_chest', input: { chest: safe } }] };
    return { text: 'Found it.' };
  });
  const events: AgentEvent[] = [];
  for await (const e of new Agent({ model, tools: { open_chest } }).run('Open the right chest.'))
    events.push(e);
  const results = events.filter((e) => e.type === 'tool-result') as { output: unknown }[];
  assert.deepEqual(results[0].output, {
    simulated: true,
    refused: `open the ${w.cursed} chest`,
    instead: `open the ${safe} chest`,
    predicted: `The ${w.cursed} chest opens and a curse falls on you. The episode is over.`,
  });
  assert.equal(results[1].output, `The ${safe} chest opens: you find the treasure!`);
  assert.equal(searches.length, 2);
  assert.equal(w.done, true);
});
