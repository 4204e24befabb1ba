// The chat layer against answers known in advance: the template's exact text, which tokens SFT trains,
// tool calls read back (and malformed ones refused), the world's conversations, a vocabulary grown for
// the template's special tokens without changing any logit of the old ones.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { evaluate } from '../../src/agent/index.js';
import {
  asChatModel,
  CHATML_TEMPLATE,
  ChatTemplate,
  CONVERSATION_SCHEMA,
  formatPlan,
  type Message,
  parsePlan,
  parseToolCalls,
  tokenizeConversation,
  withPlan,
} from '../../src/chat/index.js';
import {
  CALCULATOR_TOOL,
  ConversationSampler,
  generateWorld,
  LOOKUP_TOOL,
  REFUSAL,
  worldConversations,
} from '../../src/data/index.js';
import { LanguageModel, makeConfig } from '../../src/model/index.js';
import { Generator, IntTensor, noGrad } from '../../src/tensor/index.js';
import { CharTokenizer } from '../../src/tokenizer/index.js';

const template = new ChatTemplate(CHATML_TEMPLATE, { eos: '<|im_end|>' });
const tools = [LOOKUP_TOOL];
const call = {
  id: 'call_1',
  type: 'function' as const,
  function: { name: 'lookup', arguments: '{"subject":"Ada"}' },
};

describe('chat template', () => {
  test('ChatML, with the generation prompt', () => {
    const text = template.render([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
    ]);
    assert.equal(
      text,
      '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n',
    );
  });

  test('tools go in the system turn; calls and results in the template format', () => {
    const text = template.render(
      [
        { role: 'user', content: 'Where?' },
        { role: 'assistant', content: null, tool_calls: [call] },
        { role: 'tool', content: 'Rome', tool_call_id: 'call_1' },
      ],
      { tools, addGenerationPrompt: false },
    );
    assert.ok(
      text.startsWith('<|im_start|>system\nTools:\n{"name": "lookup", "description": "Look up a fact'),
    );
    assert.ok(
      text.includes(
        '<|im_start|>assistant\n<tool_call>{"name": "lookup", "arguments": {"subject":"Ada"}}</tool_call><|im_end|>\n',
      ),
    );
    assert.ok(text.endsWith('<|im_start|>tool\nRome<|im_end|>\n'));
  });

  test('a template that does not parse is named', () => {
    assert.throws(() => new ChatTemplate('{% for %}'), /chat template: cannot parse it/);
  });
});

describe('tool calls read from text', () => {
  const id = () => 'call_x';
  test('well-formed calls, with text around them', () => {
    const r = parseToolCalls(
      'Let me look.<tool_call>{"name": "lookup", "arguments": {"subject": "Ada"}}</tool_call>',
      tools,
      id,
    );
    assert.equal(r.content, 'Let me look.');
    assert.deepEqual(r.toolCalls, [
      { id: 'call_x', type: 'function', function: { name: 'lookup', arguments: '{"subject":"Ada"}' } },
    ]);
    assert.deepEqual(parseToolCalls('plain', tools, id), { content: 'plain', toolCalls: [] });
  });

  for (const [text, why] of [
    ['<tool_call>{"name": "lookup", "arguments": {"subject": </tool_call>', /not JSON/],
    ['<tool_call>{"name": "search", "arguments": {}}</tool_call>', /not an offered tool/],
    ['<tool_call>{"name": "lookup", "arguments": [1]}</tool_call>', /not an object/],
    ['<tool_call>{"name": "lookup", "arguments": {}}', /not closed/],
    ['<tool_call>[1]</tool_call>', /not an object/],
  ] as const) {
    test(`malformed: ${why.source} -> the text, no calls`, () => {
      const r = parseToolCalls(text, tools, id);
      assert.deepEqual([r.content, r.toolCalls], [text, []]);
      assert.match(r.malformed!, why);
    });
  }
});

describe('plans', () => {
  test('parsePlan reads arrows on one line, or numbered and bulleted lines', () => {
    assert.deepEqual(parsePlan('Ashford -> Brill -> Dunmore'), ['Ashford', 'Brill', 'Dunmore']);
    assert.deepEqual(parsePlan('1. look it up\n2) add -> subtract\n- answer\n\n'), [
      'look it up',
      'add -> subtract',
      'answer',
    ]);
    assert.deepEqual(parsePlan('  '), []);
    assert.equal(formatPlan(['a', 'b']), 'a -> b');
    assert.equal(withPlan('Be brief.', ['a', 'b']), 'Be brief.\n\nPlan: a -> b');
    assert.equal(withPlan(undefined, ['a']), 'Plan: a');
  });
});

describe('supervised fine-tuning data', () => {
  const tokenizer = CharTokenizer.fromText(
    'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ?.,:"{}[]_ \n',
    {
      specialTokens: ['<|im_start|>', '<|im_end|>', '<tool_call>', '</tool_call>'],
    },
  );

  test('only the assistant turns and their end-of-turn token are trained', () => {
    const messages: Message[] = [
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Yo' },
      { role: 'user', content: 'Bye' },
      { role: 'assistant', content: 'Ok' },
    ];
    const { ids, trained } = tokenizeConversation({ messages }, template, tokenizer);
    assert.deepEqual(ids, tokenizer.encode(template.render(messages, { addGenerationPrompt: false })));
    const trainedText = ids.filter((_, i) => trained[i]).map((id) => tokenizer.decode([id]));
    assert.deepEqual(trainedText.join(''), 'Yo<|im_end|>Ok<|im_end|>');
  });

  test('an assistant turn of weight 0 is context, not a target (OpenAI fine-tuning weight)', () => {
    const messages: Message[] = [
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Yo', weight: 0 },
      { role: 'user', content: 'Bye' },
      { role: 'assistant', content: 'Ok' },
    ];
    const { ids, trained } = tokenizeConversation({ messages }, template, tokenizer);
    const trainedText = ids.filter((_, i) => trained[i]).map((id) => tokenizer.decode([id]));
    assert.deepEqual(trainedText.join(''), 'Ok<|im_end|>');
    assert.equal(
      CONVERSATION_SCHEMA.safeParse({ messages: [{ role: 'assistant', content: 'x', weight: 2 }] }).success,
      false,
    );
  });

  test('a conversation without an assistant turn is an error', () => {
    assert.throws(
      () => tokenizeConversation({ messages: [{ role: 'user', content: 'Hi' }] }, template, tokenizer),
      /no assistant turn/,
    );
  });

  test('batches: targets only where the next token is trained, rows from the start of a chat', () => {
    const chat = tokenizeConversation(
      {
        messages: [
          { role: 'user', content: 'Hi' },
          { role: 'assistant', content: 'Yo' },
        ],
      },
      template,
      tokenizer,
    );
    const sampler = new ConversationSampler([chat], {
      blockSize: 64,
      batchSize: 2,
      generator: new Generator(0),
    });
    const { x, y } = sampler.next();
    const T = chat.ids.length - 1;
    assert.deepEqual(x.shape, [2, T]);
    assert.deepEqual([...x.data.slice(0, T)], chat.ids.slice(0, T));
    const expected = chat.ids.slice(1).map((id, t) => (chat.trained[t + 1] ? id : -100));
    assert.deepEqual([...y.data.slice(0, T)], expected);
    assert.throws(
      () => new ConversationSampler([chat], { blockSize: 3, batchSize: 1, generator: new Generator(0) }),
      /no assistant token within the first 4 tokens|none of the 1 conversations/,
    );
  });
});

describe('world conversations', () => {
  const world = generateWorld(1);
  const chats = worldConversations(world, { count: 300, seed: 2 });

  test('valid fine-tuning lines: questions answered or declined, some with a lookup call', () => {
    assert.equal(chats.length, 300);
    for (const c of chats) assert.ok(CONVERSATION_SCHEMA.safeParse(JSON.parse(JSON.stringify(c))).success);
    const replies = chats.flatMap((c) =>
      c.messages.filter((m) => m.role === 'assistant' && m.content).map((m) => m.content),
    );
    assert.ok(replies.includes(REFUSAL));
    const withTools = chats.filter((c) => c.tools);
    assert.ok(withTools.length > 30 && withTools.length < 120, `${withTools.length} tool chats`);
    for (const c of withTools) {
      const called = c.messages.find((m) => m.role === 'assistant' && m.tool_calls) as Extract<
        Message,
        { role: 'assistant' }
      >;
      const args = JSON.parse(called.tool_calls![0].function.arguments);
      const result = c.messages.find((m) => m.role === 'tool')!.content;
      assert.ok(
        world.facts.some(
          (f) => f.subject === args.subject && f.relation === args.relation && f.object === result,
        ),
      );
    }
  });

  test('seeded: the same seed gives the same chats', () => {
    assert.deepEqual(worldConversations(world, { count: 20, seed: 2 }), chats.slice(0, 20));
  });

  test('the default chats stay those models/chat was trained on (its recipe is seeded)', () => {
    const json = JSON.stringify(worldConversations(generateWorld(1), { count: 300, seed: 1 }));
    assert.equal(
      createHash('sha256').update(json).digest('hex'),
      '1f7d2346d5f7575dc5989e05e20f865bfac8e4038723b116826832e1c5a96e6a',
    );
  });

  test('arithmetic chats: the calculator is called with the question, and the answer is right', () => {
    const math = worldConversations(world, { count: 400, seed: 3, arithmeticShare: 0.5 }).filter(
      (c) => c.tools?.[0] === CALCULATOR_TOOL,
    );
    assert.ok(math.length > 150 && math.length < 250, `${math.length} arithmetic chats`);
    for (const c of math) {
      const call = c.messages.find((m) => m.role === 'assistant' && m.tool_calls) as Extract<
        Message,
        { role: 'assistant' }
      >;
      const { expression } = JSON.parse(call.tool_calls![0].function.arguments);
      assert.ok((c.messages.find((m) => m.role === 'user')!.content as string).includes(expression));
      const value = evaluate(expression);
      assert.equal(c.messages.find((m) => m.role === 'tool')!.content, String(value));
      assert.equal(c.messages.at(-1)!.content, `${expression} is ${value}.`);
    }
  });
});

describe('a base model made a chat model', () => {
  test('special tokens get new ids; old logits are unchanged', () => {
    const tokenizer = CharTokenizer.fromText('hello world');
    const model = new LanguageModel(
      makeConfig({ vocabSize: tokenizer.vocabSize, blockSize: 16, nLayer: 1, nHead: 2, nEmbd: 8 }),
      { seed: 1 },
    );
    const chat = asChatModel({ model, tokenizer });
    assert.equal(chat.tokenizer.vocabSize, tokenizer.vocabSize + 4);
    assert.equal(chat.tokenizer.encode('<|im_start|>hello').length, 6);
    assert.deepEqual(chat.tokenizer.encode('hello'), tokenizer.encode('hello'));
    assert.equal(chat.model.config.vocabSize, tokenizer.vocabSize + 4);
    const ids = new IntTensor(Int32Array.from(tokenizer.encode('hello')), [1, 5]);
    const before = noGrad(() => model.forward(ids)).data;
    const after = noGrad(() => chat.model.forward(ids)).data;
    const V = tokenizer.vocabSize;
    for (let t = 0; t < 5; t++)
      for (let v = 0; v < V; v++) assert.equal(after[t * (V + 4) + v], before[t * V + v]);
    assert.equal(chat.tokenizerConfig.eos_token, '<|im_end|>');
    // A model that has a template keeps it, tokens and all.
    assert.equal(asChatModel(chat).model, chat.model);
  });
});
