// How an agent picks one of the actions open to it. `replyChoice` asks in words and reads the reply as an
// action (any model, any endpoint; a reply naming none is returned as it is, and the world answers that
// nothing happens). `likelihoodChoice` has a jielong model score every action as its reply, by the
// probability of writing exactly that and ending the turn, and takes the likeliest (SayCan's way of
// grounding a language model in what can be done): it always names an action.
import { chatTemplateFor, parseAction } from '../chat/index.js';
import { IntTensor, noGrad } from '../tensor/index.js';
import type { Ask } from './memory/ask.js';
import type { JielongModelParts } from './provider.js';

export type Choose = (prompt: string, actions: readonly string[]) => Promise<string>;

export const replyChoice =
  (ask: Ask): Choose =>
  async (prompt, actions) => {
    const reply = await ask(prompt);
    return parseAction(reply, actions) ?? reply.trim().split('\n')[0];
  };

/** log P(reply, then the end of the turn | the prompt as a user message), for each reply. */
export type ReplyScorer = (prompt: string, replies: readonly string[]) => number[];

/**
 * The scorer of a jielong chat model (its template read once): one batch, each row the prompt then one
 * reply; rows shorter than the longest are padded at the end, which a causal model never reads back.
 */
export function replyLogProbs(parts: JielongModelParts): ReplyScorer {
  const template = chatTemplateFor(parts.tokenizerConfig, 'replyLogProbs: the model');
  const { model, tokenizer } = parts;
  return (prompt, replies) => {
    const head = tokenizer.encode(
      template.render([{ role: 'user', content: prompt }], { addGenerationPrompt: true }),
      { allowSpecial: true },
    );
    const tails = replies.map((a) => tokenizer.encode(`${a}${template.eos ?? ''}`, { allowSpecial: true }));
    const T = head.length + Math.max(...tails.map((t) => t.length)) - 1;
    if (T > model.config.blockSize)
      throw new Error(
        `replyLogProbs: ${T} tokens, longer than the model's context of ${model.config.blockSize}`,
      );
    const ids = new Int32Array(replies.length * T);
    for (const [r, tail] of tails.entries()) ids.set([...head, ...tail].slice(0, T), r * T);
    const logits = noGrad(() => model.forward(new IntTensor(ids, [replies.length, T])));
    const V = logits.shape[2];
    return tails.map((tail, r) => {
      let sum = 0;
      tail.forEach((token, i) => {
        const row = logits.data.subarray((r * T + head.length - 1 + i) * V, (r * T + head.length + i) * V);
        let max = -Infinity;
        for (const v of row) max = Math.max(max, v);
        let z = 0;
        for (const v of row) z += Math.exp(v - max);
        sum += row[token] - max - Math.log(z);
      });
      return sum;
    });
  };
}

export function likelihoodChoice(parts: JielongModelParts): Choose {
  const score = replyLogProbs(parts);
  return async (prompt, actions) => {
    const scores = score(prompt, actions);
    return actions[scores.indexOf(Math.max(...scores))];
  };
}
