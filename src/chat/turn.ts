// One assistant turn of a chat model, whoever asks for it (the HTTP server, the AI SDK provider): the
// prompt the template makes of the conversation, the text that forces a tool call when one is required,
// how the turn ends (the template's end-of-turn token, or a stop string when it is not one token), and the
// reply read back into text and tool calls.
import { StopMatcher } from '../generate/index.js';
import type { Tokenizer } from '../tokenizer/index.js';
import type { Message, ToolCall, ToolSpec } from './messages.js';
import type { ChatTemplate } from './template.js';
import { TOOL_CALL_OPEN } from './template.js';
import { parseToolCalls } from './tool-calls.js';

/** Which tools may be called: none, any (the model decides), some call, or this one. */
export type ToolChoice = 'none' | 'auto' | 'required' | { name: string };

export interface TurnRequest {
  messages: readonly Message[];
  tools?: readonly ToolSpec[];
  toolChoice?: ToolChoice;
  /** Write past the end of turn (benchmarks). */
  ignoreEos?: boolean;
}

export interface Turn {
  /** The prompt's ids: the rendered conversation, then what is forced. */
  prompt: number[];
  /** Text begun for the model (a tool call's opening); the reply is read as forced + what it writes. */
  forced: string;
  /** The tools the template listed. */
  tools: ToolSpec[];
  stopTokens: number[];
  stop: string[];
}

/** The field of a turn request that is wrong, for the caller to report in its own way. */
export class TurnError extends Error {
  constructor(
    readonly field: 'tool_choice' | 'messages',
    message: string,
  ) {
    super(message);
  }
}

export function planTurn(template: ChatTemplate, tokenizer: Tokenizer, req: TurnRequest): Turn {
  const choice = req.toolChoice ?? 'auto';
  const tools = choice === 'none' ? [] : [...(req.tools ?? [])];
  let forced = '';
  if (choice === 'required') {
    if (tools.length === 0) throw new TurnError('tool_choice', 'tool_choice "required" needs tools');
    forced = TOOL_CALL_OPEN;
  } else if (typeof choice === 'object') {
    if (!tools.some((t) => t.function.name === choice.name))
      throw new TurnError('tool_choice', `tool_choice names "${choice.name}", which is not among the tools`);
    // The call is begun for the model, up to its arguments: it can only write the arguments.
    forced = `${TOOL_CALL_OPEN}{"name": ${JSON.stringify(choice.name)}, "arguments": `;
  }
  let text: string;
  try {
    text = template.render(req.messages, { tools, specialTokens: [...tokenizer.specialTokens.keys()] });
  } catch (e) {
    throw new TurnError('messages', (e as Error).message);
  }
  // The end of turn is one special token in a chat model's vocabulary; otherwise it is a stop string.
  const eosId = template.eos ? tokenizer.specialTokens.get(template.eos) : undefined;
  const ends = !req.ignoreEos && template.eos;
  return {
    prompt: tokenizer.encode(text + forced),
    forced,
    tools,
    stopTokens: ends && eosId !== undefined ? [eosId] : [],
    stop: ends && eosId === undefined ? [template.eos!] : [],
  };
}

export interface Reply {
  content: string | null;
  toolCalls: ToolCall[];
  /** Whether the reply is calls (else text, also when the model's calls were malformed). */
  called: boolean;
  /** Why the calls the text tried to make were not taken (parseToolCalls). */
  malformed?: string;
}

/** The reply a turn wrote (after the forced text): tool calls when it holds well-formed ones. */
export function readReply(turn: Turn, written: string, newId: () => string): Reply {
  const text = turn.forced + written;
  if (turn.tools.length) {
    const parsed = parseToolCalls(text, turn.tools, newId);
    if (parsed.toolCalls.length)
      return { content: parsed.content, toolCalls: parsed.toolCalls, called: true };
    if (parsed.malformed) return { content: text, toolCalls: [], called: false, malformed: parsed.malformed };
  }
  return { content: text, toolCalls: [], called: false };
}

/**
 * A turn's text as it streams: it flows until a tool call may begin (the template's opening tag, or from
 * the start when the call was forced); what follows is held, to become calls or, if they are malformed,
 * the rest of the text.
 */
export class ReplyGate {
  private readonly gate: StopMatcher | null;
  private holding: boolean;
  /** The text let through so far. */
  private shown = '';

  constructor(private readonly turn: Turn) {
    this.gate = turn.tools.length ? new StopMatcher([TOOL_CALL_OPEN]) : null;
    this.holding = turn.forced !== '';
  }

  /** The part of the newly written `piece` that may be shown now. */
  push(piece: string): string {
    if (this.holding) return '';
    let emit = piece;
    if (this.gate) {
      const r = this.gate.push(piece);
      emit = r.emit;
      this.holding = r.stopped;
    }
    this.shown += emit;
    return emit;
  }

  /** Once the turn is over and its reply is text: what of it was not shown yet. */
  rest(written: string): string {
    return (this.turn.forced + written).slice(this.shown.length);
  }
}
