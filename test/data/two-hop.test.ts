// Two-hop questions: the answer is the country of the person's city; the corpus states the composed answer
// for the taught half of the people and never for the others, and leaves the plain corpus as it was.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateCorpus, generateWorld, TWO_HOP_CHAINS, twoHopQuestions } from '../../src/data/index.js';
import { escapeRegExp } from '../../src/data/templates.js';

const world = generateWorld(1);
const questions = twoHopQuestions(world);

test('each question composes two facts of the world', () => {
  assert.equal(questions.length, world.people.length * TWO_HOP_CHAINS.length);
  const located = new Map(
    world.facts.filter((f) => f.relation === 'located_in').map((f) => [f.subject, f.object]),
  );
  for (const q of questions) {
    const first = world.facts.find((f) => f.subject === q.subject && f.relation === q.chain.first);
    assert.equal(first?.object, q.bridge);
    assert.equal(located.get(q.bridge), q.answer);
    assert.ok(q.prompt.includes(q.subject) && !q.prompt.includes(q.answer));
  }
  assert.equal(questions.filter((q) => q.taught).length, questions.length / 2);
  assert.equal(
    questions.find((q) => q.chain.first === 'born_in')?.prompt,
    `The country where ${world.people[0].name} was born is`,
  );
});

test('the corpus states the taught composed answers and no held-out one', () => {
  const text = generateCorpus(world, { twoHop: 2 }).text;
  const stated = (q: (typeof questions)[number]) =>
    q.chain.templates.some((t) => {
      const sentence = t.replace('{s}', q.subject).replace('{o}', q.answer);
      return new RegExp(escapeRegExp(sentence)).test(text);
    });
  for (const q of questions) assert.equal(stated(q), q.taught, `${q.prompt} ${q.answer}`);
  assert.equal(generateCorpus(world).text, generateCorpus(world, { twoHop: 0 }).text);
  assert.throws(() => generateCorpus(world, { twoHop: -1 }), /twoHop must be an integer >= 0/);
});
