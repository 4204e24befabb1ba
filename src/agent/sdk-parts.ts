// The AI SDK's tool shapes to and from the chat layer's (OpenAI's), shared by the jielong provider and
// the prompt function-calling middleware.
import type {
  LanguageModelV3CallOptions,
  LanguageModelV3ToolCall,
  LanguageModelV3ToolResultOutput,
  SharedV3Warning,
} from '@ai-sdk/provider';
import type { ToolCall, ToolSpec } from '../chat/index.js';

/** The call's function tools as chat tool specs; a provider-defined tool is a warning, when asked for. */
export function toolSpecs(options: LanguageModelV3CallOptions, warnings?: SharedV3Warning[]): ToolSpec[] {
  const specs: ToolSpec[] = [];
  for (const t of options.tools ?? []) {
    if (t.type !== 'function') {
      warnings?.push({ type: 'unsupported', feature: `provider tool ${t.id}` });
      continue;
    }
    const parameters = t.inputSchema as Record<string, unknown>;
    specs.push({ type: 'function', function: { name: t.name, description: t.description, parameters } });
  }
  return specs;
}

/** A tool result as the text a model reads (a string result as itself, not quoted JSON). */
export function toolResultText(o: LanguageModelV3ToolResultOutput): string {
  if (o.type === 'text' || o.type === 'error-text') return o.value;
  if (o.type === 'json' || o.type === 'error-json')
    return typeof o.value === 'string' ? o.value : JSON.stringify(o.value);
  if (o.type === 'execution-denied') return `denied${o.reason ? `: ${o.reason}` : ''}`;
  return JSON.stringify(o);
}

/** A call read from a model's text as the SDK's tool-call part. */
export const sdkToolCall = (c: ToolCall): LanguageModelV3ToolCall => ({
  type: 'tool-call',
  toolCallId: c.id,
  toolName: c.function.name,
  input: c.function.arguments,
});

/**
 * What a provider tells the agent when the model tried to call a tool and wrote something unreadable:
 * the reply stays text (as the chat API promises), and this names why it is not a call.
 */
export const malformedMetadata = (malformed: string | undefined) =>
  malformed ? { providerMetadata: { jielong: { malformedToolCall: malformed } } } : {};

export function malformedOf(metadata: unknown): string | undefined {
  const m = (metadata as { jielong?: { malformedToolCall?: unknown } } | undefined)?.jielong
    ?.malformedToolCall;
  return typeof m === 'string' ? m : undefined;
}
