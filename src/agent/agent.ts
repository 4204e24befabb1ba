// The agent loop of the second lecture: given a goal, the model observes, acts (calls tools), observes
// the results, and goes on until it answers or a budget runs out. The AI SDK runs the tool loop
// (streamText with stopWhen); this adds what the lecture asks of an agent around it: budgets of steps,
// tokens and wall-clock time; cancellation by AbortSignal, at once, mid-generation too; per-tool time
// limits and results kept to a size a model can read; every step as typed events; and interruption, new
// user input delivered at the next step boundary.
import {
  type LanguageModel,
  type ModelMessage,
  type StopCondition,
  stepCountIs,
  streamText,
  type ToolSet,
} from 'ai';
import { Channel } from '../serve/channel.js';
import { type Embed, ToolRegistry } from './tool-registry.js';

export interface AgentBudget {
  /** Model calls at most (default 10). */
  steps?: number;
  /** Input plus output tokens over all steps at most (checked after each step). */
  tokens?: number;
  /** Seconds the whole run may take. */
  seconds?: number;
}

export interface AgentOptions<TOOLS extends ToolSet> {
  model: LanguageModel;
  tools?: TOOLS;
  /** The system message. */
  instructions?: string;
  budget?: AgentBudget;
  /** Milliseconds a tool may run before its call fails as an observation (default 10,000). */
  toolTimeoutMs?: number;
  /** Characters of a tool result the model is shown at most (default 4,000); more is cut, and says so. */
  maxResultChars?: number;
  temperature?: number;
  maxOutputTokens?: number;
  /**
   * Show the model only this many tools per step, the ones whose manuals best fit the goal (and any
   * interruption): a ToolRegistry ranks them, by `embed` when given, else by BM25.
   */
  toolsPerStep?: number;
  embed?: Embed;
}

export type FinishedBecause = 'done' | 'steps' | 'tokens' | 'time' | 'aborted' | 'error';

export type AgentEvent =
  | { type: 'step'; step: number }
  | { type: 'text'; text: string }
  | { type: 'tool-call'; toolCallId: string; toolName: string; input: unknown }
  | { type: 'tool-result'; toolCallId: string; toolName: string; output: unknown }
  | { type: 'tool-error'; toolCallId: string; toolName: string; error: string }
  | { type: 'interrupt'; text: string }
  | { type: 'tools'; names: string[] }
  | { type: 'final'; text: string; reason: FinishedBecause; steps: number; tokens: number; error?: string };

export type AgentResult = Extract<AgentEvent, { type: 'final' }>;

/** A tool whose execute is held to a time limit, its result to a size. */
function guarded<T extends ToolSet>(tools: T, timeoutMs: number, maxChars: number, signal: AbortSignal): T {
  const out: ToolSet = {};
  for (const [name, t] of Object.entries(tools)) {
    const execute = t.execute;
    if (!execute) {
      out[name] = t;
      continue;
    }
    out[name] = {
      ...t,
      execute: async (input: unknown, options: Parameters<typeof execute>[1]) => {
        let timer: NodeJS.Timeout | undefined;
        const limit = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`${name} took longer than its ${timeoutMs} ms limit`)),
            timeoutMs,
          );
        });
        try {
          const result = await Promise.race([
            execute(input as never, { ...options, abortSignal: signal }),
            limit,
          ]);
          const text = typeof result === 'string' ? result : JSON.stringify(result);
          if (text !== undefined && text.length > maxChars)
            return `${text.slice(0, maxChars)} [cut: the result was ${text.length} characters]`;
          return result;
        } finally {
          clearTimeout(timer);
        }
      },
    } as typeof t;
  }
  return out as T;
}

export class AgentRun implements AsyncIterable<AgentEvent> {
  private readonly events = new Channel<AgentEvent>();
  private readonly pending: string[] = [];
  /** Resolves with the final event, whatever ends the run. */
  readonly result: Promise<AgentResult>;

  constructor(start: (run: AgentRun) => Promise<AgentResult>) {
    // The loop turns every failure into a final event; this catches a bug in it, so no reader waits forever.
    this.result = start(this)
      .catch(
        (e: Error): AgentResult => ({
          type: 'final',
          text: '',
          reason: 'error',
          steps: 0,
          tokens: 0,
          error: e.message,
        }),
      )
      .then((final) => {
        this.emit(final);
        this.events.close();
        return final;
      });
  }

  /** New user input: given to the model at the next step boundary (the current generation finishes first). */
  interrupt(text: string): void {
    this.pending.push(text);
  }

  /** @internal the loop's side */
  emit(event: AgentEvent): void {
    this.events.push(event);
  }

  /** @internal */
  takeInterruptions(): string[] {
    return this.pending.splice(0);
  }

  [Symbol.asyncIterator](): AsyncIterator<AgentEvent> {
    return this.events[Symbol.asyncIterator]();
  }
}

export class Agent<TOOLS extends ToolSet = ToolSet> {
  constructor(readonly options: AgentOptions<TOOLS>) {}

  /** Works on `goal` until the model answers or a budget runs out; events stream as they happen. */
  run(goal: string, options: { signal?: AbortSignal } = {}): AgentRun {
    return new AgentRun((run) => this.loop(goal, run, options.signal));
  }

  private async loop(goal: string, run: AgentRun, signal?: AbortSignal): Promise<AgentResult> {
    const o = this.options;
    const budget = { steps: 10, ...o.budget };
    const clock = budget.seconds === undefined ? null : AbortSignal.timeout(budget.seconds * 1000);
    const stop = AbortSignal.any([signal, clock].filter((s): s is AbortSignal => s != null));
    let tokens = 0;
    let steps = 0;
    let text = '';
    const overTokens: StopCondition<TOOLS> = () => budget.tokens !== undefined && tokens >= budget.tokens;
    const messages: ModelMessage[] = [{ role: 'user', content: goal }];
    const interruptions: { at: number; message: { role: 'user'; content: string } }[] = [];
    const tools = o.tools ?? ({} as TOOLS);
    const registry =
      o.toolsPerStep !== undefined && Object.keys(tools).length > o.toolsPerStep
        ? await ToolRegistry.create(tools, { embed: o.embed })
        : null;
    const finish = (reason: FinishedBecause, error?: string): AgentResult => ({
      type: 'final',
      text,
      reason,
      steps,
      tokens,
      ...(error ? { error } : {}),
    });
    try {
      const result = streamText({
        model: o.model,
        system: o.instructions,
        messages,
        tools: o.tools
          ? guarded(o.tools, o.toolTimeoutMs ?? 10_000, o.maxResultChars ?? 4000, stop)
          : undefined,
        stopWhen: [stepCountIs(budget.steps), overTokens],
        abortSignal: stop,
        temperature: o.temperature,
        maxOutputTokens: o.maxOutputTokens,
        maxRetries: 0,
        onError: () => {}, // errors arrive as stream parts and end the run with reason 'error'
        // An interruption joins the conversation where it arrived, and stays there in every later step
        // (the SDK rebuilds each step's messages from the goal and the responses so far).
        prepareStep: async ({ messages: sofar }) => {
          for (const t of run.takeInterruptions()) {
            run.emit({ type: 'interrupt', text: t });
            interruptions.push({ at: sofar.length, message: { role: 'user', content: t } });
          }
          const activeTools = registry
            ? await registry.select(
                [goal, ...interruptions.map((i) => i.message.content)].join('\n'),
                o.toolsPerStep!,
              )
            : undefined;
          if (activeTools) run.emit({ type: 'tools', names: activeTools });
          const out = [...sofar];
          for (const { at, message } of [...interruptions].reverse()) out.splice(at, 0, message);
          return { messages: out, activeTools };
        },
      });
      let last: 'tool-calls' | string = 'stop';
      let failed: unknown = null;
      for await (const part of result.fullStream) {
        if (part.type === 'start-step') {
          steps++;
          text = '';
          run.emit({ type: 'step', step: steps });
        } else if (part.type === 'text-delta') {
          text += part.text;
          run.emit({ type: 'text', text: part.text });
        } else if (part.type === 'tool-call') {
          run.emit({
            type: 'tool-call',
            toolCallId: part.toolCallId,
            toolName: part.toolName,
            input: part.input,
          });
        } else if (part.type === 'tool-result') {
          run.emit({
            type: 'tool-result',
            toolCallId: part.toolCallId,
            toolName: part.toolName,
            output: part.output,
          });
        } else if (part.type === 'tool-error') {
          const error = part.error instanceof Error ? part.error.message : String(part.error);
          run.emit({ type: 'tool-error', toolCallId: part.toolCallId, toolName: part.toolName, error });
        } else if (part.type === 'finish-step') {
          tokens += (part.usage.inputTokens ?? 0) + (part.usage.outputTokens ?? 0);
          last = part.finishReason;
        } else if (part.type === 'error') {
          failed = part.error;
        }
      }
      if (clock?.aborted) return finish('time');
      if (signal?.aborted) return finish('aborted');
      if (failed) return finish('error', failed instanceof Error ? failed.message : String(failed));
      if (last !== 'tool-calls') return finish('done');
      return finish(budget.tokens !== undefined && tokens >= budget.tokens ? 'tokens' : 'steps');
    } catch (e) {
      if (clock?.aborted) return finish('time');
      if (signal?.aborted) return finish('aborted');
      return finish('error', (e as Error).message);
    }
  }
}
