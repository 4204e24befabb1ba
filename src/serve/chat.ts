// POST /v1/chat/completions: messages rendered by the model's chat template, the reply read back for
// tool calls in the template's format. With tools offered, streamed text stops flowing at a
// <tool_call>: what follows is held until the end, then sent as tool_calls when it parses, or as text
// (finish_reason "stop") when the model wrote a malformed call.
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import {
  type Message,
  planTurn,
  ReplyGate,
  readReply,
  type ToolChoice,
  type Turn,
  TurnError,
} from '../chat/index.js';
import { checkModel, checkPrompt, type Outcome, openaiFinish, type ServeContext } from './context.js';
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
import { CHAT_REQUEST, type ChatRequest } from './schemas.js';

const utf8 = new TextEncoder();
const entry = (t: { piece: string; logprob: number }) => ({
  token: t.piece,
  logprob: t.logprob,
  bytes: [...utf8.encode(t.piece)],
});
const chatLogprobs = (lps: readonly Logprob[]) => ({
  content: lps.map((l) => ({ ...entry(l), top_logprobs: l.top.map(entry) })),
  refusal: null,
});

const newCallId = () => `call_${randomUUID().replaceAll('-', '').slice(0, 24)}`;

/** The assistant message of a finished choice, and its finish_reason. */
function message(turn: Turn, result: ChoiceResult) {
  const reply = readReply(turn, result.text, newCallId);
  return reply.called
    ? {
        message: { role: 'assistant', content: reply.content, tool_calls: reply.toolCalls },
        finish: 'tool_calls',
      }
    : { message: { role: 'assistant', content: reply.content }, finish: openaiFinish(result.reason) };
}

/** OpenAI's tool_choice as the chat layer's. */
const toolChoice = (c: ChatRequest['tool_choice']): ToolChoice =>
  c == null ? 'auto' : typeof c === 'string' ? c : { name: c.function.name };

export async function chatCompletions(
  ctx: ServeContext,
  raw: unknown,
  res: ServerResponse,
  signal: AbortSignal,
): Promise<Outcome> {
  const body = parseBody(CHAT_REQUEST, raw);
  checkModel(ctx, body.model);
  const template = ctx.template;
  if (!template)
    throw new ApiError(
      400,
      `the model "${ctx.name}" has no chat template; use /v1/completions`,
      'invalid_request_error',
      'messages',
      'no_chat_template',
    );
  let turn: Turn;
  try {
    turn = planTurn(template, ctx.tokenizer, {
      messages: body.messages as Message[],
      tools: body.tools ?? [],
      toolChoice: toolChoice(body.tool_choice),
      ignoreEos: body.ignore_eos ?? false,
    });
  } catch (e) {
    if (e instanceof TurnError) throw new ApiError(400, e.message, 'invalid_request_error', e.field);
    throw e;
  }
  const prompt = checkPrompt(ctx, turn.prompt, 'messages');
  const stop = [
    ...(body.stop == null ? [] : typeof body.stop === 'string' ? [body.stop] : body.stop),
    ...turn.stop,
  ];
  const n = body.n ?? 1;
  const seed = baseSeed(body);
  const runs = Array.from({ length: n }, (_, index) =>
    submit(
      ctx,
      engineRequest({ ...body, stop }, prompt, {
        ctx,
        maxTokens: body.max_completion_tokens ?? body.max_tokens ?? ctx.model.config.blockSize,
        stopTokens: turn.stopTokens,
        logprobs: body.logprobs ? (body.top_logprobs ?? 0) : null,
        index,
        signal,
        seed,
      }),
    ),
  );
  const head = { id: `chatcmpl-${randomUUID()}`, created: Math.floor(Date.now() / 1000), model: ctx.name };
  let results: ChoiceResult[];
  if (body.stream) {
    const sse = new EventStream(res);
    const chunk = (index: number, delta: object, finish: string | null, logprobs: object | null = null) =>
      sse.send({
        ...head,
        object: 'chat.completion.chunk',
        choices: [{ index, delta, logprobs, finish_reason: finish }],
      });
    results = await Promise.all(
      runs.map(async (events, index) => {
        chunk(index, { role: 'assistant', content: '' }, null);
        const gate = new ReplyGate(turn);
        const result = await runChoice(events, (piece, lp) => {
          const shown = gate.push(piece);
          if (shown || lp) chunk(index, { content: shown }, null, lp ? chatLogprobs([lp]) : null);
        });
        const done = message(turn, result);
        if (done.finish === 'tool_calls') {
          const calls = (done.message as { tool_calls: object[] }).tool_calls.map((c, k) => ({
            index: k,
            ...c,
          }));
          chunk(index, { tool_calls: calls }, null);
        } else {
          const rest = gate.rest(result.text);
          if (rest) chunk(index, { content: rest }, null);
        }
        chunk(index, {}, done.finish);
        return result;
      }),
    );
    if (body.stream_options?.include_usage)
      sse.send({
        ...head,
        object: 'chat.completion.chunk',
        choices: [],
        usage: usage(results, prompt.length),
      });
    sse.done();
  } else {
    results = await Promise.all(runs.map((events) => runChoice(events)));
    sendJSON(res, 200, {
      ...head,
      object: 'chat.completion',
      choices: results.map((r, index) => {
        const done = message(turn, r);
        return {
          index,
          message: done.message,
          logprobs: body.logprobs ? chatLogprobs(r.logprobs) : null,
          finish_reason: done.finish,
        };
      }),
      usage: usage(results, prompt.length),
    });
  }
  return {
    promptTokens: prompt.length,
    completionTokens: results.reduce((a, r) => a + r.completionTokens, 0),
    finish: [...new Set(results.map((r) => r.reason))].join(','),
  };
}
