// Edits evaluated as CounterFact defines them (Meng et al., 2022), generated from the built-in world. A
// case rewrites one functional fact to another object of its relation ("Ada Lin was born in" Rivermouth
// -> Millbrook) and is scored by:
//   efficacy       P(new) > P(old) after the edited prompt;
//   paraphrase     the same after the fact's other phrasings;
//   neighbourhood  other subjects of the relation (those sharing the old object first) keep preferring
//                  their own answer over the new one;
//   fluency        the n-gram entropy of text generated about the edited subjects (mean of the 2- and
//                  3-gram entropies of its tokens, in bits), as a share of the unedited model's (at most 1);
//   score          the harmonic mean of the four.
// Probabilities are of the whole answer, teacher-forced (the sum of its tokens' log-probabilities).
import { type Fact, factPrompt, factPrompts, RELATIONS, type World } from '../../data/index.js';
import { generateText } from '../../generate/index.js';
import type { LanguageModel } from '../../model/index.js';
import { Generator, IntTensor, noGrad } from '../../tensor/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import type { EditRequest } from './keys.js';

export interface CounterfactCase {
  request: EditRequest;
  /** The true answer, which the edit replaces (" Rivermouth"). */
  old: string;
  paraphrases: string[];
  neighbours: { prompt: string; answer: string }[];
}

/**
 * Up to `count` cases, one per (subject, relation), each with a new object drawn by `seed`; every subject
 * once before any twice.
 */
export function counterfactCases(
  world: World,
  options: { count?: number; seed?: number; neighbours?: number } = {},
): CounterfactCase[] {
  const g = new Generator(options.seed ?? 0);
  const functional = world.facts.filter((f) => RELATIONS[f.relation].functional);
  const order = [...functional.keys()];
  for (let i = order.length - 1; i > 0; i--) {
    const j = g.randint(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  // Distinct subjects first, as CounterFact's are: an edit's key is its subject's last token, so two edits
  // of one subject (different relations) write to the same key. Later rounds take each subject's next fact.
  const round = new Map<string, number>();
  const rank = new Map(
    order.map((i) => {
      const r = round.get(functional[i].subject) ?? 0;
      round.set(functional[i].subject, r + 1);
      return [i, r];
    }),
  );
  order.sort((a, b) => (rank.get(a) as number) - (rank.get(b) as number));
  const cases: CounterfactCase[] = [];
  for (const i of order.slice(0, options.count ?? order.length)) {
    const fact = functional[i];
    const objects = [
      ...new Set(functional.filter((f) => f.relation === fact.relation).map((f) => f.object)),
    ].filter((o) => o !== fact.object);
    if (objects.length === 0) continue;
    const next = objects[g.randint(objects.length)];
    const [canonical, ...others] = factPrompts(fact);
    const same = (f: Fact) => f.relation === fact.relation && f.subject !== fact.subject && f.object !== next;
    const neighbours = [
      ...functional.filter((f) => same(f) && f.object === fact.object),
      ...functional.filter((f) => same(f) && f.object !== fact.object),
    ]
      .slice(0, options.neighbours ?? 5)
      .map((f) => factPrompt(f));
    cases.push({
      request: { prompt: canonical.prompt, subject: fact.subject, target: ` ${next}` },
      old: canonical.answer,
      paraphrases: others.map((p) => p.prompt),
      neighbours: neighbours.map((n) => ({ prompt: n.prompt, answer: n.answer })),
    });
  }
  return cases;
}

/** log P(answer | prompt), teacher-forced. */
export function answerLogProb(
  model: LanguageModel,
  tokenizer: Tokenizer,
  prompt: string,
  answer: string,
): number {
  const p = tokenizer.encode(prompt);
  const a = tokenizer.encode(answer);
  const ids = [...p, ...a];
  const logits = noGrad(() =>
    model.forward(new IntTensor(Int32Array.from(ids.slice(0, -1)), [1, ids.length - 1])),
  );
  const V = logits.shape[2];
  let total = 0;
  for (let i = 0; i < a.length; i++) {
    const row = logits.data.subarray((p.length - 1 + i) * V, (p.length + i) * V);
    let max = Number.NEGATIVE_INFINITY;
    for (const v of row) max = Math.max(max, v);
    let z = 0;
    for (const v of row) z += Math.exp(v - max);
    total += row[a[i]] - max - Math.log(z);
  }
  return total;
}

/** Mean of the 2- and 3-gram entropies (bits) of a token sequence. */
export function ngramEntropy(ids: readonly number[]): number {
  const entropy = (n: number) => {
    const counts = new Map<string, number>();
    for (let i = 0; i + n <= ids.length; i++) {
      const key = ids.slice(i, i + n).join(',');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const total = Math.max(1, ids.length - n + 1);
    let h = 0;
    for (const c of counts.values()) h -= (c / total) * Math.log2(c / total);
    return h;
  };
  return (entropy(2) + entropy(3)) / 2;
}

export interface EditScores {
  efficacy: number;
  paraphrase: number;
  neighbourhood: number;
  /** n-gram entropy of the generated text, and its share of the unedited model's (capped at 1). */
  entropy: number;
  fluency: number;
  score: number;
}

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);
const harmonic = (xs: readonly number[]) =>
  xs.some((x) => !(x > 0)) ? 0 : xs.length / xs.reduce((a, x) => a + 1 / x, 0);

/** Text generated about the cases' subjects (seeded sampling), for fluency. */
export async function subjectEntropy(
  model: LanguageModel,
  tokenizer: Tokenizer,
  cases: readonly CounterfactCase[],
  options: { samples?: number; maxTokens?: number } = {},
): Promise<number> {
  const out: number[] = [];
  for (const [i, c] of cases.slice(0, options.samples ?? 10).entries()) {
    const text = await generateText(model, tokenizer, c.request.subject, {
      maxTokens: options.maxTokens ?? 48,
      seed: i,
      temperature: 1,
    });
    out.push(ngramEntropy(tokenizer.encode(text)));
  }
  return mean(out);
}

/** The four measures and their harmonic mean; `baselineEntropy` is the unedited model's subjectEntropy. */
export async function evaluateEdits(
  model: LanguageModel,
  tokenizer: Tokenizer,
  cases: readonly CounterfactCase[],
  baselineEntropy: number,
): Promise<EditScores> {
  const prefers = (prompt: string, a: string, b: string) =>
    answerLogProb(model, tokenizer, prompt, a) > answerLogProb(model, tokenizer, prompt, b) ? 1 : 0;
  const efficacy = mean(cases.map((c) => prefers(c.request.prompt, c.request.target, c.old)));
  const paraphrase = mean(
    cases
      .filter((c) => c.paraphrases.length)
      .map((c) => mean(c.paraphrases.map((p) => prefers(p, c.request.target, c.old)))),
  );
  const neighbourhood = mean(
    cases
      .filter((c) => c.neighbours.length)
      .map((c) => mean(c.neighbours.map((n) => prefers(n.prompt, n.answer, c.request.target)))),
  );
  const entropy = await subjectEntropy(model, tokenizer, cases);
  const fluency = Math.min(1, entropy / baselineEntropy);
  return {
    efficacy,
    paraphrase,
    neighbourhood,
    entropy,
    fluency,
    score: harmonic([efficacy, paraphrase, neighbourhood, fluency]),
  };
}
