// The world: same seed same world, and its facts are consistent with each other and with the entities.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { factKey, generateWorld, RELATIONS, type Relation, type World } from '../../src/data/index.js';

function keys(world: World): Set<string> {
  return new Set(world.facts.map(factKey));
}

test('the same seed gives the same world and different seeds differ', () => {
  assert.deepEqual(generateWorld(7), generateWorld(7));
  const a = generateWorld(7);
  const b = generateWorld(8);
  assert.notDeepEqual(
    a.people.map((p) => p.name),
    b.people.map((p) => p.name),
  );
  assert.notDeepEqual(keys(a), keys(b));
});

test('sizes follow the options', () => {
  const w = generateWorld(3, { people: 25, countries: 3, citiesPerCountry: 2 });
  assert.equal(w.people.length, 25);
  assert.equal(w.countries.length, 3);
  assert.equal(w.cities.length, 6);
  assert.throws(() => generateWorld(3, { people: 0 }), /people must be an integer in \[1, 3600\], got 0/);
  assert.throws(() => generateWorld(3, { countries: 13 }), /countries must be an integer in \[1, 12\]/);
  assert.throws(() => generateWorld(3, { countries: 5, citiesPerCountry: 9 }), /citiesPerCountry/);
});

for (const seed of [0, 1, 2, 42]) {
  test(`facts are consistent (seed ${seed})`, () => {
    const w = generateWorld(seed);
    const people = new Map(w.people.map((p) => [p.name, p]));
    const cities = new Map(w.cities.map((c) => [c.name, c]));
    const countries = new Map(w.countries.map((c) => [c.name, c]));

    // Names are ids: unique across every kind of entity and value.
    const names = [
      ...w.people.map((p) => p.name),
      ...w.cities.map((c) => c.name),
      ...w.countries.map((c) => c.name),
      ...w.countries.map((c) => c.language),
    ];
    assert.equal(new Set(names).size, names.length, 'entity names repeat');

    for (const c of w.cities) assert.ok(countries.has(c.country), `${c.name} is in unknown ${c.country}`);
    for (const c of w.countries) {
      assert.equal(cities.get(c.capital)?.country, c.name, `capital of ${c.name} lies elsewhere`);
    }
    assert.equal(new Set(w.countries.map((c) => c.language)).size, w.countries.length);

    // Each fact has the kinds of entities its relation's schema names.
    const kindOf = (name: string): string | undefined =>
      people.has(name) ? 'person' : cities.has(name) ? 'city' : countries.has(name) ? 'country' : undefined;
    for (const f of w.facts) {
      const info = RELATIONS[f.relation];
      assert.notEqual(f.subject, f.object, `self-relation ${f.subject} ${f.relation}`);
      assert.equal(kindOf(f.subject), info.subject, `subject of ${f.subject} ${f.relation} ${f.object}`);
      if (['person', 'city', 'country'].includes(info.object)) {
        assert.equal(kindOf(f.object), info.object, `object of ${f.subject} ${f.relation} ${f.object}`);
      }
    }

    // Functional relations have one object per subject; symmetric ones are listed both ways.
    const facts = keys(w);
    assert.equal(facts.size, w.facts.length, 'a fact is listed twice');
    const seen = new Set<string>();
    for (const f of w.facts) {
      const info = RELATIONS[f.relation];
      if (info.functional) {
        const key = `${f.subject}|${f.relation}`;
        assert.ok(!seen.has(key), `${f.subject} has two ${f.relation} facts`);
        seen.add(key);
      }
      if (info.symmetric)
        assert.ok(
          facts.has(factKey({ subject: f.object, relation: f.relation, object: f.subject })),
          `${f.relation} one way`,
        );
    }

    for (const p of w.people) {
      const has = (relation: Relation, object: string | null): boolean =>
        object !== null && facts.has(factKey({ subject: p.name, relation, object }));
      assert.ok(has('born_in', p.bornIn) && cities.has(p.bornIn));
      assert.ok(has('lives_in', p.livesIn) && cities.has(p.livesIn));
      assert.ok(has('profession', p.profession));
      assert.ok(has('hobby', p.hobby));
      assert.equal(has('has_pet', p.pet), p.pet !== null);
      assert.equal(
        w.facts.filter((f) => f.subject === p.name && f.relation === 'has_pet').length,
        p.pet ? 1 : 0,
      );
      assert.equal(p.name, `${p.firstName} ${p.lastName}`);
      for (const s of p.siblings) {
        const sib = people.get(s)!;
        assert.equal(sib.lastName, p.lastName, `siblings ${p.name} and ${s} have different last names`);
        assert.equal(sib.bornIn, p.bornIn, `siblings ${p.name} and ${s} were born apart`);
      }
      // works_with holds exactly between people with the same job in the same city.
      const expected = w.people
        .filter((o) => o !== p && o.profession === p.profession && o.livesIn === p.livesIn)
        .map((o) => o.name)
        .sort();
      assert.deepEqual(p.colleagues, expected);
      for (const f of p.friends) assert.ok(!p.siblings.includes(f), `${p.name} befriends sibling ${f}`);
    }
    // The generator must produce every kind of relation, or a probe suite would silently skip one.
    for (const r of Object.keys(RELATIONS))
      assert.ok(
        w.facts.some((f) => f.relation === r),
        `no ${r} facts`,
      );
  });
}

test('a world of more families than last names: double-barrelled names, every name once, smaller worlds unchanged', () => {
  const big = generateWorld(1, { people: 400 });
  assert.equal(big.people.length, 400);
  assert.equal(new Set(big.people.map((p) => p.name)).size, 400);
  assert.ok(big.people.some((p) => /^\S+ \S+-\S+$/.test(p.name)));
  // Up to 60 families, the names are the shuffled list itself: the default world has no hyphenated name.
  assert.ok(generateWorld(1).people.every((p) => !p.lastName.includes('-')));
  assert.ok(big.facts.filter((f) => RELATIONS[f.relation].functional).length > 1000);
});
