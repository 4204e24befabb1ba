// The chat template: how a conversation becomes the one text a language model continues. It is a Jinja
// string in tokenizer_config.json, as in every Hugging Face chat model, rendered here by @huggingface/jinja
// (the engine transformers.js uses), so a template imported with a model renders as it does in Python.
// jielong's own is ChatML (<|im_start|>role ... <|im_end|>) with tools listed in the system turn and
// calls written as <tool_call>{"name": ..., "arguments": {...}}</tool_call>, the Hermes/Qwen format.
import { Template } from '@huggingface/jinja';
import { chatTemplateOf, type TokenizerConfig, tokenString } from '../tokenizer/index.js';
import type { Message, ToolSpec } from './messages.js';

export const IM_START = '<|im_start|>';
export const IM_END = '<|im_end|>';
export const TOOL_CALL_OPEN = '<tool_call>';
export const TOOL_CALL_CLOSE = '</tool_call>';

/** The special tokens jielong's template needs in the tokenizer (each one id, never split). */
export const CHATML_SPECIAL_TOKENS = [IM_START, IM_END, TOOL_CALL_OPEN, TOOL_CALL_CLOSE] as const;

// Compact on purpose: a model trained here has a context of a few hundred tokens, so the tool list is one
// JSON line per tool and one line of instructions. Arguments arrive as OpenAI's JSON string or as an object.
export const CHATML_TEMPLATE = `{%- if tools -%}
<|im_start|>system
{% if messages[0].role == 'system' %}{{ messages[0].content }}
{% endif %}Tools:
{% for tool in tools %}{{ tool.function | tojson }}
{% endfor %}Call one as <tool_call>{"name": ..., "arguments": {...}}</tool_call><|im_end|>
{% endif -%}
{%- for message in messages -%}
{%- if not (tools and loop.first and message.role == 'system') -%}
<|im_start|>{{ message.role }}
{% if message.content %}{{ message.content }}{% endif -%}
{%- if message.tool_calls -%}
{%- for call in message.tool_calls -%}
<tool_call>{"name": {{ call.function.name | tojson }}, "arguments": {% if call.function.arguments is string %}{{ call.function.arguments }}{% else %}{{ call.function.arguments | tojson }}{% endif %}}</tool_call>
{%- endfor -%}
{%- endif -%}
<|im_end|>
{% endif -%}
{%- endfor -%}
{%- if add_generation_prompt -%}
<|im_start|>assistant
{% endif -%}`;

/** tokenizer_config.json for a model that speaks jielong's ChatML. */
export function chatmlTokenizerConfig(): TokenizerConfig {
  return {
    chat_template: CHATML_TEMPLATE,
    eos_token: IM_END,
    pad_token: IM_END,
    bos_token: null,
    add_bos_token: false,
    add_eos_token: false,
  };
}

export interface RenderOptions {
  tools?: ToolSpec[];
  /**
   * The tokenizer's special tokens: where a user's or a tool's message spells one ("<|im_end|>" in a
   * tool result), a zero-width space goes after its first character, so text from outside can never
   * become a token that ends a turn or opens another (a tool result forging an assistant turn). System
   * and assistant messages keep theirs: the tool block and earlier calls are written with them.
   */
  specialTokens?: readonly string[];
  /** End with the opening of an assistant turn, for the model to write (default true). */
  addGenerationPrompt?: boolean;
}

export class ChatTemplate {
  private readonly template: Template;
  /** The text that ends an assistant turn (the eos token): generation stops on it. */
  readonly eos: string | null;
  private readonly bos: string | null;

  constructor(
    readonly source: string,
    specials: { bos?: string | null; eos?: string | null } = {},
  ) {
    try {
      this.template = new Template(source);
    } catch (e) {
      throw new Error(`chat template: cannot parse it: ${(e as Error).message}`);
    }
    this.eos = specials.eos ?? null;
    this.bos = specials.bos ?? null;
  }

  /** The template of a tokenizer_config.json, or null when it has none (a base model). */
  static fromConfig(config: TokenizerConfig | null): ChatTemplate | null {
    const source = config ? chatTemplateOf(config) : null;
    if (source === null || config === null) return null;
    return new ChatTemplate(source, {
      bos: tokenString(config.bos_token),
      eos: tokenString(config.eos_token),
    });
  }

  render(messages: readonly Message[], options: RenderOptions = {}): string {
    try {
      return this.template.render({
        messages: options.specialTokens?.length ? literalMessages(messages, options.specialTokens) : messages,
        tools: options.tools?.length ? options.tools : undefined,
        add_generation_prompt: options.addGenerationPrompt ?? true,
        bos_token: this.bos ?? '',
        eos_token: this.eos ?? '',
      });
    } catch (e) {
      throw new Error(`chat template: rendering failed: ${(e as Error).message}`);
    }
  }
}

/** `text` with every spelled special token broken by a zero-width space after its first character. */
export function neutraliseSpecialTokens(text: string, specialTokens: readonly string[]): string {
  let out = text;
  for (const t of specialTokens)
    if (t.length > 1 && out.includes(t)) out = out.split(t).join(`${t[0]}\u200b${t.slice(1)}`);
  return out;
}

/** Messages whose user and tool texts have their special tokens neutralised. */
function literalMessages(messages: readonly Message[], specialTokens: readonly string[]): Message[] {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return neutraliseSpecialTokens(v, specialTokens);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object')
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return messages.map((m) => (m.role === 'user' || m.role === 'tool' ? (walk(m) as Message) : m));
}

/** JSON as Python's json.dumps and Jinja's tojson write it: ", " and ": " between items. */
export function pythonJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${JSON.stringify(k)}: ${pythonJson(v)}`)
      .join(', ')}}`;
  return JSON.stringify(value);
}

/**
 * The tool block of CHATML_TEMPLATE's system turn, as text: what a model without native tool calling
 * is given in its system message (src/agent's promptToolCalling), so that a model trained on jielong's
 * template sees the same prompt either way (tested against the template's own rendering).
 */
export function chatmlToolBlock(tools: readonly ToolSpec[]): string {
  const lines = tools.map((t) => pythonJson(t.function)).join('\n');
  return `Tools:\n${lines}\nCall one as ${TOOL_CALL_OPEN}{"name": ..., "arguments": {...}}${TOOL_CALL_CLOSE}`;
}

/** An assistant's tool call as CHATML_TEMPLATE writes it. */
export function chatmlToolCall(name: string, args: string): string {
  return `${TOOL_CALL_OPEN}{"name": ${JSON.stringify(name)}, "arguments": ${args}}${TOOL_CALL_CLOSE}`;
}
