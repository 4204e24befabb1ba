// Back-patching ("Hopping Too Late", Biran et al. 2024). A two-hop question ("The country where Ada Lin was
// born is") needs the bridge (her city) resolved before the layers that could look its country up; when the
// first hop resolves too late the answer is wrong although the model knows both hops. Putting a later
// layer's state at the last position back into an earlier layer and running again gives the later layers
// a second pass over it: the share of such failures it fixes, and which layer pairs fix them.
import { factPrompt, type TwoHopQuestion } from '../data/index.js';
import type { LanguageModel } from '../model/index.js';
import type { Tokenizer } from '../tokenizer/index.js';
import { greedyAnswer } from './known-facts.js';
import { residPatch, residStream } from './patchscope.js';

/** The state entering `from` is written into the stream entering `to` (to <= from; to = from is the identity). */
export interface LayerPair {
  from: number;
  to: number;
}

/** Every pair of a later layer into an earlier one, 0 <= to < from <= nLayer. */
export function backpatchPairs(model: LanguageModel): LayerPair[] {
  const L = model.config.nLayer;
  const out: LayerPair[] = [];
  for (let from = 1; from <= L; from++) for (let to = 0; to < from; to++) out.push({ from, to });
  return out;
}

/**
 * Whether the model answers with `pair` back-patched at the prompt's last position (greedyAnswer). `stream`
 * is the prompt's residual stream (residStream), when several pairs are tried on one prompt.
 */
export function backpatch(
  model: LanguageModel,
  promptIds: readonly number[],
  answerIds: readonly number[],
  pair: LayerPair,
  stream: Float32Array[][] = residStream(model, promptIds),
): { known: boolean; firstTokenProb: number } {
  if (pair.to > pair.from) {
    throw new Error(
      `backpatch: layer ${pair.from} into ${pair.to} patches forward; back-patching needs to <= from`,
    );
  }
  const last = promptIds.length - 1;
  const state = stream[pair.from][last];
  return greedyAnswer(model, promptIds, answerIds, [residPatch(model, pair.to, last, state)], 'backpatch');
}

export interface TwoHopCase {
  question: TwoHopQuestion;
  /** The model answers the two-hop question (greedy, every token). */
  correct: boolean;
  /** It knows the first hop (the person's city) and the second (that city's country). */
  firstHop: boolean;
  secondHop: boolean;
  /** For wrong answers while both hops are known: the layer pairs whose back-patching fixes the answer. */
  fixedBy: LayerPair[];
}

export interface BackpatchStudy {
  cases: TwoHopCase[];
  /** Per split (taught in the corpus or held out): questions, answered, both hops known, failures, fixed. */
  splits: Record<'taught' | 'held-out', BackpatchSplit>;
  /** For each pair, how many failures (of both splits) it fixes. */
  pairs: (LayerPair & { fixed: number })[];
}

export interface BackpatchSplit {
  questions: number;
  correct: number;
  /** Wrong answers although both hops are known: the cases back-patching tries to fix. */
  failures: number;
  fixed: number;
  /** fixed / failures (0 when there are none). */
  share: number;
}

/** Asks every question, checks both hops, and back-patches each failure at every pair of layers. */
export function backpatchStudy(
  model: LanguageModel,
  tokenizer: Tokenizer,
  questions: readonly TwoHopQuestion[],
  pairs: readonly LayerPair[] = backpatchPairs(model),
): BackpatchStudy {
  const knows = (prompt: string, answer: string) =>
    greedyAnswer(model, tokenizer.encode(prompt), tokenizer.encode(answer)).known;
  const cases = questions.map((question): TwoHopCase => {
    const first = factPrompt({
      subject: question.subject,
      relation: question.chain.first,
      object: question.bridge,
    });
    const second = factPrompt({
      subject: question.bridge,
      relation: question.chain.second,
      object: question.answer,
    });
    const promptIds = tokenizer.encode(question.prompt);
    const answerIds = tokenizer.encode(` ${question.answer}`);
    const correct = greedyAnswer(model, promptIds, answerIds).known;
    const firstHop = knows(first.prompt, first.answer);
    const secondHop = knows(second.prompt, second.answer);
    let fixedBy: LayerPair[] = [];
    if (!correct && firstHop && secondHop) {
      const stream = residStream(model, promptIds);
      fixedBy = pairs.filter((p) => backpatch(model, promptIds, answerIds, p, stream).known);
    }
    return { question, correct, firstHop, secondHop, fixedBy };
  });
  const split = (taught: boolean): BackpatchSplit => {
    const of = cases.filter((c) => c.question.taught === taught);
    const failures = of.filter((c) => !c.correct && c.firstHop && c.secondHop);
    const fixed = failures.filter((c) => c.fixedBy.length > 0).length;
    return {
      questions: of.length,
      correct: of.filter((c) => c.correct).length,
      failures: failures.length,
      fixed,
      share: failures.length ? fixed / failures.length : 0,
    };
  };
  return {
    cases,
    splits: { taught: split(true), 'held-out': split(false) },
    pairs: pairs.map((p) => ({
      ...p,
      fixed: cases.filter((c) => c.fixedBy.some((q) => q.from === p.from && q.to === p.to)).length,
    })),
  };
}
