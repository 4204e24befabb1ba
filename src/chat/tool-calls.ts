// Reading tool calls out of what a model wrote. A model calls a tool by writing, in its reply,
// <tool_call>{"name": "lookup", "arguments": {"subject": "Ada Lin"}}</tool_call> (the chat template's
// format). Small models get this wrong: a call that does not parse, names no offered tool or has no
// object of arguments makes the whole reply plain text, as the server promises (finish_reason "stop").
import type { ToolCall, ToolSpec } from './messages.js';
import { TOOL_CALL_CLOSE, TOOL_CALL_OPEN } from './template.js';

export interface ParsedReply {
  /** The text outside the calls (null when there is none and calls were made). */
  content: string | null;
  toolCalls: ToolCall[];
  /** Why the calls in the text were not taken, when the text tried to make some. */
  malformed?: string;
}

const CALL = /<tool_call>([\s\S]*?)<\/tool_call>/g;

/** The calls in `text` to tools among `tools`; ids come from `newId` (OpenAI's "call_..." style). */
export function parseToolCalls(text: string, tools: readonly ToolSpec[], newId: () => string): ParsedReply {
  if (!text.includes(TOOL_CALL_OPEN) && !text.includes(TOOL_CALL_CLOSE))
    return { content: text, toolCalls: [] };
  const plain = (malformed: string): ParsedReply => ({ content: text, toolCalls: [], malformed });
  const names = new Set(tools.map((t) => t.function.name));
  const calls: ToolCall[] = [];
  for (const m of text.matchAll(CALL)) {
    let call: unknown;
    try {
      call = JSON.parse(m[1].trim());
    } catch {
      return plain(`call ${calls.length + 1} is not JSON`);
    }
    if (typeof call !== 'object' || call === null || Array.isArray(call))
      return plain('a call is not an object');
    const { name, arguments: args } = call as { name?: unknown; arguments?: unknown };
    if (typeof name !== 'string' || !names.has(name))
      return plain(`call names ${JSON.stringify(name)}, which is not an offered tool`);
    let parsedArgs = args ?? {};
    if (typeof parsedArgs === 'string') {
      try {
        parsedArgs = JSON.parse(parsedArgs);
      } catch {
        return plain(`the arguments of ${name} are not JSON`);
      }
    }
    if (typeof parsedArgs !== 'object' || parsedArgs === null || Array.isArray(parsedArgs))
      return plain(`the arguments of ${name} are not an object`);
    calls.push({ id: newId(), type: 'function', function: { name, arguments: JSON.stringify(parsedArgs) } });
  }
  const rest = text.replace(CALL, '');
  if (rest.includes(TOOL_CALL_OPEN) || rest.includes(TOOL_CALL_CLOSE))
    return plain('a <tool_call> is not closed');
  const content = rest.trim();
  return { content: content.length ? content : null, toolCalls: calls };
}
