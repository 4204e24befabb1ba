// Tasks a small model cannot do from its weights and a tool can: arithmetic too long to do in one's head,
// facts about people its training never mentioned, and today's date. Each task knows its answer, so an
// agent can be scored on it with and without tools; the same tasks, solved, are the chats that teach a
// model to call the tools (agentConversations). Distractor tools (many plausible manuals that do not
// fit) make choosing among tools part of what is learned and measured.
import type { Conversation, Message, ToolSpec } from '../chat/messages.js';
import { Generator } from '../tensor/index.js';
import { CALCULATOR_TOOL, LOOKUP_TOOL } from './conversations.js';
import { FEMALE_FIRST_NAMES, LAST_NAMES, MALE_FIRST_NAMES } from './corpus/names.js';
import { CITY_NAMES } from './corpus/places.js';
import { HOBBIES, PROFESSIONS } from './corpus/traits.js';
import type { Fact, Relation } from './facts.js';
import { choice, shuffled } from './random.js';
import { peopleOf, REQUEST_TEMPLATES, type RequestSplit } from './requests.js';
import { roadMap, roadTripConversations } from './roads.js';
import { FACT_TEMPLATES, fill, renderFact } from './templates.js';
import type { World } from './world.js';

export const CLOCK_TOOL: ToolSpec = {
  type: 'function',
  function: {
    name: 'clock',
    description: 'The current date, day of the week and time (UTC)',
    parameters: { type: 'object', properties: {} },
  },
};

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** What the clock tool says: "Friday 2026-12-04 22:30 UTC". */
export function formatClock(d: Date): string {
  return `${WEEKDAYS[d.getUTCDay()]} ${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 16)} UTC`;
}

export type ToolTaskKind = 'arithmetic' | 'lookup' | 'date';

/** The tool each kind of task needs. */
export const TASK_TOOLS: Readonly<Record<ToolTaskKind, ToolSpec>> = {
  arithmetic: CALCULATOR_TOOL,
  lookup: LOOKUP_TOOL,
  date: CLOCK_TOOL,
};

export interface ToolTask {
  kind: ToolTaskKind;
  question: string;
  /** The text a right reply contains. */
  answer: string;
  /** The call that solves it and what the tool says back. */
  call: { name: string; arguments: Record<string, string> };
  result: string;
  /** The reply after the tool's result. */
  reply: string;
  /**
   * The reply without tools, as the chats without tools teach it: the fact (trained people), the sum
   * worked out (which a small model cannot learn, and so guesses), a shrug at the date.
   */
  unaided: string;
  /** For date tasks, the moment the clock reads (ISO 8601). */
  now?: string;
}

const LOOKUP_RELATIONS: Relation[] = ['born_in', 'profession', 'hobby'];
const ARITHMETIC_QUESTIONS = ['What is {e}?', 'Compute {e}.', 'How much is {e}?'];
const DATE_QUESTIONS: { question: string; reply: (d: Date) => string; answer: (d: Date) => string }[] = [
  {
    question: 'What is the date today?',
    reply: (d) => `Today is ${d.toISOString().slice(0, 10)}.`,
    answer: (d) => d.toISOString().slice(0, 10),
  },
  {
    question: 'What day of the week is it?',
    reply: (d) => `Today is ${WEEKDAYS[d.getUTCDay()]}.`,
    answer: (d) => WEEKDAYS[d.getUTCDay()],
  },
  {
    question: 'What year is it?',
    reply: (d) => `It is ${d.getUTCFullYear()}.`,
    answer: (d) => String(d.getUTCFullYear()),
  },
];
const NO_CLOCK = 'I do not know what day it is.';

/**
 * Requests each task tool serves, in the phrasings its tasks are asked in: the examples of its manual,
 * by which a tool registry finds it ("Compute 12 + 7." shares no word with "Evaluate an arithmetic
 * expression").
 */
export function toolExamples(): Record<string, string[]> {
  return {
    calculator: ARITHMETIC_QUESTIONS.map((q) => fill(q, { e: '12 * 7' })),
    lookup: LOOKUP_RELATIONS.flatMap((r) =>
      REQUEST_TEMPLATES.answered[r]!.map((q) => fill(q, { s: 'Ada Lin' })),
    ),
    clock: DATE_QUESTIONS.map((q) => q.question),
  };
}

function arithmeticTask(g: Generator): ToolTask {
  const n = () => 10 + g.randint(9990);
  const op = choice(g, ['+', '-', '*']);
  const [a, b] = [n(), n()];
  const expression = `${a} ${op} ${b}`;
  const value = String(op === '+' ? a + b : op === '-' ? a - b : a * b);
  const reply = `${expression} is ${value}.`;
  return {
    kind: 'arithmetic',
    question: fill(choice(g, ARITHMETIC_QUESTIONS), { e: expression }),
    answer: value,
    call: { name: 'calculator', arguments: { expression } },
    result: value,
    reply,
    unaided: reply,
  };
}

function lookupTask(g: Generator, fact: Fact): ToolTask {
  const reply = renderFact(fact, FACT_TEMPLATES[fact.relation][0]);
  const phrasings = REQUEST_TEMPLATES.answered[fact.relation]!.slice(0, -1);
  return {
    kind: 'lookup',
    question: fill(choice(g, phrasings), { s: fact.subject }),
    answer: fact.object,
    call: { name: 'lookup', arguments: { subject: fact.subject, relation: fact.relation } },
    result: fact.object,
    reply,
    unaided: reply,
  };
}

function dateTask(g: Generator): ToolTask {
  // A minute of 2000 to late 2039 (40 years of 365 days).
  const d = new Date(Date.UTC(2000, 0, 1) + g.randint(40 * 365 * 24 * 60) * 60_000);
  const q = choice(g, DATE_QUESTIONS);
  return {
    kind: 'date',
    question: q.question,
    answer: q.answer(d),
    call: { name: 'clock', arguments: {} },
    result: formatClock(d),
    reply: q.reply(d),
    unaided: NO_CLOCK,
    now: d.toISOString(),
  };
}

/** Someone the world does not have, with facts drawn from its lists: only a tool can know them. */
function strangerFact(g: Generator, world: World): Fact {
  const names = new Set(world.people.map((p) => p.name));
  for (;;) {
    const first = choice(g, g.random() < 0.5 ? FEMALE_FIRST_NAMES : MALE_FIRST_NAMES);
    const name = `${first} ${choice(g, LAST_NAMES)}`;
    if (names.has(name)) continue;
    const relation = choice(g, LOOKUP_RELATIONS);
    const object =
      relation === 'born_in'
        ? choice(g, CITY_NAMES)
        : relation === 'profession'
          ? choice(g, PROFESSIONS).name
          : choice(g, HOBBIES);
    return { subject: name, relation, object };
  }
}

export interface ToolTaskOptions {
  /** Whose facts the lookups ask: the world's trained people ('train') or those kept out ('held-out'). */
  split?: RequestSplit;
  /** Tasks of each kind (default 30). */
  perKind?: number;
  seed?: number;
}

/** Tasks of every kind with their answers, seeded; the held-out split's lookups are about unseen people. */
export function toolTasks(world: World, options: ToolTaskOptions = {}): ToolTask[] {
  const { split = 'held-out', perKind = 30, seed = 1 } = options;
  const g = new Generator(seed);
  const people = peopleOf(world, split);
  const facts = world.facts.filter((f) => people.has(f.subject) && LOOKUP_RELATIONS.includes(f.relation));
  return [
    ...Array.from({ length: perKind }, () => arithmeticTask(g)),
    ...Array.from({ length: perKind }, () => lookupTask(g, choice(g, facts))),
    ...Array.from({ length: perKind }, () => dateTask(g)),
  ];
}

const VERBS = ['get', 'send', 'create', 'delete', 'list', 'update', 'search', 'convert', 'translate', 'book'];
const OBJECTS: [noun: string, words: string, parameter: string][] = [
  ['weather', 'the weather forecast for a city', 'city'],
  ['email', 'an email message', 'address'],
  ['calendar_event', 'an event in the calendar', 'title'],
  ['playlist', 'a music playlist', 'name'],
  ['invoice', 'a customer invoice', 'number'],
  ['ticket', 'a support ticket', 'id'],
  ['flight', 'a plane flight', 'code'],
  ['hotel', 'a hotel room', 'hotel'],
  ['reminder', 'a reminder note', 'text'],
  ['photo', 'a photo in the album', 'file'],
  ['contact', 'a contact in the address book', 'name'],
  ['order', 'a shop order', 'number'],
  ['recipe', 'a cooking recipe', 'dish'],
  ['stock_price', 'the price of a company share', 'symbol'],
  ['currency', 'an amount of money in a currency', 'amount'],
  ['news', 'the news headlines on a topic', 'topic'],
  ['song', 'a song by its title', 'title'],
  ['document', 'a text document', 'path'],
  ['meeting', 'a meeting with colleagues', 'topic'],
  ['package', 'a parcel delivery', 'tracking'],
  ['password', 'an account password', 'account'],
];

/**
 * `count` plausible tools that fit none of the tasks ("book_flight: Book a plane flight"), in a seeded
 * order; at most VERBS x OBJECTS (210) exist.
 */
export function distractorTools(count: number, seed = 0): ToolSpec[] {
  const all: ToolSpec[] = [];
  for (const verb of VERBS)
    for (const [noun, words, parameter] of OBJECTS)
      all.push({
        type: 'function',
        function: {
          name: `${verb}_${noun}`,
          description: `${verb[0].toUpperCase()}${verb.slice(1)} ${words}`,
          parameters: {
            type: 'object',
            properties: { [parameter]: { type: 'string' } },
            required: [parameter],
          },
        },
      });
  if (count > all.length) throw new Error(`distractorTools: at most ${all.length}, asked for ${count}`);
  return shuffled(new Generator(seed), all).slice(0, count);
}

/** The chat that solves `task`: the question, the call, the tool's result, the reply. */
export function taskChat(task: ToolTask, id: string): Message[] {
  return [
    { role: 'user', content: task.question },
    {
      role: 'assistant',
      content: null,
      tool_calls: [
        {
          id,
          type: 'function',
          function: { name: task.call.name, arguments: JSON.stringify(task.call.arguments) },
        },
      ],
    },
    { role: 'tool', content: task.result, tool_call_id: id },
    { role: 'assistant', content: task.reply },
  ];
}

export interface AgentConversationOptions {
  /** How many chats (default 8000). */
  count?: number;
  seed?: number;
  /** Share of road-trip chats, which teach planning (default 0.35). */
  roadShare?: number;
  /** Most tools offered in a chat (default 5, as retrieval shows): the right one, others, distractors. */
  maxTools?: number;
}

/**
 * The chats that make a tool-using agent of a small model: tasks solved by calling the right tool among
 * up to five offered (the other task tools and distractors beside it); a fifth of them answered without
 * tools (see ToolTask.unaided); and road trips that plan and re-plan. Lookups name the world's trained
 * people and strangers, never its held-out people, whom toolTasks(world, { split: 'held-out' }) asks
 * about.
 */
export function agentConversations(world: World, options: AgentConversationOptions = {}): Conversation[] {
  const { count = 8000, seed = 0, roadShare = 0.35, maxTools = 5 } = options;
  const g = new Generator(seed);
  const roads = roadTripConversations(roadMap(world), Math.round(count * roadShare), seed + 1);
  const trained = peopleOf(world, 'train');
  const known = world.facts.filter((f) => LOOKUP_RELATIONS.includes(f.relation) && trained.has(f.subject));
  const distractors = distractorTools(210, seed + 3);
  const chats: Conversation[] = [...roads];
  while (chats.length < count) {
    const kind = choice(g, ['arithmetic', 'lookup', 'date'] as const);
    const task =
      kind === 'arithmetic'
        ? arithmeticTask(g)
        : kind === 'date'
          ? dateTask(g)
          : lookupTask(g, g.random() < 0.5 ? choice(g, known) : strangerFact(g, world));
    const stranger = kind === 'lookup' && !trained.has(task.call.arguments.subject);
    if (g.random() < 0.2 && !stranger) {
      chats.push({
        messages: [
          { role: 'user', content: task.question },
          { role: 'assistant', content: task.unaided },
        ],
      });
      continue;
    }
    // The right tool, each other task tool half the time, then distractors, five tools at most.
    const others = Object.values(TASK_TOOLS).filter((t) => t !== TASK_TOOLS[kind] && g.random() < 0.5);
    const room = maxTools - 1 - others.length;
    const offered = [TASK_TOOLS[kind], ...others, ...shuffled(g, distractors).slice(0, g.randint(room + 1))];
    chats.push({ messages: taskChat(task, `call_${g.randint(1e9)}`), tools: shuffled(g, offered) });
  }
  return shuffled(g, chats);
}
