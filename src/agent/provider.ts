// A jielong chat model as an AI SDK language model (LanguageModelV3), so `generateText`, `streamText` and
// the SDK's tool loop run on a checkpoint in-process. Requests go through the serving engine, so calls
// made at the same time are decoded together as the HTTP server does. Tools are listed by the model's
// chat template and calls read back from its text (function calling through the prompt, as the lecture
// describes): the same turn the server plans (src/chat/turn.ts).
import { randomUUID } from 'node:crypto';
import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3Content,
  LanguageModelV3FinishReason,
  LanguageModelV3GenerateResult,
  LanguageModelV3Prompt,
  LanguageModelV3StreamPart,
  LanguageModelV3StreamResult,
  LanguageModelV3Usage,
  SharedV3Warning,
} from '@ai-sdk/provider';
import {
  type ChatTemplate,
  chatTemplateFor,
  type Message,
  planTurn,
  ReplyGate,
  readReply,
  type ToolChoice,
  type Turn,
} from '../chat/index.js';
import type { LanguageModel } from '../model/index.js';
import { Engine, type EngineEvent, embed, type FinishReason } from '../serve/index.js';
import type { Tokenizer, TokenizerConfig } from '../tokenizer/index.js';
import { malformedMetadata, sdkToolCall, toolResultText, toolSpecs } from './sdk-parts.js';
import type { Embed } from './tool-registry.js';

export interface JielongModelParts {
  model: LanguageModel;
  tokenizer: Tokenizer;
  tokenizerConfig?: TokenizerConfig | null;
}

export interface JielongModelOptions {
  /** The id the SDK reports (default "jielong"). */
  modelId?: string;
  /** Sequences decoded together (default 16). */
  maxBatch?: number;
}

const newCallId = () => `call_${randomUUID().replaceAll('-', '').slice(0, 24)}`;

/** The AI SDK's prompt as chat messages; what a text-only model cannot take becomes a warning. */
export function toMessages(prompt: LanguageModelV3Prompt, warnings: SharedV3Warning[]): Message[] {
  const text = (parts: readonly { type: string; text?: string }[]) =>
    parts.map((p) => {
      if (p.type === 'text' || p.type === 'reasoning') return p.text ?? '';
      warnings.push({ type: 'unsupported', feature: `${p.type} parts`, details: 'jielong models read text' });
      return '';
    });
  const out: Message[] = [];
  for (const m of prompt) {
    if (m.role === 'system') out.push({ role: 'system', content: m.content });
    else if (m.role === 'user') out.push({ role: 'user', content: text(m.content).join('') });
    else if (m.role === 'assistant') {
      const calls = m.content.filter((p) => p.type === 'tool-call');
      const content = text(m.content.filter((p) => p.type === 'text' || p.type === 'reasoning')).join('');
      out.push({
        role: 'assistant',
        content: content || null,
        ...(calls.length
          ? {
              tool_calls: calls.map((c) => ({
                id: c.toolCallId,
                type: 'function' as const,
                function: { name: c.toolName, arguments: JSON.stringify(c.input) },
              })),
            }
          : {}),
      });
    } else {
      for (const r of m.content) {
        if (r.type !== 'tool-result') continue;
        out.push({ role: 'tool', content: toolResultText(r.output), tool_call_id: r.toolCallId });
      }
    }
  }
  return out;
}

function toolChoiceOf(options: LanguageModelV3CallOptions): ToolChoice {
  const c = options.toolChoice;
  if (!c || c.type === 'auto') return 'auto';
  if (c.type === 'tool') return { name: c.toolName };
  return c.type;
}

const usageOf = (input: number, output: number): LanguageModelV3Usage => ({
  inputTokens: { total: input, noCache: input, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: output, text: output, reasoning: undefined },
});

const finishOf = (reason: FinishReason, called: boolean): LanguageModelV3FinishReason => ({
  unified: called ? 'tool-calls' : reason === 'stop' ? 'stop' : reason === 'cancelled' ? 'other' : 'length',
  raw: reason,
});

/** A jielong chat model (a loaded checkpoint with a chat template) as an AI SDK model. */
export class JielongLanguageModel implements LanguageModelV3 {
  readonly specificationVersion = 'v3';
  readonly provider = 'jielong';
  readonly modelId: string;
  readonly supportedUrls = {};
  readonly engine: Engine;
  private readonly template: ChatTemplate;

  constructor(
    private readonly parts: JielongModelParts,
    options: JielongModelOptions = {},
  ) {
    this.modelId = options.modelId ?? 'jielong';
    this.template = chatTemplateFor(parts.tokenizerConfig, this.modelId);
    this.engine = new Engine(parts.model, parts.tokenizer, { maxBatch: options.maxBatch });
  }

  /** The turn the call asks for, and its generation's events. */
  private start(options: LanguageModelV3CallOptions) {
    const warnings: SharedV3Warning[] = [];
    for (const [field, value] of [
      ['presencePenalty', options.presencePenalty],
      ['frequencyPenalty', options.frequencyPenalty],
    ] as const)
      if (value) warnings.push({ type: 'unsupported', feature: field });
    if (options.responseFormat?.type === 'json')
      warnings.push({ type: 'unsupported', feature: 'responseFormat json' });
    const turn: Turn = planTurn(this.template, this.parts.tokenizer, {
      messages: toMessages(options.prompt, warnings),
      tools: toolSpecs(options, warnings),
      toolChoice: toolChoiceOf(options),
    });
    const context = this.parts.model.config.blockSize;
    if (turn.prompt.length >= context)
      throw new Error(
        `jielong: the prompt has ${turn.prompt.length} tokens; the model's context is ${context}`,
      );
    const events = this.engine.submit({
      prompt: turn.prompt,
      maxTokens: options.maxOutputTokens ?? context,
      sampling: { temperature: options.temperature ?? 1, topP: options.topP ?? 1, topK: options.topK ?? 0 },
      seed: options.seed ?? Math.floor(Math.random() * 2 ** 31),
      stop: [...(options.stopSequences ?? []), ...turn.stop],
      stopTokens: turn.stopTokens,
      logprobs: null,
      signal: options.abortSignal,
    });
    return { turn, events, warnings };
  }

  async doGenerate(options: LanguageModelV3CallOptions): Promise<LanguageModelV3GenerateResult> {
    const { turn, events, warnings } = this.start(options);
    let written = '';
    for await (const e of events) {
      if (e.type === 'error') throw e.error;
      if (e.type === 'token') written += e.text;
      if (e.type !== 'done') continue;
      if (e.reason === 'cancelled' && options.abortSignal?.aborted) throw options.abortSignal.reason;
      const reply = readReply(turn, written, newCallId);
      const content: LanguageModelV3Content[] = [];
      if (reply.content) content.push({ type: 'text', text: reply.content });
      for (const c of reply.toolCalls) content.push(sdkToolCall(c));
      return {
        content,
        finishReason: finishOf(e.reason, reply.called),
        usage: usageOf(e.promptTokens, e.completionTokens),
        ...malformedMetadata(reply.malformed),
        warnings,
        response: { modelId: this.modelId, timestamp: new Date() },
      };
    }
    throw new Error('jielong: the generation ended without a reason');
  }

  async doStream(options: LanguageModelV3CallOptions): Promise<LanguageModelV3StreamResult> {
    const { turn, events, warnings } = this.start(options);
    const gate = new ReplyGate(turn);
    const id = 'text-0';
    const iterator = (events as AsyncIterable<EngineEvent>)[Symbol.asyncIterator]();
    let written = '';
    let opened = false;
    const stream = new ReadableStream<LanguageModelV3StreamPart>({
      start: (c) => c.enqueue({ type: 'stream-start', warnings }),
      // Each pull enqueues at least one part or closes: a pull that enqueued nothing would not be
      // called again for a reader already waiting.
      pull: async (c) => {
        let enqueued = false;
        const text = (delta: string) => {
          if (!delta) return;
          if (!opened) c.enqueue({ type: 'text-start', id });
          opened = true;
          c.enqueue({ type: 'text-delta', id, delta });
          enqueued = true;
        };
        while (!enqueued) {
          const { value: e, done } = await iterator.next();
          if (done) return c.close();
          if (e.type === 'error') {
            c.enqueue({ type: 'error', error: e.error });
            return c.close();
          }
          if (e.type === 'token') {
            written += e.text;
            text(gate.push(e.text));
            continue;
          }
          const reply = readReply(turn, written, newCallId);
          if (reply.called) {
            for (const call of reply.toolCalls) c.enqueue(sdkToolCall(call));
          } else text(gate.rest(written));
          if (opened) c.enqueue({ type: 'text-end', id });
          c.enqueue({
            type: 'finish',
            finishReason: finishOf(e.reason, reply.called),
            usage: usageOf(e.promptTokens, e.completionTokens),
            ...malformedMetadata(reply.malformed),
          });
          return c.close();
        }
      },
      cancel: () => void iterator.return?.(),
    });
    return { stream };
  }
}

/**
 * A checkpoint's own embeddings (the mean final residual stream, unit length: what jielong serve's
 * /v1/embeddings returns) for tool retrieval in-process.
 */
export function jielongEmbed(parts: Pick<JielongModelParts, 'model' | 'tokenizer'>): Embed {
  return async (texts) =>
    texts.map((t) =>
      Array.from(embed(parts.model, parts.tokenizer.encode(t).slice(-parts.model.config.blockSize))),
    );
}

/** A loaded chat checkpoint as an AI SDK model: `generateText({ model: jielong(loadCheckpoint(dir)), ... })`. */
export function jielong(parts: JielongModelParts, options: JielongModelOptions = {}): JielongLanguageModel {
  return new JielongLanguageModel(parts, options);
}
