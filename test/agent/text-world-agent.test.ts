// The text-world agent's loop, with a scripted Ask (mechanics only: what each memory mode writes and
// recalls, that search runs before an irreversible act and overrides the policy, that a reply naming no
// action is counted). The scripted policy knows the world's truth; the figures with a real model are the
// agent-memory bench's. Then the real parts: likelihoodChoice's batch against one forward per action, and
// models/memory deciding from what it recalls.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  type Ask,
  askModel,
  hashedEmbed,
  jielong,
  likelihoodChoice,
  MemoryStore,
  playEpisode,
  playEpisodes,
} from '../../src/agent/index.js';
import { actRequest, ChatTemplate, formatTriple } from '../../src/chat/index.js';
import { bestAction, revealsOf, TextWorld, textWorldTriples } from '../../src/data/index.js';
import { IntTensor, noGrad } from '../../src/tensor/index.js';
import { loadCheckpoint } from '../../src/train/index.js';

const embed = hashedEmbed(256);
const open = (seed: number) => new TextWorld(seed, { layout: 'open', rooms: 5, keyMovesEvery: 2 });

/** Answers every question as one who knows the world would; `policy` may override the action. */
function scripted(
  w: TextWorld,
  policy?: (actions: string[], best: string) => string,
): Ask & { asked: string[] } {
  const asked: string[] = [];
  const ask = async (q: string) => {
    asked.push(q);
    if (q.endsWith('Which action? Answer with the action only.')) {
      const actions = q.match(/\nActions: (.*)\n/)![1].split('; ');
      const now = q.match(/\nNow: (.*)\n/)![1];
      // After an action that did nothing, where one stands is in the episode's last observation.
      const room =
        now.match(/You are in the (\w+)\./)?.[1] ?? [...q.matchAll(/You are in the (\w+)\./g)].at(-1)![1];
      const carrying = !/Carrying: nothing/.test(q);
      const unseen = q.match(/\nNot yet seen: (.*?)\. Carrying/)![1].split(', ');
      const seen = w.rooms.filter((r) => !unseen.includes(r));
      const known = { vault: w.vaultFrom, cursed: w.cursed };
      const best = bestAction(w, known, { room, seen, carrying, noteRead: false, actions });
      return policy ? policy(actions, best) : best;
    }
    if (q.startsWith('On a scale')) return '4';
    if (q.startsWith('New fact:')) {
      const fact = q.match(/^New fact: (.*)\n/)![1];
      return q.includes(`] ${fact}\n`) || q.endsWith(`] ${fact}`) ? 'NOOP' : 'ADD';
    }
    if (q.startsWith('Observation:')) {
      const obs = q.match(/^Observation: (.*)\n/)![1];
      return textWorldTriples(w, revealsOf(w, obs)).map(formatTriple).join('\n');
    }
    if (q.includes('what will be observed?')) {
      const action = q.match(/If the next action is "(.*)"/)![1];
      return action.includes(w.cursed) ? 'A curse falls on you.' : 'You find the treasure!';
    }
    if (q.includes('from 0 to 10')) return /curse falls/.test(q) ? '0' : /treasure/.test(q) ? '10' : '5';
    return 'NONE';
  };
  return Object.assign(ask, { asked });
}

test('no memory: one who knows the world wins every episode; memory modes need a store', async () => {
  const w = open(2);
  const s = await playEpisodes(w, 3, { ask: scripted(w), embed, memory: 'none' });
  assert.equal(s.success, 1);
  // At most: four rooms to find the key, take it, the vault's room, the vault, the chest.
  assert.ok(s.steps <= 8, `steps ${s.steps}`);
  await assert.rejects(
    playEpisode(w, 0, { ask: scripted(w), embed, memory: 'read' }),
    /memory 'read' needs a store/,
  );
});

test('read keeps every observation; read-write keeps each once; recalled memories are shown newest first', async () => {
  const w = open(3);
  const stream = MemoryStore.open(':memory:');
  const r = await playEpisodes(w, 2, { ask: scripted(w), embed, store: stream, memory: 'read' });
  const steps = r.episodes.reduce((n, e) => n + e.steps + 1, 0);
  assert.equal(stream.all().length, steps);
  const written = MemoryStore.open(':memory:');
  const ask = scripted(w);
  await playEpisodes(w, 2, { ask, embed, store: written, memory: 'read-write' });
  const texts = written.all().map((m) => m.text);
  assert.equal(new Set(texts).size, texts.length);
  // The second episode's first prompt recalls memories, the newest first.
  const prompt = ask.asked.filter((q) => q.endsWith('action only.'))[r.episodes[0].steps];
  const recalled = prompt
    .match(/^Memories:\n([\s\S]*?)\nEarlier/)![1]
    .split('\n')
    .map((l) => l.slice(2));
  const at = recalled.map((t) =>
    written
      .all()
      .find((m) => m.text === t)!
      .createdAt.getTime(),
  );
  assert.deepEqual(
    at,
    [...at].sort((a, b) => b - a),
  );
  stream.close();
  written.close();
});

test('graph: the key that moved closes its old edge; the prompt shows the current triples', async () => {
  const w = open(4);
  const eps = [0, 2, 4, 6].find((e) => w.keyRoomIn(e) !== w.keyRoomIn(0))!;
  const store = MemoryStore.open(':memory:');
  const ask = scripted(w);
  await playEpisode(w, 0, { ask, embed, store, memory: 'graph' });
  await playEpisode(w, eps, { ask, embed, store, memory: 'graph' });
  const key = `${w.keyColour} key`;
  const edges = store.edges({ entity: key });
  const closed = edges.filter((e) => e.validUntil);
  assert.ok(
    closed.some((e) => e.object === w.keyRoomIn(0)),
    JSON.stringify(edges),
  );
  assert.deepEqual(
    store.edges({ entity: key, at: new Date('2030-01-01') }).map((e) => e.object),
    [w.keyRoomIn(eps)],
  );
  const last = ask.asked.filter((q) => q.endsWith('action only.')).at(-1)!;
  const safe = w.chests.find((c) => c !== w.cursed)!;
  assert.match(last, new RegExp(`\\n- ${safe} chest \\| is \\| safe\\n`));
  assert.deepEqual(
    store.edges({ entity: 'vault' }).map((e) => e.object),
    [w.vaultFrom],
  );
  store.close();
});

test('search before an irreversible act overrides a policy that picks the cursed chest; branches kept', async () => {
  const w = open(5);
  const cursedPolicy = (actions: string[], best: string) =>
    actions.includes(`open the ${w.cursed} chest`) ? `open the ${w.cursed} chest` : best;
  const blind = await playEpisode(w, 0, { ask: scripted(w, cursedPolicy), embed, memory: 'none' });
  assert.equal(blind.outcome, 'cursed');
  const simulated: string[][] = [];
  const searched = await playEpisode(w, 0, {
    ask: scripted(w, cursedPolicy),
    embed,
    memory: 'none',
    search: true,
    onStep: (s) => s.simulated && simulated.push(s.simulated.map((b) => `${b.actions[0]}: ${b.value}`)),
  });
  assert.equal(searched.outcome, 'treasure');
  const safe = w.chests.find((c) => c !== w.cursed)!;
  assert.deepEqual(simulated, [[`open the ${safe} chest: 1`, `open the ${w.cursed} chest: 0`]]);
});

test('a reply that names no action here is counted and costs a step', async () => {
  const w = open(6);
  let n = 0;
  const r = await playEpisode(w, 0, {
    ask: scripted(w, (_, best) => (n++ === 0 ? 'dance a jig' : best)),
    embed,
    memory: 'none',
  });
  assert.equal(r.invalid, 1);
  assert.equal(r.outcome, 'treasure');
});

test('the prompt is the format the memory model was trained on', () => {
  const q = actRequest({
    memories: ['a'],
    unseen: ['hall'],
    recent: [],
    carrying: [],
    observation: 'o',
    actions: ['x', 'y'],
  });
  assert.equal(
    q,
    'Memories:\n- a\nEarlier this episode:\n(nothing)\nNot yet seen: hall. Carrying: nothing.\nNow: o\nActions: x; y\nWhich action? Answer with the action only.',
  );
});

test('likelihoodChoice: the batch of padded rows scores each action as its own forward does', async () => {
  const parts = loadCheckpoint(fileURLToPath(new URL('../../../models/agent', import.meta.url)));
  const template = ChatTemplate.fromConfig(parts.tokenizerConfig ?? null)!;
  const prompt = 'Where was Jana Coyle born?';
  const actions = ['Jana Coyle was born in Stonebridge.', 'Stonebridge', 'I cannot tell you that.', 'no'];
  const head = parts.tokenizer.encode(
    template.render([{ role: 'user', content: prompt }], { addGenerationPrompt: true }),
    {
      allowSpecial: true,
    },
  );
  const alone = actions.map((a) => {
    const tail = parts.tokenizer.encode(`${a}${template.eos}`, { allowSpecial: true });
    const ids = [...head, ...tail].slice(0, -1);
    const logits = noGrad(() => parts.model.forward(new IntTensor(Int32Array.from(ids), [1, ids.length])));
    const V = logits.shape[2];
    return tail.reduce((sum, t, i) => {
      const row = Array.from(logits.data.subarray((head.length - 1 + i) * V, (head.length + i) * V));
      const max = Math.max(...row);
      return sum + row[t] - max - Math.log(row.reduce((z, v) => z + Math.exp(v - max), 0));
    }, 0);
  });
  const best = actions[alone.indexOf(Math.max(...alone))];
  assert.equal(await likelihoodChoice(parts)(prompt, actions), best);
  assert.equal(best, 'Jana Coyle was born in Stonebridge.');
  // Each action alone: the choice is that action.
  for (const a of actions) assert.equal(await likelihoodChoice(parts)(prompt, [a]), a);
});

test('models/memory, asked as the agent asks: the safe chest the note names; the room where the key lies', async () => {
  const parts = loadCheckpoint(fileURLToPath(new URL('../../../models/memory', import.meta.url)));
  const ask = askModel(jielong(parts), { maxOutputTokens: 16 });
  const inVault = actRequest({
    memories: [
      'The note says: "The chest carved with a fox is cursed; the one carved with a snake is safe."',
    ],
    unseen: ['cellar'],
    recent: ['You take the iron key. You are in the pantry. A door leads to the vault.'],
    carrying: ['the iron key'],
    observation: 'You are in the vault. Two chests stand here, one carved with a snake, one with a fox.',
    actions: ['open the snake chest', 'open the fox chest', 'go to the pantry'],
  });
  assert.equal(await ask(inVault), 'open the snake chest');
  const actions = ['go to the study', 'go to the attic', 'go to the pantry', 'go to the cellar'];
  const keyKnown = actRequest({
    memories: ['The vault opens off the study.', 'The iron key was in the attic.'],
    unseen: ['study', 'attic', 'pantry', 'cellar'],
    recent: [],
    carrying: [],
    observation: 'You are in the hall.',
    actions,
  });
  assert.equal(await ask(keyKnown), 'go to the attic');
  assert.equal(await likelihoodChoice(parts)(keyKnown, actions), 'go to the attic');
});
