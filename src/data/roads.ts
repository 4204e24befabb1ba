// Roads between the world's towns: an environment for planning. A trip is planned as the shortest route
// on the map the agent knows; the world may disagree (a road is closed), and only an agent that plans
// again from what it observed gets there. The road-trip chats teach a model both halves of the planning
// loop: writing a plan when asked (PLAN_REQUEST) from where it stands and what it has seen, and acting
// on the plan in its system message one drive at a time.
import type { Conversation, Message, ToolSpec } from '../chat/messages.js';
import { formatPlan, PLAN_REQUEST, withPlan } from '../chat/plan.js';
import { Generator } from '../tensor/index.js';
import { choice, shuffled } from './random.js';
import type { World } from './world.js';

export interface RoadMap {
  towns: string[];
  /** Each road once, both ends; roads go both ways. */
  roads: [string, string][];
}

export const DRIVE_TOOL: ToolSpec = {
  type: 'function',
  function: {
    name: 'drive',
    description: 'Drive along one road to a neighbouring town',
    parameters: { type: 'object', properties: { to: { type: 'string' } }, required: ['to'] },
  },
};

/** The instructions road trips are trained (and run) under. */
export const ROUTE_INSTRUCTIONS = 'Drive along the roads.';

export const routeGoal = (from: string, to: string) => `You are in ${from}. Drive to ${to}.`;
export const detourRequest = (to: string) => `Drive to ${to} instead.`;
export const arrivedReply = (town: string) => `I am in ${town}.`;

/** A road's key, the same from either end. */
export const roadKey = (a: string, b: string) => (a < b ? `${a}|${b}` : `${b}|${a}`);

/**
 * A ring through `towns` of the world's cities in a seeded order, plus `chords` roads across it: every
 * town has two ways out, so closing any one road leaves a way round.
 */
export function roadMap(
  world: World,
  options: { towns?: number; chords?: number; seed?: number } = {},
): RoadMap {
  const { towns: n = 6, chords = 2, seed = world.seed } = options;
  if (n < 4 || n > world.cities.length)
    throw new Error(`roadMap: towns must be 4..${world.cities.length} (the world's cities), got ${n}`);
  if (chords < 0 || chords > (n * (n - 3)) / 2)
    throw new Error(
      `roadMap: ${n} towns on a ring have room for 0..${(n * (n - 3)) / 2} chords, got ${chords}`,
    );
  const g = new Generator(seed + 7919);
  const towns = shuffled(
    g,
    world.cities.map((c) => c.name),
  ).slice(0, n);
  const roads: [string, string][] = towns.map((t, i) => [t, towns[(i + 1) % n]]);
  const have = new Set(roads.map(([a, b]) => roadKey(a, b)));
  while (roads.length < n + chords) {
    const a = choice(g, towns);
    const b = choice(g, towns);
    if (a === b || have.has(roadKey(a, b))) continue;
    have.add(roadKey(a, b));
    roads.push([a, b]);
  }
  return { towns, roads };
}

/** The towns one road away, in alphabetical order (so routes are deterministic). */
export function neighbours(map: RoadMap, town: string, closed: ReadonlySet<string> = new Set()): string[] {
  const out: string[] = [];
  for (const [a, b] of map.roads) {
    if (closed.has(roadKey(a, b))) continue;
    if (a === town) out.push(b);
    else if (b === town) out.push(a);
  }
  return out.sort();
}

/** The shortest route (fewest roads; ties to the alphabetically first) avoiding `closed`, or null. */
export function shortestRoute(
  map: RoadMap,
  from: string,
  to: string,
  closed: ReadonlySet<string> = new Set(),
): string[] | null {
  const previous = new Map<string, string | null>([[from, null]]);
  const queue = [from];
  while (queue.length) {
    const at = queue.shift()!;
    if (at === to) {
      const route = [at];
      for (let p = previous.get(at); p != null; p = previous.get(p)) route.unshift(p);
      return route;
    }
    for (const next of neighbours(map, at, closed)) {
      if (previous.has(next)) continue;
      previous.set(next, at);
      queue.push(next);
    }
  }
  return null;
}

/** The world as it is: where the traveller stands and which roads are closed (the map does not say). */
export class RoadTrip {
  readonly closed: Set<string>;
  constructor(
    readonly map: RoadMap,
    public at: string,
    closed: Iterable<[string, string]> = [],
  ) {
    if (!map.towns.includes(at)) throw new Error(`RoadTrip: ${at} is not a town of the map`);
    this.closed = new Set([...closed].map(([a, b]) => roadKey(a, b)));
  }

  /** One drive: the observation the traveller makes. */
  drive(to: string): string {
    if (!neighbours(this.map, this.at).includes(to))
      return `There is no road to ${to}. You are in ${this.at}.`;
    if (this.closed.has(roadKey(this.at, to))) return `The road to ${to} is closed. You are in ${this.at}.`;
    this.at = to;
    return `You are in ${to}.`;
  }
}

export type PlanningStrategy = 'plan-then-act' | 'replan';

/**
 * Chats from one road trip as a good planner makes it: a plan at the start, again after every
 * observation ('replan') or only when the user changes the goal ('plan-then-act', used only when no
 * road is closed, where the first plan holds). Each planning request and each action is one chat,
 * with the earlier actions in it as context (weight 0).
 */
function tripChats(map: RoadMap, g: Generator): Conversation[] {
  const from = choice(g, map.towns);
  let to = choice(
    g,
    map.towns.filter((t) => t !== from),
  );
  const route = shortestRoute(map, from, to)!;
  const blocked = g.random() < 0.6 ? ([route[g.randint(route.length - 1)], ''] as [string, string]) : null;
  if (blocked) blocked[1] = route[route.indexOf(blocked[0]) + 1];
  const trip = new RoadTrip(map, from, blocked ? [blocked] : []);
  const strategy: PlanningStrategy = blocked || g.random() < 0.5 ? 'replan' : 'plan-then-act';
  let detour = g.random() < 0.25;
  const history: Message[] = [{ role: 'user', content: routeGoal(from, to) }];
  const known = new Set<string>();
  const chats: Conversation[] = [];
  const system: Message = { role: 'system', content: ROUTE_INSTRUCTIONS };
  let plan: string[] = [];
  const replan = () => {
    plan = shortestRoute(map, trip.at, to, known)!;
    chats.push({
      messages: [
        system,
        ...history,
        { role: 'user', content: PLAN_REQUEST },
        { role: 'assistant', content: formatPlan(plan) },
      ],
    });
  };
  replan();
  for (let step = 0; step < 3 * map.towns.length; step++) {
    const acting: Message = { role: 'system', content: withPlan(ROUTE_INSTRUCTIONS, plan) };
    if (trip.at === to) {
      chats.push({
        messages: [acting, ...history, { role: 'assistant', content: arrivedReply(to) }],
        tools: [DRIVE_TOOL],
      });
      break;
    }
    const next = plan[plan.indexOf(trip.at) + 1];
    const id = `call_${g.randint(1e9)}`;
    const call: Message = {
      role: 'assistant',
      content: null,
      tool_calls: [
        { id, type: 'function', function: { name: 'drive', arguments: JSON.stringify({ to: next }) } },
      ],
    };
    chats.push({ messages: [acting, ...history, call], tools: [DRIVE_TOOL] });
    const at = trip.at;
    const seen = trip.drive(next);
    history.push({ ...call, weight: 0 }, { role: 'tool', content: seen, tool_call_id: id });
    if (trip.at === at) known.add(roadKey(at, next));
    if (detour && trip.at !== at) {
      detour = false;
      to = choice(
        g,
        map.towns.filter((t) => t !== trip.at && t !== to),
      );
      history.push({ role: 'user', content: detourRequest(to) });
      replan();
    } else if (strategy === 'replan') replan();
  }
  return chats;
}

/** `count` chats from road trips on `map`, seeded. */
export function roadTripConversations(map: RoadMap, count: number, seed = 0): Conversation[] {
  const g = new Generator(seed);
  const out: Conversation[] = [];
  while (out.length < count) out.push(...tripChats(map, g));
  return out.slice(0, count);
}
