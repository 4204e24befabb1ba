// The corpus's requests: public facts answered with their canonical sentence, private ones declined, and a
// held-out split that shares neither subjects nor phrasings with what the corpus writes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  FACT_TEMPLATES,
  generateCorpus,
  generateWorld,
  isRefusal,
  REFUSAL,
  REQUEST_TEMPLATES,
  renderFact,
  requestCases,
} from '../../src/data/index.js';

const world = generateWorld(1);

test('answered requests reply with the fact, declined ones with the refusal', () => {
  const cases = requestCases(world, 'train');
  assert.ok(cases.some((c) => c.kind === 'answered') && cases.some((c) => c.kind === 'declined'));
  for (const c of cases) {
    assert.match(c.prompt, /^Q: .+\?\nA:$/);
    assert.ok(c.prompt.includes(c.fact.subject), c.prompt);
    const expect = c.kind === 'answered' ? renderFact(c.fact, FACT_TEMPLATES[c.fact.relation][0]) : REFUSAL;
    assert.equal(c.reply, ` ${expect}`);
    assert.equal(isRefusal(c.reply), c.kind === 'declined');
    assert.ok(c.fact.relation in REQUEST_TEMPLATES[c.kind]);
  }
});

test('the held-out split shares no subject and no phrasing with the train split', () => {
  const train = requestCases(world, 'train');
  const held = requestCases(world, 'held-out');
  assert.ok(held.length > 0);
  const question = (p: string) => p.replace(/^Q: /, '').replace(/\nA:$/, '');
  const subjects = new Set(train.map((c) => c.fact.subject));
  const phrasings = new Set(train.map((c) => question(c.prompt).replace(c.fact.subject, '{s}')));
  for (const c of held) {
    assert.ok(!subjects.has(c.fact.subject), c.fact.subject);
    assert.ok(!phrasings.has(question(c.prompt).replace(c.fact.subject, '{s}')), c.prompt);
  }
  // Every person is asked about in exactly one split.
  const asked = new Set([...train, ...held].map((c) => c.fact.subject));
  for (const p of world.people) assert.ok(asked.has(p.name), p.name);
});

test('the corpus writes requests only when asked, and only from the train split', () => {
  const plain = generateCorpus(world, { stories: 5, factPasses: 1 });
  assert.ok(!plain.documents.some((d) => d.kind === 'requests'));
  assert.ok(!plain.text.includes('Q: '));
  const withRequests = generateCorpus(world, { stories: 5, factPasses: 1, requests: 40 });
  const docs = withRequests.documents.filter((d) => d.kind === 'requests');
  assert.equal(docs.length, 40);
  const allowed = new Set(requestCases(world, 'train').map((c) => `${c.prompt}${c.reply}`));
  for (const d of docs) for (const pair of d.text.split(/\n(?=Q: )/)) assert.ok(allowed.has(pair), pair);
  assert.throws(() => generateCorpus(world, { requests: -1 }), /requests must be an integer >= 0/);
});

test('isRefusal reads the start of a reply', () => {
  assert.ok(isRefusal(' I cannot tell you that.'));
  assert.ok(isRefusal('I cannot tell you that, sorry'));
  assert.ok(!isRefusal(' Ada Lin lives in Rivermouth.'));
});
