// Models behind an OpenAI-compatible server, as the AI SDK's language models. A chat endpoint is the
// SDK's own openai-compatible provider. A raw /v1/completions endpoint (a base model, a server without
// a chat route) takes text only: here the conversation is rendered with a chat template (jielong's
// ChatML unless another is given) and tools come through the prompt (promptToolCalling), the lecture's
// function calling for a model that has nothing else. The SDK's own completion model cannot do this: it
// writes "user:\n...\n\nassistant:\n" and refuses tool messages.
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModelV3, LanguageModelV3CallOptions, SharedV3Warning } from '@ai-sdk/provider';
import { embedMany, type LanguageModel, simulateStreamingMiddleware, wrapLanguageModel } from 'ai';
import { CHATML_SPECIAL_TOKENS, CHATML_TEMPLATE, ChatTemplate, IM_END } from '../chat/index.js';
import { promptToolCalling } from './prompt-tools.js';
import { toMessages } from './provider.js';
import type { Embed } from './tool-registry.js';

export interface EndpointOptions {
  /** The server's /v1 URL, e.g. http://127.0.0.1:8000/v1. */
  baseURL: string;
  modelId: string;
  apiKey?: string;
  /** Speak to /v1/completions with a rendered prompt instead of /v1/chat/completions. */
  completions?: boolean;
  /** The template the completions prompt is rendered with (default jielong's ChatML). */
  template?: ChatTemplate;
}

/** /v1/completions as a chat model: the messages rendered to text, the reply read back whole. */
class CompletionsChatModel implements LanguageModelV3 {
  readonly specificationVersion = 'v3';
  readonly provider = 'completions';
  readonly supportedUrls = {};
  constructor(
    readonly modelId: string,
    private readonly options: EndpointOptions,
    private readonly template: ChatTemplate,
  ) {}

  async doGenerate(call: LanguageModelV3CallOptions) {
    const warnings: SharedV3Warning[] = [];
    const prompt = this.template.render(toMessages(call.prompt, warnings), {
      addGenerationPrompt: true,
      specialTokens: CHATML_SPECIAL_TOKENS,
    });
    const url = `${this.options.baseURL.replace(/\/$/, '')}/completions`;
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}),
      },
      body: JSON.stringify({
        model: this.modelId,
        prompt,
        max_tokens: call.maxOutputTokens ?? 256,
        temperature: call.temperature,
        top_p: call.topP,
        seed: call.seed,
        stop: [...(call.stopSequences ?? []), ...(this.template.eos ? [this.template.eos] : [])],
      }),
      signal: call.abortSignal,
    });
    const body = await res.text();
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}: ${body.slice(0, 300)}`);
    let json: {
      choices?: { text?: string; finish_reason?: string }[];
      usage?: { prompt_tokens?: number; completion_tokens?: number };
    };
    try {
      json = JSON.parse(body);
    } catch {
      throw new Error(`${url}: the reply is not JSON: ${body.slice(0, 300)}`);
    }
    const choice = json.choices?.[0];
    if (typeof choice?.text !== 'string') throw new Error(`${url}: the reply has no choices[0].text`);
    const input = json.usage?.prompt_tokens;
    const output = json.usage?.completion_tokens;
    return {
      content: [{ type: 'text' as const, text: choice.text }],
      finishReason: {
        unified: choice.finish_reason === 'length' ? ('length' as const) : ('stop' as const),
        raw: choice.finish_reason,
      },
      usage: {
        inputTokens: { total: input, noCache: input, cacheRead: undefined, cacheWrite: undefined },
        outputTokens: { total: output, text: output, reasoning: undefined },
      },
      warnings,
    };
  }

  async doStream(): Promise<never> {
    throw new Error('CompletionsChatModel streams through simulateStreamingMiddleware');
  }
}

const sdkProvider = (o: Pick<EndpointOptions, 'baseURL' | 'apiKey'>) =>
  createOpenAICompatible({ name: 'endpoint', baseURL: o.baseURL, apiKey: o.apiKey });

/** A language model for an OpenAI-compatible endpoint: its chat route, or its completions route. */
export function endpointModel(options: EndpointOptions): LanguageModel {
  if (!options.completions) return sdkProvider(options).chatModel(options.modelId);
  const template = options.template ?? new ChatTemplate(CHATML_TEMPLATE, { eos: IM_END });
  return wrapLanguageModel({
    model: new CompletionsChatModel(options.modelId, options, template),
    // Tool results go back as ChatML's tool turns, which the template renders.
    middleware: [promptToolCalling({ resultsAs: 'tool' }), simulateStreamingMiddleware()],
  });
}

/** The endpoint's /v1/embeddings, for tool retrieval. */
export function endpointEmbed(options: Omit<EndpointOptions, 'completions' | 'template'>): Embed {
  const model = sdkProvider(options).embeddingModel(options.modelId);
  return async (values) => (await embedMany({ model, values, maxRetries: 0 })).embeddings;
}
