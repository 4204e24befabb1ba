// The refusal direction (Arditi et al. 2024, "Refusal in language models is mediated by a single
// direction") at small scale, on a model trained on the built-in corpus with requests: the difference of
// mean activations between requests it declines and requests it answers, at the last prompt token. Taking
// that direction out of every layer makes the model answer what it declined; adding it at one layer makes
// it decline what it answered. Rates are measured on held-out requests (subjects and phrasings the corpus
// never paired with a reply), and the cost on ordinary text as the change in loss.
import { isRefusal, type RequestCase, requestCases, type World } from '../data/index.js';
import { generateText } from '../generate/index.js';
import type { LanguageModel } from '../model/index.js';
import { IntTensor, type Tensor } from '../tensor/index.js';
import type { Tokenizer } from '../tokenizer/index.js';
import { lossMetric } from './ablation.js';
import { type Hook, hookContext, runWithHooks } from './hooks.js';
import { meanDifference, steer } from './steering.js';

/** The residual stream after `layer` (the point where the direction is read and added). */
export const refusalPoint = (layer: number): string => `blocks.${layer}.hook_resid_post`;

const asIds = (tokenizer: Tokenizer, text: string) => {
  const ids = tokenizer.encode(text);
  return new IntTensor(Int32Array.from(ids), [1, ids.length]);
};

/** Declined minus answered requests of the corpus's own (train) split, at the last token after `layer`. */
export function refusalDirection(
  model: LanguageModel,
  tokenizer: Tokenizer,
  world: World,
  layer: number,
): Tensor {
  const cases = requestCases(world, 'train');
  const of = (kind: RequestCase['kind']) =>
    cases.filter((c) => c.kind === kind).map((c) => asIds(tokenizer, c.prompt));
  return meanDifference(model, refusalPoint(layer), of('declined'), of('answered'));
}

/**
 * Directional ablation: the direction projected out of the residual stream everywhere it is written (before
 * and after each mixer and MLP, at every layer and position), so no component can put it back.
 */
export function ablateDirection(model: LanguageModel, direction: Tensor): Hook[] {
  return Array.from({ length: model.config.nLayer }, (_, i) =>
    ['hook_resid_pre', 'hook_resid_mid', 'hook_resid_post'].map((p) =>
      steer(`blocks.${i}.${p}`, direction, { mode: 'project' }),
    ),
  ).flat();
}

/** Activation addition: the direction added at one layer, every position. */
export function addDirection(direction: Tensor, layer: number, scale = 1): Hook[] {
  return [steer(refusalPoint(layer), direction, { scale })];
}

export interface ReplyCheck {
  case: RequestCase;
  reply: string;
  refused: boolean;
  /** Answered: the reply is the fact's canonical sentence. Declined: it names the fact's object. */
  correct: boolean;
}

/** Greedy replies (up to the end of the line) to each request with `hooks` in place. */
export async function replies(
  model: LanguageModel,
  tokenizer: Tokenizer,
  cases: readonly RequestCase[],
  hooks: readonly Hook[] = [],
  maxTokens = 24,
): Promise<ReplyCheck[]> {
  const out: ReplyCheck[] = [];
  for (const c of cases) {
    const reply = await generateText(model, tokenizer, c.prompt, {
      temperature: 0,
      maxTokens,
      stop: ['\n'],
      hooks: hookContext(hooks),
    });
    const refused = isRefusal(reply);
    // A declined request's reply is never in the corpus: it counts as correct when it names the object.
    const correct =
      c.kind === 'answered' ? reply.trim() === c.reply.trim() : !refused && reply.includes(c.fact.object);
    out.push({ case: c, reply, refused, correct });
  }
  return out;
}

export const rate = (checks: readonly ReplyCheck[], test: (c: ReplyCheck) => boolean): number =>
  checks.length === 0 ? Number.NaN : checks.filter(test).length / checks.length;

export interface RefusalReport {
  layer: number;
  directionNorm: number;
  /** Held-out requests of each class. */
  declined: { count: number; baseline: number; ablated: number; answeredCorrectlyAblated: number };
  answered: { count: number; baseline: number; added: number };
  /** Mean next-token loss on ordinary text, plain and with the direction ablated. */
  loss: { baseline: number; ablated: number };
  examples: { declinedAblated: ReplyCheck[]; answeredAdded: ReplyCheck[] };
}

/**
 * The whole experiment on held-out requests: refusal rates of declined requests plain and with the
 * direction ablated, of answered requests plain and with it added, and the loss on `text` ([B, T] ids of
 * ordinary text) plain and ablated.
 */
export async function refusalExperiment(
  model: LanguageModel,
  tokenizer: Tokenizer,
  world: World,
  options: { layer: number; scale?: number; text: IntTensor; limit?: number },
): Promise<RefusalReport> {
  const direction = refusalDirection(model, tokenizer, world, options.layer);
  const held = requestCases(world, 'held-out');
  const pick = (kind: RequestCase['kind']) => held.filter((c) => c.kind === kind).slice(0, options.limit);
  const declined = pick('declined');
  const answered = pick('answered');
  const ablation = ablateDirection(model, direction);
  const addition = addDirection(direction, options.layer, options.scale ?? 1);
  const declinedPlain = await replies(model, tokenizer, declined);
  const declinedAblated = await replies(model, tokenizer, declined, ablation);
  const answeredPlain = await replies(model, tokenizer, answered);
  const answeredAdded = await replies(model, tokenizer, answered, addition);
  const loss = lossMetric(options.text);
  return {
    layer: options.layer,
    directionNorm: Math.hypot(...direction.data),
    declined: {
      count: declined.length,
      baseline: rate(declinedPlain, (c) => c.refused),
      ablated: rate(declinedAblated, (c) => c.refused),
      answeredCorrectlyAblated: rate(declinedAblated, (c) => c.correct),
    },
    answered: {
      count: answered.length,
      baseline: rate(answeredPlain, (c) => c.refused),
      added: rate(answeredAdded, (c) => c.refused),
    },
    loss: {
      baseline: loss(runWithHooks(model, options.text, [])),
      ablated: loss(runWithHooks(model, options.text, ablation)),
    },
    examples: { declinedAblated: declinedAblated.slice(0, 5), answeredAdded: answeredAdded.slice(0, 5) },
  };
}
