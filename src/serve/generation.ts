// From an OpenAI request to engine requests (one per choice) and back: the sampling fields, the
// per-choice seeds, the client's disconnect and the time limit.
import { randomInt } from 'node:crypto';
import type { ServeContext } from './context.js';
import {
  type EngineEvent,
  type FinishReason,
  type GenerationRequest,
  QueueFullError,
  type TokenLogprob,
} from './engine.js';
import { ApiError } from './errors.js';
import type { ChatRequest, CompletionRequest } from './schemas.js';

export type Logprob = TokenLogprob & { top: TokenLogprob[] };

export interface ChoiceResult {
  text: string;
  reason: FinishReason;
  logprobs: Logprob[];
  promptTokens: number;
  completionTokens: number;
}

/** The engine request of choice `index` for a prompt; seeds differ per choice so n > 1 gives n samples. */
export function engineRequest(
  body: CompletionRequest | ChatRequest,
  prompt: number[],
  parts: {
    maxTokens: number;
    stopTokens: number[];
    logprobs: number | null;
    index: number;
    signal: AbortSignal;
    ctx: ServeContext;
    seed: number;
  },
): GenerationRequest {
  const stop = body.stop == null ? [] : typeof body.stop === 'string' ? [body.stop] : body.stop;
  return {
    prompt,
    maxTokens: parts.maxTokens,
    sampling: {
      temperature: body.temperature ?? 1,
      topP: body.top_p ?? 1,
      topK: body.top_k ?? 0,
      minP: body.min_p ?? 0,
      repetitionPenalty: body.repetition_penalty ?? 1,
    },
    seed: parts.seed + parts.index,
    stop,
    stopTokens: parts.stopTokens,
    logprobs: parts.logprobs,
    signal: parts.signal,
    deadline: performance.now() + parts.ctx.timeoutMs,
  };
}

/** The request's seed, or a fresh one: every choice of the request derives its own from it. */
export const baseSeed = (body: { seed?: number | null }) => body.seed ?? randomInt(2 ** 31);

/** Submits to the engine; a full queue becomes 429. */
export function submit(ctx: ServeContext, req: GenerationRequest): AsyncIterable<EngineEvent> {
  try {
    return ctx.engine.submit(req);
  } catch (e) {
    if (e instanceof QueueFullError)
      throw new ApiError(429, (e as Error).message, 'server_error', null, 'server_busy');
    throw new ApiError(400, (e as Error).message);
  }
}

/** Reads a choice's events to the end; `onToken` sees each piece of text as it comes. */
export async function runChoice(
  events: AsyncIterable<EngineEvent>,
  onToken?: (text: string, logprob: Logprob | undefined) => void,
): Promise<ChoiceResult> {
  let text = '';
  const logprobs: Logprob[] = [];
  for await (const e of events) {
    if (e.type === 'error') throw e.error;
    if (e.type === 'token') {
      text += e.text;
      if (e.logprob) logprobs.push(e.logprob);
      onToken?.(e.text, e.logprob);
    } else {
      return {
        text,
        reason: e.reason,
        logprobs,
        promptTokens: e.promptTokens,
        completionTokens: e.completionTokens,
      };
    }
  }
  throw new Error('the engine ended a generation without saying why');
}

/** Token counts of all choices: the prompt once per prompt, every choice's completion. */
export function usage(results: readonly ChoiceResult[], promptTokens: number) {
  const completion = results.reduce((a, r) => a + r.completionTokens, 0);
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completion,
    total_tokens: promptTokens + completion,
  };
}
