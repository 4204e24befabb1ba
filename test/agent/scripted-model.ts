// A scripted AI SDK model for the loop's mechanics only (budgets, cancellation, schema errors,
// interruption): each call's reply comes from a script, never from a decision. Tests of what an agent
// does use a real model (test/agent/provider.test.ts, models/chat).
import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3StreamPart,
} from '@ai-sdk/provider';

const USAGE = {
  inputTokens: { total: 10, noCache: 10, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 5, text: 5, reasoning: undefined },
};

export type ScriptedReply = { text: string } | { calls: { name: string; input: unknown }[] };

export class ScriptedModel implements LanguageModelV3 {
  readonly specificationVersion = 'v3';
  readonly provider = 'script';
  readonly modelId = 'script';
  readonly supportedUrls = {};
  /** Every call's prompt, as the model received it. */
  readonly prompts: LanguageModelV3CallOptions['prompt'][] = [];

  constructor(
    private readonly script: (call: number, options: LanguageModelV3CallOptions) => ScriptedReply,
    /** Milliseconds between streamed parts (to abort in the middle of a generation). */
    private readonly delayMs = 0,
  ) {}

  /** The same script, whole (generateText: the agent's planning calls). */
  async doGenerate(options: LanguageModelV3CallOptions) {
    this.prompts.push(options.prompt);
    const reply = this.script(this.prompts.length - 1, options);
    if (!('text' in reply)) throw new Error('ScriptedModel generates text only');
    return {
      content: [{ type: 'text' as const, text: reply.text }],
      finishReason: { unified: 'stop' as const, raw: undefined },
      usage: USAGE,
      warnings: [],
    };
  }

  async doStream(options: LanguageModelV3CallOptions) {
    this.prompts.push(options.prompt);
    const reply = this.script(this.prompts.length - 1, options);
    const parts: LanguageModelV3StreamPart[] = [{ type: 'stream-start', warnings: [] }];
    if ('text' in reply) {
      parts.push({ type: 'text-start', id: 't' });
      for (const word of reply.text.split(/(?= )/)) parts.push({ type: 'text-delta', id: 't', delta: word });
      parts.push({ type: 'text-end', id: 't' });
    } else {
      for (const [i, c] of reply.calls.entries()) {
        const toolCallId = `c${this.prompts.length}-${i}`;
        parts.push({ type: 'tool-call', toolCallId, toolName: c.name, input: JSON.stringify(c.input) });
      }
    }
    parts.push({
      type: 'finish',
      finishReason: { unified: 'text' in reply ? 'stop' : 'tool-calls', raw: undefined },
      usage: USAGE,
    });
    const signal = options.abortSignal;
    const delay = this.delayMs;
    const stream = new ReadableStream<LanguageModelV3StreamPart>({
      async pull(c) {
        if (delay) await new Promise((r) => setTimeout(r, delay));
        if (signal?.aborted) return c.error(signal.reason);
        const next = parts.shift();
        if (next) c.enqueue(next);
        else c.close();
      },
    });
    return { stream };
  }
}
