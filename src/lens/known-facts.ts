// Which facts of the built-in world a model knows: the analyses of the lens run on facts the model gets
// right, as ROME filters its prompts, since a trace of a fact the model does not know shows nothing.
import { type Fact, factPrompt, factPrompts, type PromptCase, type Relation } from '../data/index.js';
import type { LanguageModel } from '../model/index.js';
import { IntTensor } from '../tensor/index.js';
import type { Tokenizer } from '../tokenizer/index.js';
import { type Hook, runWithHooks } from './hooks.js';

export interface FactCheck extends PromptCase {
  fact: Fact;
  promptIds: number[];
  answerIds: number[];
  /** Greedy decoding reproduces every token of the answer. */
  known: boolean;
  /** The model's probability of the answer's first token after the prompt. */
  firstTokenProb: number;
}

/** Each fact's canonical prompt ("Ada Lin was born in") scored by greedyAnswer. */
export function checkFacts(
  model: LanguageModel,
  tokenizer: Tokenizer,
  facts: readonly Fact[],
  promptOf: (fact: Fact) => PromptCase = factPrompt,
): FactCheck[] {
  return facts.map((fact) => {
    const c = promptOf(fact);
    const promptIds = tokenizer.encode(c.prompt);
    const answerIds = tokenizer.encode(c.answer);
    return {
      ...c,
      fact,
      promptIds,
      answerIds,
      ...greedyAnswer(model, promptIds, answerIds, [], 'checkFacts'),
    };
  });
}

/**
 * One teacher-forced forward over prompt + answer (with `hooks` in place): `known` when the argmax at every
 * answer position is the answer's token, which is what greedy decoding would write, and the probability
 * of the answer's first token after the prompt.
 */
export function greedyAnswer(
  model: LanguageModel,
  promptIds: readonly number[],
  answerIds: readonly number[],
  hooks: readonly Hook[] = [],
  what = 'greedyAnswer',
): { known: boolean; firstTokenProb: number } {
  const ids = [...promptIds, ...answerIds].slice(0, -1);
  if (ids.length > model.config.blockSize) {
    throw new Error(
      `${what}: ${ids.length} tokens, longer than the model's context of ${model.config.blockSize}`,
    );
  }
  const logits = runWithHooks(model, new IntTensor(Int32Array.from(ids), [1, ids.length]), hooks);
  const V = logits.shape[2];
  const rowAt = (p: number) => logits.data.subarray(p * V, (p + 1) * V);
  const known = answerIds.every((t, i) => argmaxOf(rowAt(promptIds.length - 1 + i)) === t);
  const row = rowAt(promptIds.length - 1);
  const max = row[argmaxOf(row)];
  let z = 0;
  for (const v of row) z += Math.exp(v - max);
  return { known, firstTokenProb: Math.exp(row[answerIds[0]] - max) / z };
}

/** Known / total per relation, in the order relations first appear. */
export function recallByRelation(
  checks: readonly FactCheck[],
): Map<string, { known: number; total: number }> {
  const out = new Map<string, { known: number; total: number }>();
  for (const c of checks) {
    const r = out.get(c.fact.relation) ?? { known: 0, total: 0 };
    r.total++;
    if (c.known) r.known++;
    out.set(c.fact.relation, r);
  }
  return out;
}

function argmaxOf(row: Float32Array): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

/**
 * The token positions of `subject` in `prompt`: the tokens whose characters overlap the subject's, e.g. the
 * subject's tokens for causal tracing's noise and its last token for a relation probe. A BPE token may
 * carry the space before the subject (" Marovia"); it belongs to the subject all the same.
 */
export function subjectSpan(tokenizer: Tokenizer, prompt: string, subject: string): number[] {
  const at = prompt.indexOf(subject);
  if (at < 0) throw new Error(`subjectSpan: "${subject}" is not in "${prompt}"`);
  const end = at + subject.length;
  const ids = tokenizer.encode(prompt);
  const pieces = ids.map((id) => tokenizer.decode([id]));
  if (pieces.join('') === prompt) {
    const span: number[] = [];
    let from = 0;
    for (const [i, piece] of pieces.entries()) {
      const to = from + piece.length;
      if (from < end && to > at) span.push(i);
      from = to;
    }
    if (span.length) return span;
  }
  // Pieces that do not decode alone (a character split across byte tokens): count the prefixes' tokens.
  const start = at === 0 ? 0 : tokenizer.encode(prompt.slice(0, at)).length;
  const stop = tokenizer.encode(prompt.slice(0, end)).length;
  if (stop <= start) throw new Error(`subjectSpan: "${subject}" covers no token of "${prompt}"`);
  return Array.from({ length: stop - start }, (_, i) => start + i);
}

/**
 * For each relation, the phrasing the model completes best among those that start with the subject (so the
 * subject's last token is read before anything about the relation): the prompts the analyses use, since
 * a canonical prompt can be ambiguous ("was born in" may go on "the city of ...").
 */
export function bestPhrasings(
  model: LanguageModel,
  tokenizer: Tokenizer,
  facts: readonly Fact[],
): Map<Relation, { phrasing: number; checks: FactCheck[] }> {
  const out = new Map<Relation, { phrasing: number; checks: FactCheck[] }>();
  for (const relation of new Set(facts.map((f) => f.relation))) {
    const of = facts.filter((f) => f.relation === relation);
    const phrasings = factPrompts(of[0]).length;
    for (let i = 0; i < phrasings; i++) {
      if (!factPrompts(of[0])[i].prompt.startsWith(of[0].subject)) continue;
      const checks = checkFacts(model, tokenizer, of, (f) => factPrompts(f)[i]);
      const known = checks.filter((c) => c.known).length;
      const best = out.get(relation);
      if (!best || known > best.checks.filter((c) => c.known).length)
        out.set(relation, { phrasing: i, checks });
    }
  }
  return out;
}

/**
 * A prompt and the answer token to follow: the answer's first token that is not only whitespace, with any
 * whitespace token before it moved onto the prompt (a character model's " Rivermouth" starts with " ").
 */
export function answerToken(
  tokenizer: Tokenizer,
  prompt: string,
  answer: string,
): { prompt: string; answer: number } {
  const ids = tokenizer.encode(answer);
  if (ids.length === 0) throw new Error(`the answer "${answer}" encodes to no tokens`);
  let i = 0;
  while (i < ids.length - 1 && tokenizer.decode([ids[i]]).trim() === '') i++;
  return { prompt: prompt + tokenizer.decode(ids.slice(0, i)), answer: ids[i] };
}
