// POST /v1/chat/completions: messages rendered by the model's chat template, the reply read back for
// tool calls in the template's format. With tools offered, streamed text stops flowing at a
// <tool_call>: what follows is held until the end, then sent as tool_calls when it parses, or as text
// (finish_reason "stop") when the model wrote a malformed call.
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { type Message, parseToolCalls, TOOL_CALL_OPEN, type ToolSpec } from '../chat/index.js';
import { StopMatcher } from '../generate/index.js';
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

/** Which tools the template lists, and the text that forces a call (tool_choice "required" or a name). */
function toolPlan(body: ChatRequest): { tools: ToolSpec[]; forced: string } {
  const choice = body.tool_choice ?? 'auto';
  const tools = choice === 'none' ? [] : (body.tools ?? []);
  if (choice === 'required' && tools.length === 0)
    throw new ApiError(400, 'tool_choice "required" needs tools', 'invalid_request_error', 'tool_choice');
  if (typeof choice === 'object') {
    const name = choice.function.name;
    if (!tools.some((t) => t.function.name === name))
      throw new ApiError(
        400,
        `tool_choice names "${name}", which is not among the tools`,
        'invalid_request_error',
        'tool_choice',
      );
    // The call is begun for the model, up to its arguments: it can only write the arguments.
    return { tools, forced: `${TOOL_CALL_OPEN}{"name": ${JSON.stringify(name)}, "arguments": ` };
  }
  return { tools, forced: choice === 'required' ? TOOL_CALL_OPEN : '' };
}

/** The assistant message for a finished choice: tool calls when the text holds well-formed ones. */
function message(text: string, result: ChoiceResult, tools: readonly ToolSpec[]) {
  if (tools.length) {
    const parsed = parseToolCalls(text, tools, () => `call_${randomUUID().replaceAll('-', '').slice(0, 24)}`);
    if (parsed.toolCalls.length)
      return {
        message: { role: 'assistant', content: parsed.content, tool_calls: parsed.toolCalls },
        finish: 'tool_calls',
      };
  }
  return { message: { role: 'assistant', content: text }, finish: openaiFinish(result.reason) };
}

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
  const { tools, forced } = toolPlan(body);
  let text: string;
  try {
    text = template.render(body.messages as Message[], { tools });
  } catch (e) {
    throw new ApiError(400, (e as Error).message, 'invalid_request_error', 'messages');
  }
  const prompt = checkPrompt(ctx, ctx.tokenizer.encode(text + forced), 'messages');
  // The end of turn is one special token in a chat model's vocabulary; otherwise it is a stop string.
  const eosId = template.eos ? ctx.tokenizer.specialTokens.get(template.eos) : undefined;
  const eosStop = template.eos && eosId === undefined && !body.ignore_eos ? [template.eos] : [];
  const stop =
    body.stop == null ? eosStop : [...(typeof body.stop === 'string' ? [body.stop] : body.stop), ...eosStop];
  const n = body.n ?? 1;
  const seed = baseSeed(body);
  const runs = Array.from({ length: n }, (_, index) =>
    submit(
      ctx,
      engineRequest({ ...body, stop }, prompt, {
        ctx,
        maxTokens: body.max_completion_tokens ?? body.max_tokens ?? ctx.model.config.blockSize,
        stopTokens: eosId === undefined || body.ignore_eos ? [] : [eosId],
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
        // Text flows until a tool call may begin; from there it is held for parsing.
        const gate = tools.length ? new StopMatcher([TOOL_CALL_OPEN]) : null;
        let holding = forced !== '';
        let streamed = '';
        const send = (piece: string, lp?: Logprob) => {
          if (!piece && !lp) return;
          streamed += piece;
          chunk(index, { content: piece }, null, lp ? chatLogprobs([lp]) : null);
        };
        const result = await runChoice(events, (piece, lp) => {
          if (holding) return;
          if (!gate) return send(piece, lp);
          const { emit, stopped } = gate.push(piece);
          send(emit, lp);
          holding = stopped;
        });
        const full = forced + result.text;
        const done = message(full, result, tools);
        if (done.finish === 'tool_calls') {
          const calls = (done.message as { tool_calls: object[] }).tool_calls.map((c, k) => ({
            index: k,
            ...c,
          }));
          chunk(index, { tool_calls: calls }, null);
        } else if (full.length > streamed.length) {
          send(full.slice(streamed.length));
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
        const done = message(forced + r.text, r, tools);
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
