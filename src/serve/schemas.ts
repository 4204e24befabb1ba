// The request bodies jielong serve accepts, in OpenAI's field names. Unknown fields are ignored as
// OpenAI-compatible servers do (clients send metadata, user, ...); known fields are checked strictly.
import { z } from 'zod';
import { MESSAGE_SCHEMA, TOOL_SCHEMA } from '../chat/index.js';

const int = (min: number, max: number) =>
  z
    .number()
    .int({ error: `must be an integer from ${min} to ${max}` })
    .min(min, { error: `must be an integer from ${min} to ${max}` })
    .max(max, { error: `must be an integer from ${min} to ${max}` });
const range = (min: number, max: number) =>
  z
    .number({ error: `must be a number from ${min} to ${max}` })
    .min(min, { error: `must be a number from ${min} to ${max}` })
    .max(max, { error: `must be a number from ${min} to ${max}` });
const zeroOnly = z.literal(0, { error: 'is not supported by jielong (only 0)' }).nullish();

/** What completions and chat share: the dice and the stopping. */
const SAMPLING = {
  model: z.string({ error: 'must name the model (GET /v1/models lists it)' }),
  max_tokens: int(1, 1_000_000).nullish(),
  temperature: range(0, 2).nullish(),
  top_p: z.number().gt(0, { error: 'must be in (0, 1]' }).max(1, { error: 'must be in (0, 1]' }).nullish(),
  n: int(1, 8).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  stop: z
    .union([z.string().min(1), z.array(z.string().min(1)).max(4)], {
      error: 'must be a non-empty string or up to 4 of them',
    })
    .nullish(),
  seed: z.number().int({ error: 'must be an integer' }).nullish(),
  presence_penalty: zeroOnly,
  frequency_penalty: zeroOnly,
  // vLLM's extensions, for the filters jielong's sampler has.
  top_k: int(0, 1_000_000).nullish(),
  min_p: range(0, 1).nullish(),
  repetition_penalty: z.number().gt(0).nullish(),
  /** Write past the end of turn until max_tokens (vLLM's; benchmarks use it for replies of known length). */
  ignore_eos: z.boolean().nullish(),
};

const TOKENS = z.array(z.number().int().min(0)).min(1);

export const COMPLETION_REQUEST = z.looseObject({
  ...SAMPLING,
  prompt: z.union([z.string(), z.array(z.string()).min(1), TOKENS, z.array(TOKENS).min(1)], {
    error: 'must be a string, a list of strings, or token ids',
  }),
  logprobs: int(0, 20).nullish(),
  echo: z.boolean().nullish(),
  suffix: z
    .literal('', { error: 'is not supported by jielong (insertion needs a fill-in-the-middle model)' })
    .nullish(),
});

const TOOL_CHOICE = z.union([
  z.enum(['none', 'auto', 'required']),
  z.strictObject({ type: z.literal('function'), function: z.strictObject({ name: z.string() }) }),
]);

export const CHAT_REQUEST = z.looseObject({
  ...SAMPLING,
  messages: z.array(MESSAGE_SCHEMA).min(1, { error: 'must hold at least one message' }),
  max_completion_tokens: int(1, 1_000_000).nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: int(0, 20).nullish(),
  tools: z.array(TOOL_SCHEMA).nullish(),
  tool_choice: TOOL_CHOICE.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  response_format: z
    .looseObject({ type: z.literal('text', { error: 'only "text" is supported' }) })
    .nullish(),
});

export const EMBEDDING_REQUEST = z.looseObject({
  model: SAMPLING.model,
  input: z.union([z.string(), z.array(z.string()).min(1), TOKENS, z.array(TOKENS).min(1)], {
    error: 'must be a string, a list of strings, or token ids',
  }),
  encoding_format: z.enum(['float', 'base64']).nullish(),
  dimensions: z.number().int().min(1).nullish(),
});

export type CompletionRequest = z.infer<typeof COMPLETION_REQUEST>;
export type ChatRequest = z.infer<typeof CHAT_REQUEST>;
export type EmbeddingRequest = z.infer<typeof EMBEDDING_REQUEST>;
