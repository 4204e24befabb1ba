// POST /v1/completions: text in, text out (a base model's interface), with OpenAI's legacy logprobs.
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { checkModel, type Outcome, openaiFinish, promptList, type ServeContext } from './context.js';
import { ApiError, parseBody } from './errors.js';
import {
  baseSeed,
  type ChoiceResult,
  engineRequest,
  type Logprob,
  runChoice,
  submit,
  usage,
} from './generation.js';
import { EventStream, sendJSON } from './http.js';
import { COMPLETION_REQUEST } from './schemas.js';

/** OpenAI's completions logprobs: parallel lists per token. */
function legacyLogprobs(logprobs: readonly Logprob[], offset: number) {
  const text_offset: number[] = [];
  let at = offset;
  for (const l of logprobs) {
    text_offset.push(at);
    at += l.piece.length;
  }
  return {
    tokens: logprobs.map((l) => l.piece),
    token_logprobs: logprobs.map((l) => l.logprob),
    top_logprobs: logprobs.map((l) => Object.fromEntries(l.top.map((t) => [t.piece, t.logprob]))),
    text_offset,
  };
}

export async function completions(
  ctx: ServeContext,
  raw: unknown,
  res: ServerResponse,
  signal: AbortSignal,
): Promise<Outcome> {
  const body = parseBody(COMPLETION_REQUEST, raw);
  checkModel(ctx, body.model);
  if (body.echo && body.logprobs != null)
    throw new ApiError(400, 'echo with logprobs is not supported', 'invalid_request_error', 'echo');
  const { items: prompts, ids: encoded } = promptList(ctx, body.prompt, 'prompt', 1);
  const n = body.n ?? 1;
  const seed = baseSeed(body);
  const id = `cmpl-${randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  const head = { id, object: 'text_completion', created, model: ctx.name };
  const echoed = (i: number) =>
    body.echo
      ? typeof prompts[i] === 'string'
        ? (prompts[i] as string)
        : ctx.tokenizer.decode(encoded[i])
      : '';
  const runs = encoded.flatMap((ids, p) =>
    Array.from({ length: n }, (_, j) => ({
      prompt: p,
      index: p * n + j,
      events: submit(
        ctx,
        engineRequest(body, ids, {
          ctx,
          maxTokens: body.max_tokens ?? 16,
          stopTokens: [],
          logprobs: body.logprobs ?? null,
          index: j,
          signal,
          seed,
        }),
      ),
    })),
  );
  const promptTokens = encoded.reduce((a, ids) => a + ids.length, 0);
  let results: ChoiceResult[];
  if (body.stream) {
    const sse = new EventStream(res);
    results = await Promise.all(
      runs.map(async (r) => {
        let offset = echoed(r.prompt).length;
        if (body.echo)
          sse.send({
            ...head,
            choices: [{ index: r.index, text: echoed(r.prompt), logprobs: null, finish_reason: null }],
          });
        const result = await runChoice(r.events, (text, logprob) => {
          const logprobs = logprob ? legacyLogprobs([logprob], offset) : null;
          offset += text.length;
          sse.send({ ...head, choices: [{ index: r.index, text, logprobs, finish_reason: null }] });
        });
        sse.send({
          ...head,
          choices: [{ index: r.index, text: '', logprobs: null, finish_reason: openaiFinish(result.reason) }],
        });
        return result;
      }),
    );
    if (body.stream_options?.include_usage)
      sse.send({ ...head, choices: [], usage: usage(results, promptTokens) });
    sse.done();
  } else {
    results = await Promise.all(runs.map((r) => runChoice(r.events)));
    sendJSON(res, 200, {
      ...head,
      choices: runs.map((r, i) => ({
        index: r.index,
        text: echoed(r.prompt) + results[i].text,
        logprobs: body.logprobs == null ? null : legacyLogprobs(results[i].logprobs, echoed(r.prompt).length),
        finish_reason: openaiFinish(results[i].reason),
      })),
      usage: usage(results, promptTokens),
    });
  }
  return {
    promptTokens,
    completionTokens: results.reduce((a, r) => a + r.completionTokens, 0),
    finish: [...new Set(results.map((r) => r.reason))].join(','),
  };
}
