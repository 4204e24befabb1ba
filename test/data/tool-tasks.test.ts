// Tool-use tasks with answers known in advance, distractor manuals, and the agent chats built from them.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import {
  agentConversations,
  CLOCK_TOOL,
  DRIVE_TOOL,
  distractorTools,
  formatClock,
  generateWorld,
  isHeldOut,
  TASK_TOOLS,
  toolTasks,
} from '../../src/data/index.js';

const world = generateWorld(1);

test('formatClock: weekday, date and minute in UTC', () => {
  assert.equal(formatClock(new Date('2026-12-04T22:30:59Z')), 'Friday 2026-12-04 22:30 UTC');
  assert.equal(formatClock(new Date('2000-01-01T00:00:00Z')), 'Saturday 2000-01-01 00:00 UTC');
});

test('toolTasks: every answer is right; held-out lookups ask about people training never names', () => {
  const tasks = toolTasks(world, { perKind: 40, seed: 5 });
  assert.equal(tasks.length, 120);
  const heldOut = new Set(world.people.filter((_, i) => isHeldOut(i)).map((p) => p.name));
  for (const t of tasks) {
    assert.equal(t.call.name, TASK_TOOLS[t.kind].function.name);
    assert.ok(t.reply.includes(t.answer), `${t.reply} / ${t.answer}`);
    if (t.kind === 'arithmetic') {
      const [a, op, b] = t.call.arguments.expression.split(' ');
      const v = op === '+' ? +a + +b : op === '-' ? +a - +b : +a * +b;
      assert.equal(t.answer, String(v));
      assert.ok(t.question.includes(t.call.arguments.expression));
    } else if (t.kind === 'lookup') {
      const { subject, relation } = t.call.arguments;
      assert.ok(heldOut.has(subject), subject);
      assert.ok(
        world.facts.some((f) => f.subject === subject && f.relation === relation && f.object === t.answer),
      );
    } else {
      assert.equal(t.result, formatClock(new Date(t.now!)));
      assert.ok(t.result.includes(t.answer));
    }
  }
  assert.deepEqual(toolTasks(world, { perKind: 40, seed: 5 }), tasks, 'seeded');
});

test('distractorTools: distinct plausible manuals, none of them a task tool', () => {
  const all = distractorTools(210);
  const names = all.map((t) => t.function.name);
  assert.equal(new Set(names).size, 210);
  for (const n of ['calculator', 'lookup', 'clock', 'drive']) assert.ok(!names.includes(n));
  assert.deepEqual(distractorTools(5, 9), distractorTools(5, 9));
  assert.throws(() => distractorTools(211), /at most 210/);
});

test('agentConversations: the right tool always offered among at most five, held-out people never named', () => {
  const chats = agentConversations(world, { count: 1500, seed: 2 });
  assert.equal(chats.length, 1500);
  const heldOut = world.people.filter((_, i) => isHeldOut(i)).map((p) => p.name);
  const text = JSON.stringify(chats);
  for (const name of heldOut) assert.ok(!text.includes(name), `${name} is held out`);
  let unaided = 0;
  let roads = 0;
  for (const c of chats) {
    const call = c.messages.flatMap((m) => (m.role === 'assistant' ? (m.tool_calls ?? []) : []))[0];
    if (c.tools?.some((t) => t === DRIVE_TOOL) || c.messages.some((m) => m.content === 'Make a plan.')) {
      roads++;
      continue;
    }
    if (!c.tools) {
      unaided++;
      continue;
    }
    assert.ok(c.tools.length <= 5);
    assert.ok(call && c.tools.some((t) => t.function.name === call.function.name));
    if (call.function.name === 'clock') assert.ok(c.tools.includes(CLOCK_TOOL));
  }
  assert.ok(roads > 400 && roads < 650, `${roads} road chats`);
  assert.ok(unaided > 100, `${unaided} chats without tools`);
});

test("models/agent's recipe data stays the same (its chats are seeded)", () => {
  const json = JSON.stringify(agentConversations(world, { count: 16000, seed: 1 }));
  assert.equal(
    createHash('sha256').update(json).digest('hex'),
    '957471855e7cf487aa3187e4cd2c680dded4fc01adac847734f296ff1f10a801',
  );
});
