// Instruction data from the built-in world: chats in OpenAI's fine-tuning format, so a model trained
// here can be fine-tuned into one that answers (jielong train --sft world, then jielong chat). Questions
// use the request phrasings of the refusal study: public facts are answered with the fact's sentence,
// private ones declined; some chats offer a `lookup` tool, and there the assistant calls it first and
// answers from its result, which teaches the chat template's tool-call format.
import type { Conversation, Message, ToolSpec } from '../chat/messages.js';
import { Generator } from '../tensor/index.js';
import { RELATIONS } from './facts.js';
import { choice } from './random.js';
import { type RequestCase, type RequestSplit, requestCases } from './requests.js';
import type { World } from './world.js';

export const LOOKUP_TOOL: ToolSpec = {
  type: 'function',
  function: {
    name: 'lookup',
    description: 'Look up a fact about a person or place',
    parameters: {
      type: 'object',
      properties: {
        subject: { type: 'string' },
        relation: { type: 'string', enum: Object.keys(RELATIONS) },
      },
      required: ['subject', 'relation'],
    },
  },
};

/** The calculator's manual, as the arithmetic chats offer it (and jielong agent's calculator has it). */
export const CALCULATOR_TOOL: ToolSpec = {
  type: 'function',
  function: {
    name: 'calculator',
    description: 'Evaluate an arithmetic expression (+ - * / ^ %, parentheses)',
    parameters: { type: 'object', properties: { expression: { type: 'string' } }, required: ['expression'] },
  },
};

const ARITHMETIC_QUESTIONS = ['What is {e}?', 'Compute {e}.', 'How much is {e}?'];

const SYSTEM_PROMPTS = [
  'You are a helpful assistant.',
  'Answer in one sentence.',
  'You know the people of this world.',
];

export interface ConversationOptions {
  /** How many chats (default 4000). */
  count?: number;
  seed?: number;
  /** Whose questions: the people and phrasings the corpus trains on, or the held-out ones (default train). */
  split?: RequestSplit;
  /** Share of chats that offer the lookup tool (default 0.25). */
  toolShare?: number;
  /**
   * Share of chats that ask for arithmetic too hard to do in one's head and offer the calculator (default
   * 0: off, and then the chats are exactly those of earlier versions, so a seeded recipe still holds).
   */
  arithmeticShare?: number;
}

/** Chats of one to three questions each, seeded. */
export function worldConversations(world: World, options: ConversationOptions = {}): Conversation[] {
  const { count = 4000, seed = 0, split = 'train', toolShare = 0.25, arithmeticShare = 0 } = options;
  const g = new Generator(seed);
  const cases = requestCases(world, split);
  const answered = cases.filter((c) => c.kind === 'answered');
  if (answered.length === 0) throw new Error('worldConversations: the world has no questions to ask');
  return Array.from({ length: count }, (): Conversation => {
    const messages: Message[] = [];
    if (g.random() < 0.3) messages.push({ role: 'system', content: choice(g, SYSTEM_PROMPTS) });
    if (arithmeticShare > 0 && g.random() < arithmeticShare) {
      arithmeticTurn(messages, g, `call_${g.randint(1e9)}`);
      return { messages, tools: [CALCULATOR_TOOL] };
    }
    if (g.random() < toolShare) {
      toolTurn(messages, choice(g, answered), `call_${g.randint(1e9)}`);
      return { messages, tools: [LOOKUP_TOOL] };
    }
    const turns = 1 + g.randint(3);
    for (let t = 0; t < turns; t++) {
      const c = choice(g, cases);
      messages.push({ role: 'user', content: c.question }, { role: 'assistant', content: c.reply.trim() });
    }
    return { messages };
  });
}

/** A product, sum or difference of numbers of two to four digits, calculated by the tool. */
function arithmeticTurn(messages: Message[], g: Generator, id: string): void {
  const n = () => 10 + g.randint(9990);
  const op = choice(g, ['+', '-', '*']);
  const [a, b] = [n(), n()];
  const expression = `${a} ${op} ${b}`;
  const value = op === '+' ? a + b : op === '-' ? a - b : a * b;
  messages.push(
    { role: 'user', content: choice(g, ARITHMETIC_QUESTIONS).replace('{e}', expression) },
    {
      role: 'assistant',
      content: null,
      tool_calls: [
        { id, type: 'function', function: { name: 'calculator', arguments: JSON.stringify({ expression }) } },
      ],
    },
    { role: 'tool', content: String(value), tool_call_id: id },
    { role: 'assistant', content: `${expression} is ${value}.` },
  );
}

/** The question, the lookup call, the tool's result (by default the plain object), the reply. */
export function toolTurn(messages: Message[], c: RequestCase, id: string, result = c.fact.object): void {
  const { subject, relation } = c.fact;
  messages.push(
    { role: 'user', content: c.question },
    {
      role: 'assistant',
      content: null,
      tool_calls: [
        {
          id,
          type: 'function',
          function: { name: 'lookup', arguments: JSON.stringify({ subject, relation }) },
        },
      ],
    },
    { role: 'tool', content: result, tool_call_id: id },
    { role: 'assistant', content: c.reply.trim() },
  );
}
