// Function calling through the prompt, for models and endpoints without native tool calling (a base
// model, a server started without tool support): the lecture's way. The tool list and the call format
// go into the system message; the model's calls are read back from its text; earlier calls are written
// into the conversation as the text the model would have written. One AI SDK middleware
// (`wrapLanguageModel({ model, middleware: promptToolCalling() })`) for every provider that needs it.
// The block and the call format are jielong's ChatML ones, so a model trained on jielong's template
// sees the very prompt it learned, whether the tools come natively or through this.
import type {
  LanguageModelV3CallOptions,
  LanguageModelV3Content,
  LanguageModelV3Middleware,
  LanguageModelV3Prompt,
  LanguageModelV3StreamPart,
} from '@ai-sdk/provider';
import { chatmlToolBlock, chatmlToolCall, parseToolCalls, type ToolSpec } from '../chat/index.js';
import { malformedMetadata, sdkToolCall, toolResultText, toolSpecs } from './sdk-parts.js';

export interface PromptToolCallingOptions {
  /**
   * How tool results go back: as `tool` messages (chat servers that accept them without native tools,
   * as jielong serve does), or as `user` messages saying what the tool returned (any chat endpoint).
   */
  resultsAs?: 'tool' | 'user';
}

/** The prompt with the tools in the system message and every call and result as plain messages. */
function rewrite(
  prompt: LanguageModelV3Prompt,
  tools: ToolSpec[],
  resultsAs: 'tool' | 'user',
): LanguageModelV3Prompt {
  const block = chatmlToolBlock(tools);
  const out: LanguageModelV3Prompt = [];
  const system = prompt.find((m) => m.role === 'system');
  out.push({ role: 'system', content: system ? `${system.content}\n${block}` : block });
  for (const m of prompt) {
    if (m.role === 'system') continue;
    if (m.role === 'assistant') {
      out.push({
        ...m,
        content: m.content.map((p) =>
          p.type === 'tool-call'
            ? { type: 'text' as const, text: chatmlToolCall(p.toolName, JSON.stringify(p.input)) }
            : p,
        ),
      });
    } else if (m.role === 'tool' && resultsAs === 'user') {
      const text = m.content
        .map((p) => (p.type === 'tool-result' ? `${p.toolName} returned: ${toolResultText(p.output)}` : ''))
        .join('\n');
      out.push({ role: 'user', content: [{ type: 'text', text }] });
    } else out.push(m);
  }
  return out;
}

/** Text content read back into text and tool calls. */
function readCalls(
  content: LanguageModelV3Content[],
  tools: ToolSpec[],
): { content: LanguageModelV3Content[]; called: boolean; malformed?: string } {
  const out: LanguageModelV3Content[] = [];
  let called = false;
  let malformed: string | undefined;
  let n = 0;
  for (const c of content) {
    if (c.type !== 'text') {
      out.push(c);
      continue;
    }
    const parsed = parseToolCalls(c.text, tools, () => `call_prompt_${n++}`);
    malformed ??= parsed.malformed;
    if (!parsed.toolCalls.length) {
      out.push(c);
      continue;
    }
    called = true;
    if (parsed.content) out.push({ type: 'text', text: parsed.content });
    for (const t of parsed.toolCalls) out.push(sdkToolCall(t));
  }
  return { content: out, called, ...(called ? {} : { malformed }) };
}

export function promptToolCalling(options: PromptToolCallingOptions = {}): LanguageModelV3Middleware {
  const resultsAs = options.resultsAs ?? 'user';
  // The tools of the call being wrapped, kept from transformParams for reading the reply.
  const toolsOf = new WeakMap<LanguageModelV3CallOptions, ToolSpec[]>();
  return {
    specificationVersion: 'v3',
    transformParams: async ({ params }) => {
      const tools = toolSpecs(params);
      if (!tools.length) return params;
      const next: LanguageModelV3CallOptions = {
        ...params,
        prompt: rewrite(params.prompt, tools, resultsAs),
        tools: undefined,
        toolChoice: undefined,
      };
      toolsOf.set(next, tools);
      return next;
    },
    wrapGenerate: async ({ doGenerate, params }) => {
      const result = await doGenerate();
      const tools = toolsOf.get(params);
      if (!tools) return result;
      const { content, called, malformed } = readCalls(result.content, tools);
      return {
        ...result,
        ...malformedMetadata(malformed),
        content,
        finishReason: called ? { unified: 'tool-calls', raw: result.finishReason.raw } : result.finishReason,
      };
    },
    // The reply is read whole before its calls can be known: with tools, the stream is collected, then
    // given out as the generate result would be.
    wrapStream: async ({ doStream, params }) => {
      const result = await doStream();
      const tools = toolsOf.get(params);
      if (!tools) return result;
      const parts: LanguageModelV3StreamPart[] = [];
      const reader = result.stream.getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parts.push(value);
      }
      const text = parts.flatMap((p) => (p.type === 'text-delta' ? [p.delta] : [])).join('');
      const { content, called, malformed } = readCalls(text ? [{ type: 'text', text }] : [], tools);
      const out: LanguageModelV3StreamPart[] = parts.filter(
        (p) => !p.type.startsWith('text-') && p.type !== 'finish',
      );
      for (const c of content) {
        if (c.type === 'text')
          out.push(
            { type: 'text-start', id: 't' },
            { type: 'text-delta', id: 't', delta: c.text },
            { type: 'text-end', id: 't' },
          );
        else if (c.type === 'tool-call') out.push(c);
      }
      const finish = parts.find((p) => p.type === 'finish');
      if (finish && finish.type === 'finish')
        out.push({
          ...finish,
          ...malformedMetadata(malformed),
          finishReason: called
            ? { unified: 'tool-calls', raw: finish.finishReason.raw }
            : finish.finishReason,
        });
      return {
        ...result,
        stream: new ReadableStream({
          start: (c) => {
            for (const p of out) c.enqueue(p);
            c.close();
          },
        }),
      };
    },
  };
}
