// Scoring an agent on tasks whose answers are known (src/data's toolTasks): the lecture's question of
// whether tools help, asked three ways. 'none': the model answers from its weights. 'tools': it is offered
// the calculator, the world's lookup and the clock. 'retrieval': the same three hidden among distractor
// tools, of which a ToolRegistry shows it only the few whose manuals fit the question. Each task is one
// agent run; a run is right when its final text contains the task's answer.
import type { LanguageModel, ToolSet } from 'ai';
import { escapeRegExp, type ToolTask, type ToolTaskKind, toolExamples, type World } from '../data/index.js';
import { Agent, type FinishedBecause } from './agent.js';
import { type Embed, ToolRegistry } from './tool-registry.js';
import { calculator, clockTool, distractors, lookupTool } from './tools/index.js';

export const TOOL_CONDITIONS = ['none', 'tools', 'retrieval'] as const;
export type ToolCondition = (typeof TOOL_CONDITIONS)[number];

export interface TaskOutcome {
  kind: ToolTaskKind;
  condition: ToolCondition;
  question: string;
  answer: string;
  reply: string;
  correct: boolean;
  steps: number;
  seconds: number;
  reason: FinishedBecause;
  /** The tools the model called, in order. */
  called: string[];
}

export interface EvaluateOptions {
  model: LanguageModel;
  world: World;
  /** Distractor tools beside the three in 'retrieval' (default 200). */
  distractors?: number;
  /** Tools shown per step in 'retrieval' (default 5). */
  toolsPerStep?: number;
  /** Retrieval by embeddings instead of BM25. */
  embed?: Embed;
  /** Model calls per task at most (default 4). */
  steps?: number;
  /** Called after each task, for progress. */
  onTask?: (outcome: TaskOutcome, done: number, total: number) => void;
}

/** The three tools, the clock reading the task's moment (so a date task has one right answer). */
function taskTools(world: World, task: ToolTask): ToolSet {
  const now = task.now ? new Date(task.now) : new Date();
  return { calculator, lookup: lookupTool(world), clock: clockTool(() => now) };
}

/** Every task under every condition asked for, one run each, in order. */
export async function evaluateTools(
  tasks: readonly ToolTask[],
  conditions: readonly ToolCondition[],
  options: EvaluateOptions,
): Promise<TaskOutcome[]> {
  if (tasks.length === 0) return [];
  const extra = distractors(options.distractors ?? 200);
  const registry = conditions.includes('retrieval')
    ? await ToolRegistry.create(
        { ...extra, ...taskTools(options.world, tasks[0]) },
        { embed: options.embed, examples: toolExamples() },
      )
    : undefined;
  const outcomes: TaskOutcome[] = [];
  const total = tasks.length * conditions.length;
  for (const condition of conditions) {
    for (const task of tasks) {
      const tools = condition === 'none' ? undefined : taskTools(options.world, task);
      const agent = new Agent({
        model: options.model,
        tools: condition === 'retrieval' ? { ...extra, ...tools } : tools,
        temperature: 0,
        maxOutputTokens: 64,
        budget: { steps: options.steps ?? 4 },
        ...(condition === 'retrieval' ? { toolsPerStep: options.toolsPerStep ?? 5, registry } : {}),
      });
      const started = performance.now();
      const run = agent.run(task.question);
      const called: string[] = [];
      for await (const e of run) if (e.type === 'tool-call') called.push(e.toolName);
      const r = await run.result;
      const outcome: TaskOutcome = {
        kind: task.kind,
        condition,
        question: task.question,
        answer: task.answer,
        reply: r.text,
        correct: r.reason === 'done' && answers(r.text, task),
        steps: r.steps,
        seconds: (performance.now() - started) / 1000,
        reason: r.reason,
        called,
      };
      outcomes.push(outcome);
      options.onTask?.(outcome, outcomes.length, total);
    }
  }
  return outcomes;
}

/**
 * Whether a reply gives the task's answer: as a whole word or number, not part of another ("12" is not
 * in "5012"), and not where the reply repeats the question's expression ("20 - 10 is 9." does not
 * answer 10).
 */
export function answers(reply: string, task: Pick<ToolTask, 'answer' | 'call'>): boolean {
  const expression = task.call.arguments.expression;
  const said = expression ? reply.replaceAll(expression, ' ') : reply;
  return new RegExp(`(?<![\\w-])${escapeRegExp(task.answer)}(?![\\w])`).test(said);
}

export interface ToolScore {
  kind: ToolTaskKind | 'all';
  condition: ToolCondition;
  tasks: number;
  accuracy: number;
  /** Mean model calls and seconds per task. */
  steps: number;
  seconds: number;
}

/** Accuracy, steps and seconds per kind and condition, and over all kinds. */
export function scoreOutcomes(outcomes: readonly TaskOutcome[]): ToolScore[] {
  const groups = new Map<string, TaskOutcome[]>();
  for (const o of outcomes)
    for (const kind of [o.kind, 'all'] as const) {
      const key = `${o.condition}|${kind}`;
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key)!.push(o);
    }
  return [...groups].map(([key, os]) => {
    const [condition, kind] = key.split('|') as [ToolCondition, ToolTaskKind | 'all'];
    const mean = (f: (o: TaskOutcome) => number) => os.reduce((a, o) => a + f(o), 0) / os.length;
    return {
      kind,
      condition,
      tasks: os.length,
      accuracy: mean((o) => (o.correct ? 1 : 0)),
      steps: mean((o) => o.steps),
      seconds: mean((o) => o.seconds),
    };
  });
}
