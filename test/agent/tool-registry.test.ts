// Choosing among many tools: among 200 distractors, BM25 over the manuals puts the one that fits first,
// and the agent, shown only that one, reaches its goal with a real model.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  Agent,
  BM25,
  builtinTools,
  distractors as distractorTools,
  jielong,
  ToolRegistry,
  terms,
} from '../../src/agent/index.js';
import { generateWorld, toolExamples, toolTasks } from '../../src/data/index.js';
import { loadCheckpoint } from '../../src/train/index.js';

/** 200 tools about other things than the world's people (book_flight, translate_email, ...). */
const distractors = distractorTools(200);

describe('tool retrieval', () => {
  test('BM25: idf favours rare words; snake_case and camelCase split', () => {
    assert.deepEqual(terms('born_in bornIn Ada-Lin'), ['born', 'in', 'born', 'in', 'ada', 'lin']);
    const s = new BM25(['the cat sat', 'the dog ran', 'the cat and the cat']).scores('cat');
    assert.equal(s[1], 0);
    assert.ok(s[2] > s[0] && s[0] > 0);
  });

  test('among 200 distractors the fitting tool ranks first', async () => {
    const registry = await ToolRegistry.create({ ...distractors, ...builtinTools() });
    assert.equal(registry.names.length, 203);
    assert.deepEqual(await registry.select('Where was Jana Coyle born?', 1), ['lookup']);
    assert.deepEqual(await registry.select('What is 17 * 23? Evaluate the arithmetic.', 1), ['calculator']);
    assert.deepEqual(await registry.select('What time is it now?', 1), ['clock']);
    assert.deepEqual((await registry.select('book a flight to Rome', 3))[0], 'book_flight');
  });

  test("with their manuals' examples, the task tools are found by the tasks' own phrasings", async () => {
    const registry = await ToolRegistry.create(
      { ...distractors, ...builtinTools() },
      { examples: toolExamples() },
    );
    for (const t of toolTasks(generateWorld(1), { perKind: 10, seed: 4 }))
      assert.ok((await registry.select(t.question, 5)).includes(t.call.name as never), t.question);
  });

  test('embeddings rank when given: the closest manual wins', async () => {
    const embed = async (texts: string[]) =>
      texts.map((t) => [t.includes('born') || t.includes('lookup') ? 1 : 0, 1]);
    const registry = await ToolRegistry.create(builtinTools(), { embed });
    assert.deepEqual(await registry.select('born', 1), ['lookup']);
  });

  test('an agent shown one tool of 203 reaches its goal with models/chat', async () => {
    const model = jielong(loadCheckpoint(fileURLToPath(new URL('../../../models/chat', import.meta.url))));
    const run = new Agent({
      model,
      tools: { ...distractors, ...builtinTools() },
      toolsPerStep: 1,
      temperature: 0,
    }).run('Where was Jana Coyle born?');
    const shown: string[][] = [];
    for await (const e of run) if (e.type === 'tools') shown.push(e.names);
    assert.deepEqual(shown, [['lookup'], ['lookup']]);
    const r = await run.result;
    assert.deepEqual([r.reason, r.text], ['done', 'Jana Coyle was born in Stonebridge.']);
  });
});
