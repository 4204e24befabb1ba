// The agent loop of the second lecture: given a goal, the model observes, acts (calls tools), observes
// the results, and goes on until it answers or a budget runs out. The AI SDK runs the tool loop
// (streamText with stopWhen); this adds what the lecture asks of an agent around it: budgets of steps,
// tokens and wall-clock time; cancellation by AbortSignal, at once, mid-generation too; per-tool time
// limits and results kept to a size a model can read; every step as typed events; and interruption, new
// user input delivered at the next step boundary; and planning, where the plan is part of the loop's
// state: made by the model when asked (PLAN_REQUEST), shown to it in the system message while it acts,
// and made again after every observation ('replan') or only when the user says something new
// ('plan-then-act'). An interruption re-plans under either strategy.
import {
  generateText,
  type LanguageModel,
  type ModelMessage,
  type StopCondition,
  stepCountIs,
  streamText,
  type ToolSet,
} from 'ai';
import { PLAN_REQUEST, parsePlan, withPlan } from '../chat/index.js';
import type { PlanningStrategy } from '../data/index.js';
import { Channel } from '../serve/channel.js';
import { malformedOf } from './sdk-parts.js';
import { type Embed, ToolRegistry } from './tool-registry.js';

export interface AgentBudget {
  /** Acting model calls at most (default 10); planning calls are not steps. */
  steps?: number;
  /** Input plus output tokens of all model calls at most, planning included (checked after each step). */
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
  /** Example requests per tool, joining its manual for retrieval (ToolRegistryOptions.examples). */
  examples?: Record<string, string[]>;
  /** The registry to rank with, made once for many runs over the same tools (else each run makes one). */
  registry?: ToolRegistry;
  /**
   * Plan before acting: 'plan-then-act' plans once (and again only on an interruption), 'replan' plans
   * again after every step that observed something. Absent: no plan, the model acts on the goal alone.
   */
  planning?: PlanningStrategy;
  /** End the run when the model makes the same calls this many steps running (default 3). */
  maxRepeats?: number;
}

export type FinishedBecause = 'done' | 'steps' | 'tokens' | 'time' | 'loop' | 'aborted' | 'error';

/** Why a plan was made: the run began, a step observed something, or the user said something new. */
export type PlanReason = 'start' | 'observation' | 'interruption';

export type AgentEvent =
  | { type: 'step'; step: number }
  /** What the model is given for a step: the system message and the conversation (for the trace). */
  | { type: 'prompt'; step: number; system?: string; messages: ModelMessage[] }
  /** What a step cost and how it ended. */
  | { type: 'usage'; step: number; inputTokens: number; outputTokens: number; finishReason: string }
  | { type: 'text'; text: string }
  | { type: 'tool-call'; toolCallId: string; toolName: string; input: unknown }
  | { type: 'tool-result'; toolCallId: string; toolName: string; output: unknown }
  | { type: 'tool-error'; toolCallId: string; toolName: string; error: string }
  | { type: 'interrupt'; text: string }
  | { type: 'tools'; names: string[] }
  | { type: 'plan'; steps: string[]; revision: number; reason: PlanReason }
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

  /** @internal whether user input is waiting for the next step */
  get interrupted(): boolean {
    return this.pending.length > 0;
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
    const repeats = o.maxRepeats ?? 3;
    if (!Number.isInteger(repeats) || repeats < 2)
      throw new Error(`Agent: maxRepeats must be an integer of at least 2, got ${repeats}`);
    const clock = budget.seconds === undefined ? null : AbortSignal.timeout(budget.seconds * 1000);
    const stop = AbortSignal.any([signal, clock].filter((s): s is AbortSignal => s != null));
    let tokens = 0; // all model calls so far, planning included
    let steps = 0;
    let text = '';
    let plan: string[] | null = null;
    let revision = 0;
    let looped = false;
    const used = (done: readonly { usage: { totalTokens?: number } }[]) =>
      done.reduce((a, st) => a + (st.usage.totalTokens ?? 0), 0);
    // Counted from the steps the SDK hands over (not from the stream, which may lag behind it).
    let before = 0; // tokens spent before the current streamText call and its planning
    const overTokens: StopCondition<TOOLS> = ({ steps: done }) =>
      budget.tokens !== undefined && before + used(done) >= budget.tokens;
    // The same calls (names and arguments) step after step: the model is stuck; more steps change nothing.
    const loops: StopCondition<TOOLS> = ({ steps: done }) => {
      if (done.length < repeats) return false;
      const calls = done
        .slice(-repeats)
        .map((st) => JSON.stringify(st.toolCalls.map((c) => [c.toolName, c.input])));
      looped = calls[0] !== '[]' && calls.every((c) => c === calls[0]);
      return looped;
    };
    const makePlan = async (sofar: ModelMessage[]): Promise<string[] | null> => {
      const r = await generateText({
        model: o.model,
        system: o.instructions,
        messages: [...sofar, { role: 'user', content: PLAN_REQUEST }],
        abortSignal: stop,
        temperature: o.temperature,
        maxOutputTokens: o.maxOutputTokens,
        maxRetries: 0,
      });
      const spent = (r.usage.inputTokens ?? 0) + (r.usage.outputTokens ?? 0);
      tokens += spent;
      before += spent;
      const steps = parsePlan(r.text);
      return steps.length ? steps : null; // nothing readable: no plan, and it is asked for again
    };
    let messages: ModelMessage[] = [{ role: 'user', content: goal }];
    const tools = o.tools ?? ({} as TOOLS);
    const registry =
      o.toolsPerStep !== undefined && Object.keys(tools).length > o.toolsPerStep
        ? (o.registry ?? (await ToolRegistry.create(tools, { embed: o.embed, examples: o.examples })))
        : null;
    const said: string[] = []; // what the user said during the run, for tool retrieval
    const finish = (reason: FinishedBecause, error?: string): AgentResult => ({
      type: 'final',
      text,
      reason,
      steps,
      tokens,
      ...(error ? { error } : {}),
    });
    try {
      // One streamText call runs the tool loop; an interruption that arrives while the model gives its
      // final answer starts another from the conversation so far, so no user input is dropped.
      for (;;) {
        const offset = steps;
        before = tokens;
        const interruptions: { at: number; message: { role: 'user'; content: string } }[] = [];
        const result = streamText({
          model: o.model,
          system: o.instructions,
          messages,
          tools: o.tools
            ? guarded(o.tools, o.toolTimeoutMs ?? 10_000, o.maxResultChars ?? 4000, stop)
            : undefined,
          stopWhen: [stepCountIs(budget.steps - offset), overTokens, loops],
          abortSignal: stop,
          temperature: o.temperature,
          maxOutputTokens: o.maxOutputTokens,
          maxRetries: 0,
          onError: () => {}, // errors arrive as stream parts and end the run with reason 'error'
          // An interruption joins the conversation where it arrived, and stays there in every later step
          // (the SDK rebuilds each step's messages from the goal and the responses so far).
          prepareStep: async ({ messages: sofar, steps: done }) => {
            const arrived = run.takeInterruptions();
            for (const t of arrived) {
              run.emit({ type: 'interrupt', text: t });
              interruptions.push({ at: sofar.length, message: { role: 'user', content: t } });
              said.push(t);
            }
            const activeTools = registry
              ? await registry.select([goal, ...said].join('\n'), o.toolsPerStep!)
              : undefined;
            if (activeTools) run.emit({ type: 'tools', names: activeTools });
            const out = withInterruptions(sofar, interruptions);
            const observed = (done.at(-1)?.toolCalls.length ?? 0) > 0;
            const reason: PlanReason | null = !o.planning
              ? null
              : plan === null
                ? 'start'
                : arrived.length > 0
                  ? 'interruption'
                  : o.planning === 'replan' && observed
                    ? 'observation'
                    : null;
            if (reason) {
              plan = await makePlan(out);
              if (plan) run.emit({ type: 'plan', steps: plan, revision: ++revision, reason });
            }
            const system = plan ? withPlan(o.instructions, plan) : o.instructions;
            const step = offset + done.length + 1;
            run.emit({ type: 'prompt', step, ...(system ? { system } : {}), messages: out });
            return { messages: out, activeTools, ...(plan ? { system } : {}) };
          },
        });
        let last: 'tool-calls' | string = 'stop';
        let failed: unknown = null;
        let malformed: string | undefined;
        for await (const part of result.fullStream) {
          if (part.type === 'start-step') {
            steps++;
            text = '';
            run.emit({ type: 'step', step: steps });
          } else if (part.type === 'text-delta') {
            text += part.text;
            run.emit({ type: 'text', text: part.text });
          } else if (part.type === 'tool-call') {
            const { toolCallId, toolName, input } = part;
            run.emit({ type: 'tool-call', toolCallId, toolName, input });
          } else if (part.type === 'tool-result') {
            const { toolCallId, toolName, output } = part;
            run.emit({ type: 'tool-result', toolCallId, toolName, output });
          } else if (part.type === 'tool-error') {
            const error = part.error instanceof Error ? part.error.message : String(part.error);
            run.emit({ type: 'tool-error', toolCallId: part.toolCallId, toolName: part.toolName, error });
          } else if (part.type === 'finish-step') {
            const [inputTokens, outputTokens] = [part.usage.inputTokens ?? 0, part.usage.outputTokens ?? 0];
            tokens += inputTokens + outputTokens;
            last = part.finishReason;
            run.emit({ type: 'usage', step: steps, inputTokens, outputTokens, finishReason: last });
            malformed = malformedOf(part.providerMetadata);
          } else if (part.type === 'error') {
            failed = part.error;
          }
        }
        if (clock?.aborted) return finish('time');
        if (signal?.aborted) return finish('aborted');
        if (failed) return finish('error', failed instanceof Error ? failed.message : String(failed));
        // A call the model meant but wrote unreadably is not an answer: the run ends saying why.
        if (last !== 'tool-calls' && malformed)
          return finish('error', `the model's tool call could not be read: ${malformed}`);
        if (last === 'tool-calls') {
          if (looped) return finish('loop');
          return finish(budget.tokens !== undefined && tokens >= budget.tokens ? 'tokens' : 'steps');
        }
        if (!run.interrupted || steps >= budget.steps) return finish('done');
        if (budget.tokens !== undefined && tokens >= budget.tokens) return finish('tokens');
        messages = withInterruptions([...messages, ...(await result.response).messages], interruptions);
      }
    } catch (e) {
      if (clock?.aborted) return finish('time');
      if (signal?.aborted) return finish('aborted');
      return finish('error', (e as Error).message);
    }
  }
}

/** The conversation with each interruption put back where it arrived. */
function withInterruptions(
  messages: ModelMessage[],
  interruptions: readonly { at: number; message: ModelMessage }[],
): ModelMessage[] {
  const out = [...messages];
  for (const { at, message } of [...interruptions].reverse()) out.splice(at, 0, message);
  return out;
}
