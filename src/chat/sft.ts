// Supervised fine-tuning data: a conversation as token ids plus which of them the loss is on. Only the
// assistant's own tokens are trained (its reply and the <|im_end|> that ends it): the model learns to
// answer, not to predict the user's questions or the template's markup. An assistant turn with weight 0
// (OpenAI's fine-tuning field) is context only: what the model said earlier, not what it should learn.
import type { Tokenizer } from '../tokenizer/index.js';
import type { Conversation } from './messages.js';
import type { ChatTemplate } from './template.js';

export interface TokenizedConversation {
  ids: number[];
  /** trained[t]: whether token t is one the model should learn to write. */
  trained: boolean[];
}

/**
 * Renders each assistant turn against the prompt that precedes it, exactly as generation will see it
 * (the prompt encoded on its own, then the reply's tokens), so training and serving tokenise alike.
 */
export function tokenizeConversation(
  conversation: Conversation,
  template: ChatTemplate,
  tokenizer: Tokenizer,
): TokenizedConversation {
  const { messages, tools } = conversation;
  const ids: number[] = [];
  const trained: boolean[] = [];
  const push = (text: string, train: boolean) => {
    for (const id of tokenizer.encode(text)) {
      ids.push(id);
      trained.push(train);
    }
  };
  let done = ''; // the text rendered so far
  const advance = (upTo: string, what: string) => {
    if (!upTo.startsWith(done))
      throw new Error(`sft: the chat template rewrites earlier turns (${what}); it must only append`);
    const text = upTo.slice(done.length);
    done = upTo;
    return text;
  };
  messages.forEach((m, i) => {
    if (m.role !== 'assistant') return;
    push(
      advance(template.render(messages.slice(0, i), { tools, addGenerationPrompt: true }), `turn ${i}`),
      false,
    );
    const reply = advance(
      template.render(messages.slice(0, i + 1), { tools, addGenerationPrompt: false }),
      `turn ${i}`,
    );
    // What follows the end-of-turn token (a newline) is the template's, not the reply's.
    const end = template.eos ? reply.indexOf(template.eos) : -1;
    const cut = end < 0 ? reply.length : end + template.eos!.length;
    push(reply.slice(0, cut), m.weight !== 0);
    push(reply.slice(cut), false);
  });
  if (!trained.includes(true)) throw new Error('sft: the conversation has no assistant turn to learn from');
  return { ids, trained };
}
