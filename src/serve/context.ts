// What every route of one server shares: the model and its tokenizer and template, the engine, limits.
import type { ChatTemplate } from '../chat/index.js';
import { promptIds } from '../generate/index.js';
import type { LanguageModel } from '../model/index.js';
import type { Tokenizer } from '../tokenizer/index.js';
import type { Engine, FinishReason } from './engine.js';
import { ApiError } from './errors.js';

export interface ServeContext {
  /** The id clients name it by (GET /v1/models). */
  name: string;
  /** Seconds since the epoch when the server loaded it. */
  created: number;
  model: LanguageModel;
  tokenizer: Tokenizer;
  template: ChatTemplate | null;
  engine: Engine;
  /** Milliseconds a generation may run. */
  timeoutMs: number;
}

/** What the route reports for the request's log line. */
export interface Outcome {
  promptTokens?: number;
  completionTokens?: number;
  finish?: string;
}

export function checkModel(ctx: ServeContext, model: string): void {
  if (model !== ctx.name)
    throw new ApiError(
      404,
      `the model "${model}" does not exist; this server serves "${ctx.name}"`,
      'invalid_request_error',
      'model',
      'model_not_found',
    );
}

/**
 * The prompt's ids, refused when empty, holding an id outside the vocabulary, or leaving fewer than
 * `room` tokens of the context (1 to write a reply; 0 for an embedding, which writes nothing).
 */
export function checkPrompt(ctx: ServeContext, ids: number[], param: string, room = 1): number[] {
  const context = ctx.model.config.blockSize;
  if (ids.length === 0) throw new ApiError(400, `${param} is empty`, 'invalid_request_error', param);
  if (ids.length > context - room)
    throw new ApiError(
      400,
      `${param} has ${ids.length} tokens; the model's context is ${context}${room ? ', which leaves no room for a reply' : ''}`,
      'invalid_request_error',
      param,
      'context_length_exceeded',
    );
  for (const id of ids) {
    if (id >= ctx.tokenizer.vocabSize)
      throw new ApiError(
        400,
        `${param}: token id ${id} is outside the vocabulary of ${ctx.tokenizer.vocabSize}`,
        'invalid_request_error',
        param,
      );
  }
  return ids;
}

/**
 * A prompt or input as OpenAI allows it (a text, texts, token ids, lists of them): the ids of each item,
 * checked, with `param.i` naming an item of a list. Also returns each item as given.
 */
export function promptList(
  ctx: ServeContext,
  given: string | string[] | number[] | number[][],
  param: string,
  room: number,
): { items: (string | number[])[]; ids: number[][] } {
  const items: (string | number[])[] =
    typeof given === 'string'
      ? [given]
      : typeof given[0] === 'number'
        ? [given as number[]]
        : (given as (string | number[])[]);
  const ids = items.map((x, i) =>
    checkPrompt(
      ctx,
      typeof x === 'string' ? promptIds(ctx.tokenizer, x) : x,
      items.length > 1 ? `${param}.${i}` : param,
      room,
    ),
  );
  return { items, ids };
}

/** OpenAI has no "timeout" or "cancelled": a generation cut short by time reports "length". */
export const openaiFinish = (reason: FinishReason): 'stop' | 'length' =>
  reason === 'stop' ? 'stop' : 'length';
