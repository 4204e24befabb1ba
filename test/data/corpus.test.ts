// The corpus: deterministic, ASCII, and everything it states is a true fact of its world, every fact of the
// world is stated, and the probe prompts are the text of a fact up to the answer.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type Fact,
  factPrompt,
  factPrompts,
  generateCorpus,
  generateWorld,
  factKey as key,
  RELATIONS,
  type Relation,
} from '../../src/data/index.js';
import { factReader, sentences } from './read-facts.js';

test('the same seed gives the same corpus and different seeds differ', () => {
  const world = generateWorld(5);
  const a = generateCorpus(world, { seed: 1, stories: 50, factPasses: 2 });
  assert.deepEqual(generateCorpus(world, { seed: 1, stories: 50, factPasses: 2 }), a);
  assert.notEqual(generateCorpus(world, { seed: 2, stories: 50, factPasses: 2 }).text, a.text);
  assert.equal(generateCorpus(world).text, generateCorpus(world, { seed: world.seed }).text);
});

test('the text is the documents joined by blank lines, and the sizes follow the options', () => {
  const world = generateWorld(5);
  const c = generateCorpus(world, { stories: 30, factPasses: 2, factsPerParagraph: 5 });
  assert.equal(c.text, `${c.documents.map((d) => d.text).join('\n\n')}\n`);
  assert.equal(c.documents.filter((d) => d.kind === 'story').length, 30);
  const paragraphs = c.documents.filter((d) => d.kind === 'facts');
  assert.equal(paragraphs.length, 2 * Math.ceil(world.facts.length / 5));
  assert.equal(
    paragraphs.reduce((n, d) => n + d.facts.length, 0),
    2 * world.facts.length,
  );
  assert.throws(() => generateCorpus(world, { stories: -1 }), /stories must be an integer >= 0, got -1/);
  assert.throws(() => generateCorpus(world, { factsPerParagraph: 0 }), /factsPerParagraph/);
});

for (const seed of [0, 1, 2]) {
  test(`every stated fact is true and every fact is stated (seed ${seed})`, () => {
    const world = generateWorld(seed);
    const start = performance.now();
    const corpus = generateCorpus(world);
    const ms = performance.now() - start;
    assert.ok(ms < 1000, `default corpus took ${ms.toFixed(0)} ms`);
    assert.ok(corpus.text.length > 100_000 && corpus.text.length < 1_000_000, `${corpus.text.length} chars`);
    assert.match(corpus.text, /^[\n\x20-\x7e]*$/, 'the corpus is not printable ASCII');

    const truth = new Set(world.facts.map(key));
    const reader = factReader(world);
    const stated = new Set<string>();
    for (const doc of corpus.documents) {
      const read: Fact[] = [];
      for (const sentence of sentences(doc.text)) {
        const facts = reader.read(sentence);
        for (const f of facts) assert.ok(truth.has(key(f)), `false fact in "${sentence}"`);
        for (const relations of reader.mustState(sentence)) {
          assert.ok(
            facts.some((f) => relations.includes(f.relation)),
            `"${sentence}" reads as stating ${relations.join(' or ')} but states none`,
          );
        }
        read.push(...facts);
      }
      // The document's own list of facts is what its text says, no more and no less.
      assert.deepEqual(read.map(key).sort(), doc.facts.map(key).sort(), doc.text);
      for (const f of read) stated.add(key(f));
    }
    for (const f of world.facts) assert.ok(stated.has(key(f)), `never stated: ${key(f)}`);
  });
}

test('stories get pronouns and sibling words right', () => {
  const world = generateWorld(3);
  const gender = new Map(world.people.map((p) => [p.name, p.gender]));
  const names = world.people.map((p) => p.name).join('|');
  const possessive = new RegExp(
    `(${names}) (?:met|ran into|called|had lunch with|fed|played with) (his|her) `,
    'g',
  );
  const sibling = new RegExp(`(brother|sister) (${names})`, 'g');
  const corpus = generateCorpus(world, { stories: 400, factPasses: 0 });
  let checked = 0;
  for (const m of corpus.text.matchAll(possessive)) {
    assert.equal(m[2], gender.get(m[1]) === 'female' ? 'her' : 'his', m[0]);
    checked++;
  }
  for (const m of corpus.text.matchAll(sibling)) {
    assert.equal(m[1], gender.get(m[2]) === 'female' ? 'sister' : 'brother', m[0]);
    checked++;
  }
  assert.ok(checked > 100, `only ${checked} pronouns to check`);
});

test('factPrompt gives the known prompt and answer', () => {
  assert.deepEqual(factPrompt({ subject: 'Ada Lin', relation: 'born_in', object: 'Rivermouth' }), {
    prompt: 'Ada Lin was born in',
    answer: ' Rivermouth',
  });
  assert.deepEqual(factPrompt({ subject: 'Ada Lin', relation: 'profession', object: 'engineer' }), {
    prompt: 'Ada Lin works as an',
    answer: ' engineer',
  });
  const capital: Fact = { subject: 'Rivermouth', relation: 'capital_of', object: 'Norland' };
  assert.deepEqual(factPrompt(capital), { prompt: 'Rivermouth is the capital of', answer: ' Norland' });
  assert.deepEqual(
    factPrompts(capital, 'subject').find((c) => c.prompt === 'The capital of Norland is'),
    { prompt: 'The capital of Norland is', answer: ' Rivermouth' },
  );
});

test('every prompt completed by its answer reads back as its fact', () => {
  const world = generateWorld(0);
  const reader = factReader(world);
  const relations = new Set<Relation>();
  for (const f of world.facts) {
    const cases = [...factPrompts(f), ...factPrompts(f, 'subject')];
    assert.ok(cases.length >= 2, `only ${cases.length} prompts for ${key(f)}`);
    assert.ok(cases.some((c) => c.prompt === factPrompt(f).prompt));
    for (const { prompt, answer } of cases) {
      assert.ok(answer.startsWith(' ') && !prompt.endsWith(' '), JSON.stringify({ prompt, answer }));
      assert.deepEqual(reader.read(`${prompt}${answer}.`).map(key), [key(f)], prompt);
    }
    relations.add(f.relation);
  }
  assert.equal(relations.size, Object.keys(RELATIONS).length);
});
