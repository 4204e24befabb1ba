// An agent that plays the text world (src/data/text-world.ts) episode after episode, with its memory run by
// a model: every decision (which action, how important an observation is, ADD/UPDATE/DELETE/NOOP, which
// facts an observation states, which questions to reflect on, what an action would lead to) is a question
// put to `ask`. What the agent remembers is the experiment: nothing, every observation (READ over a
// memory stream), only what WRITE keeps, that plus REFLECTION's insights, or a knowledge graph; and, before
// an irreversible act, whether it first tries the choices in its head (world-model search).
import { actRequest, formatTriple, importanceRequest, parseImportance } from '../chat/index.js';
import { type Outcome, TEXT_WORLD_FUNCTIONAL, TextWorld } from '../data/index.js';
import { type Choose, replyChoice } from './choose.js';
import type { Ask } from './memory/ask.js';
import { localSearch, rememberFacts } from './memory/graph.js';
import { readMemories } from './memory/read.js';
import { reflect, shouldReflect } from './memory/reflect.js';
import type { MemoryStore } from './memory/store.js';
import { writeMemory } from './memory/write.js';
import type { Embed } from './tool-registry.js';
import { instructionFlags } from './trust.js';
import { type Branch, languageWorldModel, searchBeforeActing } from './world-model.js';

/** What the agent keeps between episodes, each mode adding to the one before (graph aside). */
export const MEMORY_MODES = ['none', 'read', 'read-write', 'reflection', 'graph'] as const;
export type MemoryMode = (typeof MEMORY_MODES)[number];

export interface TextWorldAgentOptions {
  ask: Ask;
  /** How the action is picked (default: the model's reply to the prompt, replyChoice(ask)). */
  choose?: Choose;
  /** Relevance for READ and similarity for WRITE (hashedEmbed is a good default). */
  embed: Embed;
  /** Where memories live; needed unless memory is 'none'. */
  store?: MemoryStore;
  memory: MemoryMode;
  /** Simulate irreversible actions and their alternatives with the model before acting (default false). */
  search?: boolean;
  /** Memories shown per step (default 4). */
  recall?: number;
  /** Summed importance that triggers reflection (default 30: episodes here are short). */
  reflectAt?: number;
  /**
   * Show memories that read as instructions (default false: they are withheld, as tool results' are, since
   * a memory may have come from anywhere). True only to measure what such memories do.
   */
  trustMemories?: boolean;
  /**
   * The longest prompt, in characters (default 800: models/memory's tokenizer makes up to about 460 tokens
   * of it, for a context of 512): the oldest memories, then this episode's oldest observations, are left
   * out until the prompt fits. Characters, so it holds for any model behind `ask`.
   */
  promptChars?: number;
  /** Steps before an episode counts as failed (default 20). */
  maxSteps?: number;
  /** The clock: each step is a minute, each episode starts a day after the last. */
  start?: Date;
  onStep?: (s: AgentStep) => void;
}

export interface AgentStep {
  episode: number;
  step: number;
  memories: string[];
  /** Recalled memories withheld because they read as instructions. */
  withheld: number;
  observation: string;
  /** What the chooser picked. */
  reply: string;
  /** The action taken: the reply, or the best branch of the search before an irreversible one. */
  action: string;
  valid: boolean;
  /** The simulated branches, when the action was irreversible and search was on. */
  simulated?: Branch[];
}

export interface EpisodeResult {
  episode: number;
  outcome: Outcome | null;
  steps: number;
  /** Replies that named no available action. */
  invalid: number;
}

const RECENT = 2;
const MINUTE = 60_000;

/** Plays one episode of `world`; memories written in it stay in the store for the next. */
export async function playEpisode(
  world: TextWorld,
  episode: number,
  options: TextWorldAgentOptions,
): Promise<EpisodeResult> {
  const { ask, store, memory } = options;
  if (memory !== 'none' && !store) throw new Error(`playEpisode: memory '${memory}' needs a store`);
  const maxSteps = options.maxSteps ?? 20;
  const start = (options.start ?? new Date('2026-01-01T00:00:00Z')).getTime() + episode * 24 * 60 * MINUTE;
  let observation = world.reset(episode).replace(/^Episode \d+\. Find the treasure in the vault\. /, '');
  const seen = [world.rooms[0]];
  const recent: string[] = [];
  let carrying = false;
  let invalid = 0;
  for (let step = 0; step < maxSteps && !world.done; step++) {
    const at = new Date(start + step * MINUTE);
    const recalled = memory === 'none' ? [] : await recall(store!, observation, at, options);
    const memories = options.trustMemories
      ? recalled
      : recalled.filter((m) => instructionFlags(m).length === 0);
    const actions = world.actions();
    const state = {
      memories: [...memories],
      unseen: world.rooms.filter((r) => !seen.includes(r)),
      recent: recent.slice(-RECENT),
      carrying: carrying ? [`the ${world.keyColour} key`] : [],
      observation,
      actions,
    };
    // The oldest memories go first, then this episode's oldest observations, until the prompt fits.
    const limit = options.promptChars ?? 800;
    while (state.memories.length > 0 && actRequest(state).length > limit) state.memories.pop();
    while (state.recent.length > 0 && actRequest(state).length > limit) state.recent.shift();
    const reply = await (options.choose ?? replyChoice(ask))(actRequest(state), actions);
    let action = reply;
    let simulated: Branch[] | undefined;
    if (options.search && TextWorld.irreversible(action)) {
      const history = [...state.memories, ...state.recent, observation];
      const r = await searchBeforeActing(languageWorldModel(ask), history, {
        candidates: (h) => (h.length === history.length ? actions.filter(TextWorld.irreversible) : []),
        depth: 1,
      });
      simulated = r.branches;
      action = r.best ?? action;
    }
    const valid = actions.includes(action);
    if (!valid) invalid++;
    options.onStep?.({
      episode,
      step,
      memories: state.memories,
      withheld: recalled.length - memories.length,
      observation,
      reply,
      action,
      valid,
      simulated,
    });
    if (memory !== 'none') await remember(store!, observation, at, options);
    const r = world.act(action);
    recent.push(observation);
    observation = r.observation;
    const room = observation.match(/You are in the (\w+)\./)?.[1];
    if (room && room !== 'vault' && !seen.includes(room)) seen.push(room);
    if (/^You take the/.test(observation)) carrying = true;
  }
  // The last observation (the treasure, the curse) is worth remembering too.
  if (memory !== 'none') await remember(store!, observation, new Date(start + maxSteps * MINUTE), options);
  return {
    episode,
    outcome: world.done ? (observation.includes('curse') ? 'cursed' : 'treasure') : null,
    steps: world.steps,
    invalid,
  };
}

/** The memories shown at a step, newest first: READ's best, or the graph's edges about the goal's things. */
async function recall(
  store: MemoryStore,
  observation: string,
  at: Date,
  options: TextWorldAgentOptions,
): Promise<string[]> {
  const k = options.recall ?? 4;
  if (options.memory === 'graph') {
    const things = new Set(store.edges({ at }).flatMap((e) => [e.subject, e.object]));
    const goal = [...things].filter((t) => /^(vault|note)$|\b(key|chest)$/.test(t));
    return localSearch(store, goal, { at })
      .sort((a, b) => b.learnedAt.getTime() - a.learnedAt.getTime())
      .slice(0, k)
      .map(formatTriple);
  }
  const [q] = await options.embed([
    `${observation} Where is the key? Where is the vault? Which chest is cursed?`,
  ]);
  return readMemories(store, Float32Array.from(q), { now: at, k })
    .map((r) => r.memory)
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.id - a.id)
    .map((m) => m.text);
}

/** Keeps an observation as the mode does: every one, through WRITE (and reflection), or as graph facts. */
async function remember(store: MemoryStore, observation: string, at: Date, options: TextWorldAgentOptions) {
  const { ask, embed } = options;
  if (options.memory === 'graph') {
    await rememberFacts(store, observation, { ask, at, functional: (r) => TEXT_WORLD_FUNCTIONAL.has(r) });
    return;
  }
  if (options.memory === 'read') {
    const importance = parseImportance(await ask(importanceRequest(observation))) ?? 5;
    const [v] = await embed([observation]);
    store.add({
      text: observation,
      kind: 'observation',
      importance,
      source: 'world',
      at,
      embedding: Float32Array.from(v),
    });
    return;
  }
  await writeMemory(store, observation, { ask, embed, at, source: 'world', similar: 3 });
  if (options.memory === 'reflection' && shouldReflect(store, options.reflectAt ?? 30)) {
    // Few memories per question: the prompts must fit a small model's context.
    await reflect(store, { ask, embed, at, recent: 4, evidence: 3 });
  }
}

export interface EpisodesSummary {
  episodes: EpisodeResult[];
  /** Share of episodes that found the treasure. */
  success: number;
  cursed: number;
  /** Mean steps over the successful episodes (NaN when none). */
  steps: number;
}

/** `episodes` episodes of one world in a row, sharing the store. */
export async function playEpisodes(
  world: TextWorld,
  episodes: number,
  options: TextWorldAgentOptions,
): Promise<EpisodesSummary> {
  const results: EpisodeResult[] = [];
  for (let e = 0; e < episodes; e++) results.push(await playEpisode(world, e, options));
  return summarise(results);
}

export function summarise(results: readonly EpisodeResult[]): EpisodesSummary {
  const won = results.filter((r) => r.outcome === 'treasure');
  return {
    episodes: [...results],
    success: won.length / results.length,
    cursed: results.filter((r) => r.outcome === 'cursed').length / results.length,
    steps: won.reduce((s, r) => s + r.steps, 0) / won.length,
  };
}
