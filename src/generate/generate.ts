// Autoregressive generation, the "word chain": feed the prompt once, then one token at a time, each step
// rolling the dice over the model's next-token distribution. The model continues from its generation
// state (a KV cache for attention), so a step costs one token's work, not the whole context again.
import type { GenerationState, LanguageModel } from '../model/index.js';
import type { HookContext } from '../nn/index.js';
import { Generator, IntTensor, noGrad, type Tensor } from '../tensor/index.js';
import { StreamDecoder, type Tokenizer, tokenPiece } from '../tokenizer/index.js';
import { promptIds } from './prompt.js';
import { type SamplingOptions, sampleToken, topKProbs } from './sampling.js';
import { StopMatcher } from './stop.js';

export interface GenerateOptions extends SamplingOptions {
  /** Tokens to generate at most (default 200). */
  maxTokens?: number;
  /** Seed for the sampler's dice (default 0); ignored when `generator` is given. */
  seed?: number;
  generator?: Generator;
  /** Stop when the text produces one of these (it is not included). */
  stop?: string[];
  /** Also report the k most likely next tokens at each step (default 0: off). */
  showTopK?: number;
  /** Hooks to run at every step, the prompt's and each new token's (steering, ablation; src/lens). */
  hooks?: HookContext;
}

export interface Alternative {
  token: number;
  text: string;
  prob: number;
}

/** One step of generation: the token chosen, its text (may be '' while a UTF-8 character is incomplete). */
export interface GenerationStep {
  token: number;
  text: string;
  /** The model's probability of the chosen token (softmax of its logits, before any sampling filter). */
  prob: number;
  /** The top-k alternatives at this step, when showTopK was asked for. */
  topK?: Alternative[];
}

/** The model's own next-token distribution: what the dice are before temperature and filters. */
function softmaxRow(logits: Float32Array): Float32Array {
  let max = Number.NEGATIVE_INFINITY;
  for (const v of logits) max = Math.max(max, v);
  const p = logits.map((v) => Math.exp(v - max));
  const sum = p.reduce((a, b) => a + b, 0);
  return p.map((v) => v / sum);
}

/**
 * The last position's logits over the tokenizer's ids: a model's vocabulary may be padded past them (HF
 * models often are), and those rows have no token to write.
 */
function lastRow(logits: Tensor, tokens: number): Float32Array {
  const start = logits.data.length - logits.shape[logits.ndim - 1];
  return logits.data.subarray(start, start + tokens);
}

/**
 * Streams generated tokens for a prompt. When the context fills up, it keeps the most recent half and
 * re-reads it (a sliding window), so generation can run past the model's block size.
 */
export async function* generate(
  model: LanguageModel,
  tokenizer: Tokenizer,
  prompt: string,
  options: GenerateOptions = {},
): AsyncGenerator<GenerationStep> {
  const maxTokens = options.maxTokens ?? 200;
  const generator = options.generator ?? new Generator(options.seed ?? 0);
  const ids = promptIds(tokenizer, prompt);
  if (ids.length === 0) throw new Error('generate: the prompt is empty (give at least one token of text)');
  const blockSize = model.config.blockSize;
  const decoder = new StreamDecoder(tokenizer);
  const stops = new StopMatcher(options.stop ?? []);
  let state: GenerationState = model.newState(1);
  const feed = (tokens: number[]) =>
    noGrad(() =>
      lastRow(
        model.forward(new IntTensor(Int32Array.from(tokens), [1, tokens.length]), {
          state,
          hooks: options.hooks,
        }),
        tokenizer.vocabSize,
      ),
    );
  const wasTraining = model.training;
  model.eval();
  try {
    let logits = feed(ids.slice(-blockSize));
    for (let n = 0; n < maxTokens; n++) {
      const { token } = sampleToken(logits, ids, options, generator);
      const probs = softmaxRow(logits);
      ids.push(token);
      const step: GenerationStep = { token, text: '', prob: probs[token] };
      if (options.showTopK) {
        step.topK = topKProbs(probs, options.showTopK).map((a) => ({
          ...a,
          text: tokenPiece(tokenizer, a.token),
        }));
      }
      const { emit, stopped } = stops.push(decoder.push(token));
      step.text = emit;
      // The last step also releases what was held back (a partial character, a possible stop prefix).
      if (n === maxTokens - 1 && !stopped) {
        const tail = stops.push(decoder.flush());
        step.text += tail.emit + (tail.stopped ? '' : stops.flush());
      }
      yield step;
      if (stopped || n === maxTokens - 1) return; // no forward for a token nobody will read
      if (state.pos >= blockSize) {
        state = model.newState(1);
        logits = feed(ids.slice(-Math.floor(blockSize / 2)));
      } else {
        logits = feed([token]);
      }
    }
  } finally {
    model.train(wasTraining);
  }
}

/** Generates and returns the whole text. */
export async function generateText(
  model: LanguageModel,
  tokenizer: Tokenizer,
  prompt: string,
  options: GenerateOptions = {},
): Promise<string> {
  let text = '';
  for await (const step of generate(model, tokenizer, prompt, options)) text += step.text;
  return text;
}
