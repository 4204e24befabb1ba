// The chats that teach a small model to run an agent's memory (issue 14): every decision the memory
// modules, the knowledge graph and the world model put to a model (src/chat/memory.ts,
// src/chat/world-model.ts), and acting in the text world with what memory recalls (src/chat/text-world.ts),
// each answered as the world's ground truth says. The answers are worked out from what the prompt shows
// and nothing else: an action uses only the memories the prompt lists and this episode's observations, so
// what a model learns here is to read its memory, not to know the world.
import {
  formatInsight,
  formatTriple,
  formatWriteDecision,
  importanceRequest,
  insightsRequest,
  type MemoryLine,
  questionsRequest,
  type Triple,
  triplesRequest,
  type WriteDecision,
  writeRequest,
} from '../chat/memory.js';
import type { Conversation, Message } from '../chat/messages.js';
import { actRequest } from '../chat/text-world.js';
import { predictRequest, valueRequest } from '../chat/world-model.js';
import { Generator } from '../tensor/index.js';
import { LOOKUP_TOOL, toolTurn } from './conversations.js';
import { INJECTIONS } from './injections.js';
import { choice, shuffled } from './random.js';
import { requestCases } from './requests.js';
import { FACT_TEMPLATES, renderFact } from './templates.js';
import { TextWorld } from './text-world.js';
import { agentConversations } from './tool-tasks.js';
import type { World } from './world.js';

/** What a text about the text world tells: where things are, which chest is cursed. */
export interface Reveals {
  vault?: string;
  keyAt?: string;
  /** A room seen without the key. */
  keyNotAt?: string;
  note?: string;
  cursed?: string;
}

/** A remembered text with what it tells and when it was seen (episode, step). */
export interface Recalled {
  text: string;
  reveals: Reveals;
  at: [episode: number, step: number];
}

/** The facts of a text about the text world, as the knowledge graph keeps them. */
export function textWorldTriples(w: TextWorld, r: Reveals): Triple[] {
  const out: Triple[] = [];
  if (r.vault) out.push({ subject: 'vault', relation: 'opens off', object: r.vault });
  if (r.keyAt) out.push({ subject: `${w.keyColour} key`, relation: 'lies in', object: r.keyAt });
  if (r.note) out.push({ subject: 'note', relation: 'lies in', object: r.note });
  if (r.cursed) {
    out.push({ subject: `${r.cursed} chest`, relation: 'is', object: 'cursed' });
    out.push({ subject: `${w.chests.find((c) => c !== r.cursed)} chest`, relation: 'is', object: 'safe' });
  }
  return out;
}

/** The relations of textWorldTriples that hold one object at a time (the key moves: a new place closes the old). */
export const TEXT_WORLD_FUNCTIONAL = new Set(['opens off', 'lies in', 'is']);

/** What an observation of the text world tells, read off its words (as any reader of it could). */
export function revealsOf(w: TextWorld, observation: string): Reveals {
  const r: Reveals = {};
  const room = observation.match(/You are in the (\w+)\./)?.[1];
  if (room && room !== 'vault') {
    const after = observation.slice(observation.indexOf(`You are in the ${room}.`) + room.length + 16);
    if (/\bthe vault\b/.test(after)) r.vault = room;
    if (/You see an? \w+ key/.test(after)) r.keyAt = room;
    else r.keyNotAt = room;
    if (/a note\b/.test(observation)) r.note = room;
  }
  const cursed =
    observation.match(/carved with a (\w+) is cursed/)?.[1] ??
    observation.match(/The (\w+) chest opens and a curse/)?.[1];
  if (cursed) r.cursed = cursed;
  const safe = observation.match(/The (\w+) chest opens: you find the treasure/)?.[1];
  if (safe) r.cursed = w.chests.find((c) => c !== safe);
  return r;
}

/** The insights reflection draws from such texts, one per thing known. */
export function textWorldInsights(w: TextWorld, r: Reveals): string[] {
  const out: string[] = [];
  if (r.vault) out.push(`The vault opens off the ${r.vault}.`);
  if (r.keyAt) out.push(`The ${w.keyColour} key was in the ${r.keyAt}.`);
  if (r.note) out.push(`The note lies in the ${r.note}.`);
  if (r.cursed)
    out.push(`The ${w.chests.find((c) => c !== r.cursed)} chest is safe; the ${r.cursed} chest is cursed.`);
  return out;
}

/** What the prompt's texts tell together, the newest first: where the key is, unless seen gone since. */
export function knownFrom(recalled: readonly Recalled[]): Reveals {
  const k: Reveals = {};
  const gone = new Set<string>();
  for (const { reveals: r } of recalled) {
    for (const key of ['vault', 'note', 'cursed'] as const) if (r[key] && !k[key]) k[key] = r[key];
    if (r.keyNotAt) gone.add(r.keyNotAt);
    if (r.keyAt && !k.keyAt && !gone.has(r.keyAt)) k.keyAt = r.keyAt;
  }
  return k;
}

/**
 * The best action for one who knows `k` (and what this episode has shown: `seen`, `carrying`, the note
 * read): the note when it is here and the curse unknown, the key, the vault, the safe chest; where the
 * way is unknown, the first room not seen this episode; in the vault knowing nothing, the first chest.
 */
export function bestAction(
  w: TextWorld,
  k: Reveals,
  state: {
    room: string;
    seen: readonly string[];
    carrying: boolean;
    noteRead: boolean;
    actions: readonly string[];
  },
): string {
  const { room, seen, carrying, actions } = state;
  const has = (a: string) => actions.includes(a);
  if (room === 'vault') {
    const safe = k.cursed ? w.chests.find((c) => c !== k.cursed)! : w.chests[0];
    return `open the ${safe} chest`;
  }
  if (!k.cursed && has('read the note')) return 'read the note';
  if (has(`take the ${w.keyColour} key`)) return `take the ${w.keyColour} key`;
  const go = (to: string | undefined) =>
    to && to !== room && has(`go to the ${to}`) ? `go to the ${to}` : null;
  const explore = () =>
    actions.find(
      (a) => a.startsWith('go to the ') && a !== 'go to the vault' && !seen.includes(a.slice(10)),
    ) ?? actions.find((a) => a.startsWith('go to the ') && a !== 'go to the vault')!;
  if (!carrying) return go(k.keyAt && !seen.includes(k.keyAt) ? k.keyAt : undefined) ?? explore();
  if (!k.cursed && !state.noteRead && k.note && !seen.includes(k.note)) return go(k.note) ?? explore();
  if (room === k.vault || has('go to the vault')) return 'go to the vault';
  return go(k.vault) ?? explore();
}

const RECENT = 2;
const MEMORIES = 4;

/** How an agent's memory holds the past: nothing, every observation, one per room, insights, triples. */
type Style = 'none' | 'stream' | 'written' | 'insights' | 'graph';
const STYLES: Style[] = ['none', 'stream', 'written', 'insights', 'graph'];

/** The observation of `room` at the start of an episode, as the world shows it. */
const observed = (w: TextWorld, room: string, episode: number): string =>
  w.describe(room, { key: w.keyRoomIn(episode) === room, note: w.noteRoom === room, unlocked: false });

/** What earlier episodes left in memory, in the style's form, oldest first. */
function pastMemories(g: Generator, w: TextWorld, episode: number, style: Style): Recalled[] {
  if (style === 'none') return [];
  const seen: Recalled[] = [];
  for (let ep = Math.max(0, episode - 4); ep < episode; ep++) {
    const rooms = shuffled(g, w.rooms).slice(0, 1 + g.randint(w.rooms.length));
    rooms.forEach((room, i) => {
      const text = observed(w, room, ep);
      seen.push({ text, reveals: revealsOf(w, text), at: [ep, i] });
    });
    if (g.random() < 0.4) {
      const text = w.noteText();
      seen.push({ text, reveals: revealsOf(w, text), at: [ep, rooms.length] });
    }
    if (g.random() < 0.3) {
      const text = w.describe('vault', { key: false, note: false, unlocked: true });
      seen.push({ text, reveals: {}, at: [ep, rooms.length] });
    }
    if (g.random() < 0.3) {
      const c = choice(g, w.chests);
      const text =
        c === w.cursed
          ? `The ${c} chest opens and a curse falls on you. The episode is over.`
          : `The ${c} chest opens: you find the treasure!`;
      seen.push({ text, reveals: revealsOf(w, text), at: [ep, rooms.length + 1] });
    }
  }
  return reshape(w, seen, style);
}

/** Memories in a style: every text (stream), the newest per room (written), insights or triples. */
function reshape(w: TextWorld, seen: readonly Recalled[], style: Style): Recalled[] {
  if (style === 'stream') return [...seen];
  if (style === 'written') {
    const byRoom = new Map<string, Recalled>();
    for (const m of seen) byRoom.set(m.text.match(/^You are in the (\w+)/)?.[1] ?? m.text, m);
    return [...byRoom.values()];
  }
  const out: Recalled[] = [];
  for (const m of seen) {
    const texts =
      style === 'insights'
        ? textWorldInsights(w, m.reveals)
        : textWorldTriples(w, m.reveals).map(formatTriple);
    const parts = splitReveals(m.reveals);
    for (const [i, text] of texts.entries()) out.push({ text, reveals: parts[i], at: m.at });
  }
  // Insights and triples say nothing of rooms without the key; keep the newest of each text.
  const newest = new Map<string, Recalled>();
  for (const m of out) newest.set(m.text, m);
  return [...newest.values()];
}

/** One Reveals per line told, in the order textWorldTriples lists them (insights take the first of the curse's two). */
function splitReveals(r: Reveals): Reveals[] {
  const out: Reveals[] = [];
  if (r.vault) out.push({ vault: r.vault });
  if (r.keyAt) out.push({ keyAt: r.keyAt });
  if (r.note) out.push({ note: r.note });
  if (r.cursed) out.push({ cursed: r.cursed }, { cursed: r.cursed });
  return out;
}

const newestFirst = (xs: readonly Recalled[]) =>
  [...xs].sort((a, b) => b.at[0] - a.at[0] || b.at[1] - a.at[1]);

/** Up to MEMORIES memories as READ might return them: mostly telling ones, shown newest first. */
function recallSome(g: Generator, pool: readonly Recalled[]): Recalled[] {
  const telling = pool.filter((m) => Object.keys(m.reveals).some((k) => k !== 'keyNotAt'));
  const rest = pool.filter((m) => !telling.includes(m));
  const n = g.randint(MEMORIES + 1);
  const picked = [...shuffled(g, telling), ...shuffled(g, rest)].slice(0, n);
  return newestFirst(shuffled(g, picked).slice(0, n));
}

interface Step {
  prompt: string;
  best: string;
  history: string[];
  actions: string[];
  next: string;
  taken: string;
  known: Reveals;
}

/** One episode played by the best policy (sometimes a random action, to visit other states), each step kept. */
function episodeSteps(g: Generator, w: TextWorld, episode: number, style: Style): Step[] {
  const past = pastMemories(g, w, episode, style);
  let observation = w.reset(episode).replace(/^Episode \d+\. Find the treasure in the vault\. /, '');
  const seen: string[] = [w.rooms[0]];
  const recent: string[] = [];
  const mine: Recalled[] = [];
  let room = w.rooms[0];
  let carrying = false;
  let noteRead = false;
  const steps: Step[] = [];
  for (let t = 0; t < 16 && !w.done; t++) {
    const here = {
      text: observation,
      reveals: revealsOf(w, observation),
      at: [episode, t] as [number, number],
    };
    const recalled = style === 'none' ? [] : recallSome(g, [...past, ...reshape(w, mine, style)]);
    const ownRecent = recent
      .slice(-RECENT)
      .map((text, i) => ({ text, reveals: revealsOf(w, text), at: [episode, 100 + i] as [number, number] }));
    const known = knownFrom(newestFirst([here, ...ownRecent, ...recalled]));
    const actions = w.actions();
    const best = bestAction(w, known, { room, seen, carrying, noteRead, actions });
    const prompt = actRequest({
      memories: recalled.map((m) => m.text),
      unseen: w.rooms.filter((r) => !seen.includes(r)),
      recent: recent.slice(-RECENT),
      carrying: carrying ? [`the ${w.keyColour} key`] : [],
      observation,
      actions,
    });
    // Now and then another action, or one that is not possible here, so the data holds such states too.
    const u = g.random();
    const taken =
      u < 0.12
        ? choice(g, actions)
        : u < 0.17
          ? choice(g, [`go to the ${room}`, 'look', 'open the door'])
          : best;
    const history = [...recalled.map((m) => m.text), ...recent.slice(-RECENT), observation];
    const r = w.act(taken);
    steps.push({ prompt, best, history, actions, next: r.observation, taken, known });
    mine.push(here);
    recent.push(observation);
    observation = r.observation;
    room = observation.match(/You are in the (\w+)\./)?.[1] ?? room;
    if (room !== 'vault' && !seen.includes(room)) seen.push(room);
    if (taken.startsWith('take the')) carrying = true;
    if (taken === 'read the note') noteRead = true;
  }
  return steps;
}

/** How good a state is, 0 to 10, as the value questions are answered. */
function stateValue(observation: string, known: Reveals, inVault: boolean): number {
  if (/curse falls/.test(observation)) return 0;
  if (/find the treasure/.test(observation)) return 10;
  return inVault && known.cursed ? 8 : 5;
}

/** Importance as the world rates it: the curse and the treasure most, then what tells where things are. */
export function textWorldImportance(r: Reveals, text: string): number {
  if (/curse falls|find the treasure/.test(text)) return 10;
  if (r.cursed) return 8;
  if (r.keyAt) return 6;
  if (r.vault || r.note) return 5;
  return 2;
}

const PERSON_IMPORTANCE: Record<string, number> = {
  born_in: 4,
  lives_in: 6,
  profession: 5,
  hobby: 3,
  has_pet: 3,
  friend_of: 4,
  sibling_of: 6,
  works_with: 4,
  located_in: 2,
  capital_of: 3,
  speaks: 2,
};

const user = (content: string, reply: string): Conversation => ({
  messages: [
    { role: 'user', content },
    { role: 'assistant', content: reply },
  ],
});

export interface MemoryChatOptions {
  /** How many chats (default 12000). */
  count?: number;
  seed?: number;
}

/**
 * Chats for every memory decision, for acting in the text world and predicting it, and for reading tool
 * results wrapped with provenance; a tenth are agentConversations' tool chats, so tool use stays.
 */
export function memoryConversations(world: World, options: MemoryChatOptions = {}): Conversation[] {
  const { count = 12000, seed = 0 } = options;
  const g = new Generator(seed);
  const chats: Conversation[] = agentConversations(world, { count: Math.round(count * 0.1), seed: seed + 5 });
  const cases = requestCases(world, 'train').filter((c) => c.kind === 'answered');
  const sentence = (f: (typeof world.facts)[number]) => renderFact(f, choice(g, FACT_TEMPLATES[f.relation]));
  const worlds = () =>
    new TextWorld(g.randint(1e6), {
      layout: 'open',
      rooms: 4 + g.randint(3),
      keyMovesEvery: 1 + g.randint(3),
    });
  const ids = (n: number) => {
    const out = new Set<number>();
    while (out.size < n) out.add(1 + g.randint(300));
    return [...out];
  };
  while (chats.length < count) {
    const u = g.random();
    if (u < 0.42) {
      // Acting, predicting and valuing in the text world, from steps of one episode.
      const w = worlds();
      const steps = episodeSteps(g, w, g.randint(8), choice(g, STYLES));
      for (const s of shuffled(g, steps).slice(0, 3)) chats.push(user(s.prompt, s.best));
      const s = choice(g, steps);
      if (g.random() < 0.6) chats.push(user(predictRequest(s.history, s.taken), s.next));
      else {
        const inVault = s.next.includes('Two chests');
        chats.push(
          user(valueRequest([...s.history, s.taken, s.next]), String(stateValue(s.next, s.known, inVault))),
        );
      }
      continue;
    }
    if (u < 0.55) {
      chats.push(writeChat(g, worlds(), world, ids, sentence));
      continue;
    }
    if (u < 0.62) {
      if (g.random() < 0.6) {
        const w = worlds();
        const m = choice(g, pastMemories(g, w, 1 + g.randint(4), 'stream'));
        if (m) chats.push(user(importanceRequest(m.text), String(textWorldImportance(m.reveals, m.text))));
      } else {
        const f = choice(g, world.facts);
        chats.push(user(importanceRequest(sentence(f)), String(PERSON_IMPORTANCE[f.relation])));
      }
      continue;
    }
    if (u < 0.71) {
      if (g.random() < 0.6) {
        const w = worlds();
        const m = choice(g, pastMemories(g, w, 1 + g.randint(4), 'stream'));
        if (m)
          chats.push(
            user(
              triplesRequest(m.text),
              textWorldTriples(w, m.reveals).map(formatTriple).join('\n') || 'NONE',
            ),
          );
      } else {
        const f = choice(g, world.facts);
        const t = { subject: f.subject, relation: f.relation.replace('_', ' '), object: f.object };
        chats.push(user(triplesRequest(sentence(f)), formatTriple(t)));
      }
      continue;
    }
    if (u < 0.86) {
      chats.push(reflectionChat(g, worlds(), ids));
      continue;
    }
    chats.push(provenanceChat(g, choice(g, cases)));
  }
  return shuffled(g, chats).slice(0, count);
}

/** WRITE: a new text against similar memories; the same text is NOOP, a room seen again is UPDATE. */
function writeChat(
  g: Generator,
  w: TextWorld,
  world: World,
  ids: (n: number) => number[],
  sentence: (f: World['facts'][number]) => string,
): Conversation {
  if (g.random() < 0.35) {
    // A person's fact: the same (NOOP), changed (UPDATE), no longer true (DELETE), or new (ADD).
    const f = choice(
      g,
      world.facts.filter((x) => x.relation === 'lives_in' || x.relation === 'profession'),
    );
    const others = shuffled(
      g,
      world.facts.filter((x) => x.subject !== f.subject),
    ).slice(0, g.randint(3));
    const n = ids(others.length + 1);
    const lines: MemoryLine[] = others.map((o, i) => ({ id: n[i], text: sentence(o) }));
    const kind = g.randint(4);
    const old =
      f.relation === 'lives_in'
        ? `${f.subject} lives in ${f.object}.`
        : `${f.subject} works as a ${f.object}.`;
    const other = choice(
      g,
      world.facts.filter((x) => x.relation === f.relation && x.object !== f.object),
    ).object;
    const changed =
      f.relation === 'lives_in' ? `${f.subject} lives in ${other}.` : `${f.subject} works as a ${other}.`;
    const ended =
      f.relation === 'lives_in'
        ? `${f.subject} no longer lives in ${f.object}.`
        : `${f.subject} no longer works as a ${f.object}.`;
    const id = n[others.length];
    let fact = changed;
    let d: WriteDecision = { op: 'ADD' };
    if (kind === 0) [fact, d] = [old, { op: 'NOOP' }];
    else if (kind === 1) d = { op: 'UPDATE', id, text: changed };
    else if (kind === 2) [fact, d] = [ended, { op: 'DELETE', id }];
    if (kind < 3) lines.splice(g.randint(lines.length + 1), 0, { id, text: old });
    return user(writeRequest(fact, lines), formatWriteDecision(d));
  }
  const pool = pastMemories(g, w, 2 + g.randint(4), 'written');
  const fresh = pastMemories(g, w, 6, 'stream').at(-1) ?? pool[0];
  const roomOf = (t: string) => t.match(/^You are in the (\w+)/)?.[1] ?? t;
  const similar = shuffled(g, pool).slice(0, g.randint(4));
  const n = ids(similar.length);
  const lines = similar.map((m, i) => ({ id: n[i], text: m.text }));
  if (lines.length && g.random() < 0.25) lines[g.randint(lines.length)].text = fresh.text;
  const same = lines.find((l) => l.text === fresh.text);
  const room = lines.find((l) => roomOf(l.text) === roomOf(fresh.text) && l.text.startsWith('You are in'));
  const d: WriteDecision = same
    ? { op: 'NOOP' }
    : room
      ? { op: 'UPDATE', id: room.id, text: fresh.text }
      : { op: 'ADD' };
  return user(writeRequest(fresh.text, lines), formatWriteDecision(d));
}

/** REFLECTION: the questions recent memories answer, or the insights a question's evidence gives. */
function reflectionChat(g: Generator, w: TextWorld, ids: (n: number) => number[]): Conversation {
  const memories = shuffled(g, pastMemories(g, w, 1 + g.randint(4), 'written')).slice(0, 2 + g.randint(5));
  const n = ids(memories.length);
  const lines = memories.map((m, i) => ({ id: n[i], text: m.text }));
  const QUESTIONS: [keyof Reveals, string][] = [
    ['vault', 'Where does the vault open?'],
    ['keyAt', `Where is the ${w.keyColour} key?`],
    ['cursed', 'Which chest is cursed?'],
    ['note', 'Where is the note?'],
  ];
  const answerable = QUESTIONS.filter(([k]) => memories.some((m) => m.reveals[k]));
  if (g.random() < 0.4) {
    return user(questionsRequest(lines, 3), answerable.map(([, q]) => q).join('\n') || 'NONE');
  }
  const [key, question] = answerable.length ? choice(g, answerable) : choice(g, QUESTIONS);
  // The newest memory that tells it, as insights cite their evidence.
  const i = memories
    .map((m, j) => [m, j] as const)
    .filter(([m]) => m.reveals[key])
    .sort((a, b) => b[0].at[0] - a[0].at[0] || b[0].at[1] - a[0].at[1])[0]?.[1];
  if (i === undefined) return user(insightsRequest(question, lines), 'NONE');
  const [insight] = textWorldInsights(w, { [key]: memories[i].reveals[key] });
  return user(insightsRequest(question, lines), formatInsight(insight, [n[i]]));
}

/** A lookup whose result comes wrapped with provenance, sometimes flagged; the reply is the data's fact. */
function provenanceChat(g: Generator, c: ReturnType<typeof requestCases>[number]): Conversation {
  const { subject, relation, object } = c.fact;
  const id = `call_${g.randint(1e9)}`;
  const injected = g.random() < 0.5 ? choice(g, INJECTIONS) : null;
  const flagged = injected !== null && g.random() < 0.5;
  const result = {
    tool: 'lookup',
    arguments: { subject, relation },
    at: new Date(Date.UTC(2026, 0, 1) + g.randint(365 * 24) * 3_600_000).toISOString(),
    data: injected && flagged ? `${object}. ${injected}` : object,
    flags: injected ? ['reads as instructions'] : [],
    ...(injected && !flagged ? { withheld: 1 } : {}),
  };
  const messages: Message[] = [];
  toolTurn(messages, c, id, JSON.stringify(result));
  return { messages, tools: [LOOKUP_TOOL] };
}
