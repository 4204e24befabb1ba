// Trying an action in one's head before doing it (the lecture: some actions cannot be undone). The agent's
// model serves as a world model: given what has happened, it predicts what an action would lead to and
// how good that is. Before an irreversible action the agent searches candidate sequences best-first within
// a budget of predictions, acts on the first action of the best, and keeps every simulated branch for
// its trace.
import { isNone, predictRequest, valueRequest } from '../chat/index.js';
import type { Ask } from './memory/ask.js';

export interface WorldModel {
  /** The observation an action would bring, after the history (observations and actions, in order). */
  predict(history: readonly string[], action: string): Promise<string>;
  /** How good the state after the history is, in [0, 1]. */
  value(history: readonly string[]): Promise<number>;
}

export interface SearchOptions {
  /** The actions to consider after a (simulated) history. */
  candidates: (history: readonly string[]) => readonly string[];
  /** Longest simulated sequence (default 2). */
  depth?: number;
  /** Predictions the search may make (default 16). */
  budget?: number;
  /** A simulated observation that ends the episode (nothing is tried after it). */
  terminal?: (observation: string) => boolean;
}

export interface Branch {
  actions: string[];
  observations: string[];
  value: number;
}

export interface SearchResult {
  /** The first action of the best branch found, or null when there is nothing to do. */
  best: string | null;
  /** Every simulated branch, best first. */
  branches: Branch[];
  predictions: number;
}

/** Best-first search over simulated action sequences from `history`. */
export async function searchBeforeActing(
  model: WorldModel,
  history: readonly string[],
  options: SearchOptions,
): Promise<SearchResult> {
  const depth = options.depth ?? 2;
  const budget = options.budget ?? 16;
  const frontier: Branch[] = [{ actions: [], observations: [], value: await model.value(history) }];
  const leaves: Branch[] = [];
  let predictions = 0;
  while (frontier.length > 0 && predictions < budget) {
    frontier.sort((a, b) => b.value - a.value);
    const node = frontier.shift()!;
    const past = [...history, ...node.actions.flatMap((a, i) => [a, node.observations[i]])];
    const ended = node.observations.length > 0 && options.terminal?.(node.observations.at(-1)!);
    const moves = ended || node.actions.length >= depth ? [] : options.candidates(past);
    if (moves.length === 0) {
      if (node.actions.length > 0) leaves.push(node);
      continue;
    }
    for (const action of moves) {
      if (predictions >= budget) break;
      const observation = await model.predict(past, action);
      predictions++;
      const child = {
        actions: [...node.actions, action],
        observations: [...node.observations, observation],
        value: await model.value([...past, action, observation]),
      };
      frontier.push(child);
    }
  }
  const branches = [...leaves, ...frontier.filter((b) => b.actions.length > 0)].sort(
    (a, b) => b.value - a.value,
  );
  return { best: branches[0]?.actions[0] ?? null, branches, predictions };
}

/** A world model asked in words: any AI SDK model through `askModel`. */
export function languageWorldModel(ask: Ask): WorldModel {
  return {
    predict: async (history, action) => {
      const reply = (await ask(predictRequest(history, action))).trim();
      return isNone(reply) ? '' : reply;
    },
    value: async (history) => {
      const n = Number((await ask(valueRequest(history))).match(/\d+(\.\d+)?/)?.[0] ?? Number.NaN);
      return Number.isFinite(n) ? Math.min(1, Math.max(0, n / 10)) : 0.5;
    },
  };
}

export interface GuardOptions<I> {
  model: WorldModel;
  /** What has happened so far (observations and actions), when a call comes. */
  history: () => readonly string[];
  /** The call as an action in the world's words ("open the snake chest"). */
  describe: (input: I) => string;
  /** The other calls the agent could make instead (the same tool, other arguments). */
  alternatives: (input: I) => readonly I[];
  /** Predictions per decision (default 8). */
  budget?: number;
  /** Every search, for the trace. */
  onSearch?: (r: SearchResult & { call: string }) => void;
}

/**
 * An irreversible tool that thinks first: before it runs, the call and its alternatives are simulated in
 * the world model; the call runs only when it is the best of them, and otherwise returns what the
 * simulation found (as data: the agent can then choose again), without acting.
 */
export function guardIrreversible<I, O>(
  execute: (input: I) => Promise<O>,
  options: GuardOptions<I>,
): (input: I) => Promise<O | { simulated: true; refused: string; instead: string; predicted: string }> {
  return async (input) => {
    const calls = [input, ...options.alternatives(input)];
    const actions = calls.map(options.describe);
    const r = await searchBeforeActing(options.model, options.history(), {
      candidates: (h) => (h.length === options.history().length ? actions : []),
      depth: 1,
      budget: options.budget ?? 8,
    });
    options.onSearch?.({ ...r, call: actions[0] });
    if (r.best === null || r.best === actions[0]) return execute(input);
    const mine = r.branches.find((b) => b.actions[0] === actions[0]);
    return { simulated: true, refused: actions[0], instead: r.best, predicted: mine?.observations[0] ?? '' };
  };
}
