// Scoring agent runs on tasks with known answers: a reply is right only when it gives the answer as a
// whole, not as a piece of another number or of the question's own expression.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { answers, scoreOutcomes, type TaskOutcome } from '../../src/agent/index.js';

const sum = (expression: string, answer: string) => ({
  answer,
  call: { name: 'calculator', arguments: { expression } },
});
const fact = (answer: string) => ({
  answer,
  call: { name: 'lookup', arguments: { subject: 'Ada Lin', relation: 'born_in' } },
});

test('answers: whole words and numbers, outside the repeated expression', () => {
  assert.equal(answers('5012 - 5000 is 12.', sum('5012 - 5000', '12')), true);
  assert.equal(answers('5012 - 5000 is 13.', sum('5012 - 5000', '12')), false, '12 inside 5012');
  assert.equal(answers('20 - 10 is 9.', sum('20 - 10', '10')), false, '10 only in the expression');
  assert.equal(answers('7541 - 8895 is -1354.', sum('7541 - 8895', '-1354')), true);
  assert.equal(answers('7541 - 8895 is 1354.', sum('7541 - 8895', '-1354')), false);
  assert.equal(answers('It is -1354.', sum('1 - 1355', '1354')), false, 'the sign belongs to the number');
  assert.equal(answers('Ada Lin was born in Stonebridge.', fact('Stonebridge')), true);
  assert.equal(answers('Ada Lin was born in Stonebridgeton.', fact('Stonebridge')), false);
});

test('scoreOutcomes: accuracy, steps and seconds per kind and condition, and over all kinds', () => {
  const o = (kind: TaskOutcome['kind'], correct: boolean, steps: number): TaskOutcome => ({
    kind,
    condition: 'tools',
    question: '',
    answer: '',
    reply: '',
    correct,
    steps,
    seconds: steps / 10,
    reason: 'done',
    called: [],
  });
  const scores = scoreOutcomes([o('lookup', true, 2), o('lookup', false, 1), o('date', true, 2)]);
  const find = (kind: string) => scores.find((s) => s.kind === kind)!;
  assert.deepEqual([find('lookup').tasks, find('lookup').accuracy, find('lookup').steps], [2, 0.5, 1.5]);
  assert.deepEqual([find('all').tasks, find('all').accuracy], [3, 2 / 3]);
  assert.ok(Math.abs(find('date').seconds - 0.2) < 1e-12);
});
