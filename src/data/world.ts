// A small seeded world of people, cities and countries whose facts are known exactly, so a model trained on
// text about it can be probed and edited against ground truth. Some facts are left for reasoning: what a
// person speaks follows from lives_in -> located_in -> speaks and is never listed or written.
import { Generator } from '../tensor/index.js';
import { FEMALE_FIRST_NAMES, type Gender, LAST_NAMES, MALE_FIRST_NAMES } from './corpus/names.js';
import { CITY_NAMES, COUNTRY_NAMES, LANGUAGE_NAMES } from './corpus/places.js';
import { HOBBIES, PET_SPECIES, PROFESSIONS } from './corpus/traits.js';
import type { Fact } from './facts.js';
import { choice, shuffled } from './random.js';

export type { Gender } from './corpus/names.js';

export interface Person {
  /** Full name, "First Last": unique in the world. */
  name: string;
  firstName: string;
  lastName: string;
  gender: Gender;
  bornIn: string;
  livesIn: string;
  profession: string;
  hobby: string;
  /** A species, or null for no pet. */
  pet: string | null;
  /** Symmetric; siblings share a last name and a birthplace. */
  siblings: string[];
  friends: string[];
  /** Exactly the others with the same profession in the same city. */
  colleagues: string[];
}

export interface City {
  name: string;
  country: string;
}

export interface Country {
  name: string;
  capital: string;
  language: string;
}

export interface World {
  seed: number;
  people: Person[];
  cities: City[];
  countries: Country[];
  facts: Fact[];
}

export interface WorldOptions {
  /** Default 40. */
  people?: number;
  /** Default 5. */
  countries?: number;
  /** Default 4; the first city of each country is its capital. */
  citiesPerCountry?: number;
}

const SIBLING_RATE = 0.3; // chance a family gets one more child (again for a third)
const MOVED_RATE = 0.6; // chance a home is drawn from all cities rather than kept at the birthplace
const PET_RATE = 0.6;
const COLLEAGUE_RATE = 0.25; // chance a person takes the job and city of someone before them
const MAX_FRIENDS_ADDED = 2; // each person befriends 1..this many others (and is befriended in turn)

export function generateWorld(seed: number, options: WorldOptions = {}): World {
  const nPeople = checkCount('people', options.people ?? 40, LAST_NAMES.length ** 2);
  const nCountries = checkCount('countries', options.countries ?? 5, COUNTRY_NAMES.length);
  const perCountry = checkCount(
    'citiesPerCountry',
    options.citiesPerCountry ?? 4,
    Math.floor(CITY_NAMES.length / nCountries),
  );
  const g = new Generator(seed);

  const languages = shuffled(g, LANGUAGE_NAMES);
  const cityNames = shuffled(g, CITY_NAMES);
  const countries: Country[] = shuffled(g, COUNTRY_NAMES)
    .slice(0, nCountries)
    .map((name, i) => ({ name, capital: cityNames[i * perCountry], language: languages[i] }));
  const cities: City[] = cityNames
    .slice(0, nCountries * perCountry)
    .map((name, i) => ({ name, country: countries[Math.floor(i / perCountry)].name }));
  const cityList = cities.map((c) => c.name);

  const people = makeFamilies(g, nPeople, cityList);
  clusterColleagues(g, people);
  makeFriends(g, people);
  for (const p of people) for (const list of [p.siblings, p.friends, p.colleagues]) list.sort();

  return { seed, people, cities, countries, facts: listFacts(people, cities, countries) };
}

function checkCount(name: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new Error(`generateWorld: ${name} must be an integer in [1, ${max}], got ${value}`);
  }
  return value;
}

/**
 * The last name of family `f`: each of the shuffled names once, then (only in worlds of more families than
 * names, so smaller worlds are as they always were) double-barrelled pairs, every pair at most once.
 */
function familyName(names: readonly string[], f: number): string {
  const n = names.length;
  if (f < n) return names[f];
  const a = f % n;
  return `${names[a]}-${names[(a + Math.floor(f / n)) % n]}`;
}

/** People in families: a fresh last name per family, so siblings share exactly a last name and a birthplace. */
function makeFamilies(g: Generator, n: number, cities: string[]): Person[] {
  const lastNames = shuffled(g, LAST_NAMES);
  const people: Person[] = [];
  for (let family = 0; people.length < n; family++) {
    let size = 1;
    while (size < 3 && people.length + size < n && g.random() < SIBLING_RATE) size++;
    const bornIn = choice(g, cities);
    const members: Person[] = [];
    while (members.length < size) {
      const gender: Gender = g.random() < 0.5 ? 'female' : 'male';
      const firstName = choice(g, gender === 'female' ? FEMALE_FIRST_NAMES : MALE_FIRST_NAMES);
      if (members.some((m) => m.firstName === firstName)) continue;
      const lastName = familyName(lastNames, family);
      members.push({
        name: `${firstName} ${lastName}`,
        firstName,
        lastName,
        gender,
        bornIn,
        livesIn: g.random() < MOVED_RATE ? choice(g, cities) : bornIn,
        profession: choice(g, PROFESSIONS).name,
        hobby: choice(g, HOBBIES),
        pet: g.random() < PET_RATE ? choice(g, PET_SPECIES) : null,
        siblings: [],
        friends: [],
        colleagues: [],
      });
    }
    for (const m of members) m.siblings = members.filter((o) => o !== m).map((o) => o.name);
    people.push(...members);
  }
  return people;
}

/** Copies some people's job and city onto others so that colleagues exist, then links all such pairs. */
function clusterColleagues(g: Generator, people: Person[]): void {
  for (let i = 1; i < people.length; i++) {
    if (g.random() >= COLLEAGUE_RATE) continue;
    const model = people[g.randint(i)];
    people[i].profession = model.profession;
    people[i].livesIn = model.livesIn;
  }
  for (const p of people) {
    p.colleagues = people
      .filter((o) => o !== p && o.profession === p.profession && o.livesIn === p.livesIn)
      .map((o) => o.name);
  }
}

function makeFriends(g: Generator, people: Person[]): void {
  for (const p of people) {
    const candidates = people.filter((o) => o !== p && !p.siblings.includes(o.name));
    const wanted = 1 + g.randint(MAX_FRIENDS_ADDED);
    for (const friend of shuffled(g, candidates).slice(0, wanted)) {
      if (p.friends.includes(friend.name)) continue;
      p.friends.push(friend.name);
      friend.friends.push(p.name);
    }
  }
}

function listFacts(people: Person[], cities: City[], countries: Country[]): Fact[] {
  const facts: Fact[] = [];
  for (const c of countries) facts.push({ subject: c.name, relation: 'speaks', object: c.language });
  for (const c of cities) facts.push({ subject: c.name, relation: 'located_in', object: c.country });
  for (const c of countries) facts.push({ subject: c.capital, relation: 'capital_of', object: c.name });
  for (const p of people) {
    const s = p.name;
    facts.push({ subject: s, relation: 'born_in', object: p.bornIn });
    facts.push({ subject: s, relation: 'lives_in', object: p.livesIn });
    facts.push({ subject: s, relation: 'profession', object: p.profession });
    facts.push({ subject: s, relation: 'hobby', object: p.hobby });
    if (p.pet !== null) facts.push({ subject: s, relation: 'has_pet', object: p.pet });
    for (const o of p.siblings) facts.push({ subject: s, relation: 'sibling_of', object: o });
    for (const o of p.friends) facts.push({ subject: s, relation: 'friend_of', object: o });
    for (const o of p.colleagues) facts.push({ subject: s, relation: 'works_with', object: o });
  }
  return facts;
}
