// Planning with a real model: models/agent, trained here on the world's road trips, plans a route and
// drives it. The world disagrees with its map (a road on the planned route is closed): re-planning after
// every observation gets there, planning once does not (the stale plan sends it down the closed road
// again and again, which the loop's repeat guard ends). An interruption changes the plan mid-trip.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Agent, type AgentEvent, driveTool, jielong, manualTool } from '../../src/agent/index.js';
import type { PlanningStrategy } from '../../src/data/index.js';
import {
  arrivedReply,
  DRIVE_TOOL,
  detourRequest,
  generateWorld,
  ROUTE_INSTRUCTIONS,
  RoadTrip,
  roadKey,
  roadMap,
  routeGoal,
  shortestRoute,
} from '../../src/data/index.js';
import { loadCheckpoint } from '../../src/train/index.js';

const model = jielong(loadCheckpoint(fileURLToPath(new URL('../../../models/agent', import.meta.url))));
const map = roadMap(generateWorld(1));

/** Trips whose shortest route has a closed road in it: the first road of it, or the last. */
const contradicted = map.towns.flatMap((from, i) => {
  const to = map.towns[(i + 3) % map.towns.length];
  const route = shortestRoute(map, from, to)!;
  return [
    { from, to, closed: [route[0], route[1]] as [string, string] },
    { from, to, closed: [route.at(-2)!, route.at(-1)!] as [string, string] },
  ];
});

async function drive(strategy: PlanningStrategy, from: string, to: string, closed: [string, string][]) {
  const trip = new RoadTrip(map, from, closed);
  const run = new Agent({
    model,
    tools: { drive: driveTool(trip) },
    instructions: ROUTE_INSTRUCTIONS,
    planning: strategy,
    temperature: 0,
    budget: { steps: 12 },
  }).run(routeGoal(from, to));
  const events: AgentEvent[] = [];
  for await (const e of run) events.push(e);
  return { trip, events, result: await run.result };
}

describe('planning in a world that contradicts the plan (models/agent)', () => {
  test('with no road closed, both strategies mostly get there; the first plan is the shortest route', async () => {
    const arrived = { 'plan-then-act': 0, replan: 0 };
    let shortest = 0;
    let trips = 0;
    for (const from of map.towns)
      for (const to of map.towns) {
        if (from === to) continue;
        trips++;
        for (const strategy of ['plan-then-act', 'replan'] as const) {
          const { trip, events, result } = await drive(strategy, from, to, []);
          if (trip.at === to && result.reason === 'done' && result.text === arrivedReply(to))
            arrived[strategy]++;
          const first = events.find((e) => e.type === 'plan') as { steps: string[] };
          if (strategy === 'replan' && first.steps.join() === shortestRoute(map, from, to)!.join())
            shortest++;
        }
      }
    // Measured on models/agent: 29 (replan) and 18 (plan-then-act) of 30 arrive (acting on a stale plan means finding oneself in
    // it, which the small model does less well than following a fresh plan's first step); 30 first plans
    // are the shortest route.
    assert.ok(arrived.replan >= trips - 2, `replan arrived in ${arrived.replan} of ${trips}`);
    assert.ok(
      arrived['plan-then-act'] >= trips / 2 - 3,
      `plan-then-act arrived in ${arrived['plan-then-act']}`,
    );
    assert.ok(shortest >= trips - 2, `${shortest} of ${trips} first plans are the shortest route`);
  });

  test('re-planning arrives where plan-then-act does not', async () => {
    let replanned = 0;
    let planned = 0;
    let plansAfter = 0;
    let around = 0;
    for (const { from, to, closed } of contradicted) {
      const once = await drive('plan-then-act', from, to, [closed]);
      if (once.trip.at === to) planned++;
      const again = await drive('replan', from, to, [closed]);
      if (again.trip.at === to && again.result.reason === 'done') replanned++;
      // After the closed road was seen, new plans go around it.
      const seen = again.events.findIndex(
        (e) => e.type === 'tool-result' && String(e.output).includes('closed'),
      );
      for (const e of again.events.slice(seen + 1)) {
        if (e.type !== 'plan') continue;
        plansAfter++;
        if (e.steps.every((t, k) => k === 0 || roadKey(e.steps[k - 1], t) !== roadKey(...closed))) around++;
      }
    }
    const n = contradicted.length;
    assert.equal(planned, 0, `plan-then-act arrived in ${planned} of ${n}`);
    assert.ok(replanned >= n - 2, `replan arrived in ${replanned} of ${n}`);
    assert.ok(around >= 0.9 * plansAfter, `${around} of ${plansAfter} later plans avoid the closed road`);
  });

  test('an interruption changes the plan, under either strategy', async () => {
    const [from, to, instead] = [map.towns[0], map.towns[2], map.towns[4]];
    for (const strategy of ['plan-then-act', 'replan'] as const) {
      const trip = new RoadTrip(map, from);
      let run: ReturnType<Agent['run']> | null = null;
      let interrupted = false;
      // The user speaks up the moment the first drive ends: before the next step, whatever the timing.
      const drive = manualTool<{ to: string }>(DRIVE_TOOL, ({ to: next }) => {
        const seen = trip.drive(next);
        if (trip.at !== from && !interrupted) {
          interrupted = true;
          run!.interrupt(detourRequest(instead));
        }
        return seen;
      });
      run = new Agent({
        model,
        tools: { drive },
        instructions: ROUTE_INSTRUCTIONS,
        planning: strategy,
        temperature: 0,
      }).run(routeGoal(from, to));
      const plans: { steps: string[]; reason: string }[] = [];
      for await (const e of run) if (e.type === 'plan') plans.push(e);
      assert.equal(plans[0].steps.at(-1), to, strategy);
      const changed = plans.find((p) => p.reason === 'interruption');
      assert.ok(changed, `${strategy}: a new plan after the interruption`);
      assert.deepEqual(changed.steps, shortestRoute(map, to, instead), strategy);
      // Following the new plan from a fresh one each step gets there (plan-then-act must find its place
      // in a plan it made earlier, the small model's weak spot: see the first test).
      if (strategy === 'replan')
        assert.deepEqual([trip.at, (await run.result).text], [instead, arrivedReply(instead)]);
    }
  });
});
