// What every route of one server shares: the model and its tokenizer and template, the engine, limits.
import type { ChatTemplate } from '../chat/index.js';
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

/** The prompt's ids, refused when they leave no room to write in the context. */
export function checkPrompt(ctx: ServeContext, ids: number[], param: string): number[] {
  const context = ctx.model.config.blockSize;
  if (ids.length === 0) throw new ApiError(400, `${param} is empty`, 'invalid_request_error', param);
  if (ids.length >= context)
    throw new ApiError(
      400,
      `${param} has ${ids.length} tokens; the model's context is ${context}, which leaves no room for a reply`,
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

/** OpenAI has no "timeout" or "cancelled": a generation cut short by time reports "length". */
export const openaiFinish = (reason: FinishReason): 'stop' | 'length' =>
  reason === 'stop' ? 'stop' : 'length';
