// Short stories about one person's day. Every sentence that states a fact names both ends of it in full
// (no pronoun standing for a name), so each stated fact can be checked against the world; the filler
// between them states nothing.
import type { Generator } from '../tensor/index.js';
import { CHATS, CLOSINGS, OPENINGS, WEATHER, WEEKDAYS } from './corpus/phrases.js';
import { PROFESSIONS } from './corpus/traits.js';
import type { Fact, Relation } from './facts.js';
import { choice, shuffled } from './random.js';
import { FACT_TEMPLATES, fill, renderFact } from './templates.js';
import type { Country, Person, World } from './world.js';

export interface CorpusDocument {
  kind: 'story' | 'facts' | 'requests' | 'two-hop';
  text: string;
  /** The facts its sentences state, in order (a fact stated twice appears twice; none for requests
   * and two-hop sentences, whose composed facts are no relation of the world). */
  facts: Fact[];
}

const PRONOUNS = {
  female: { subj: 'she', pos: 'her', sibling: 'sister' },
  male: { subj: 'he', pos: 'his', sibling: 'brother' },
} as const;

/** One episode of a day: the sentences to add, given the document being written. */
type Episode = (doc: DocumentBuilder) => void;

class DocumentBuilder {
  readonly sentences: string[] = [];
  readonly facts: Fact[] = [];

  constructor(readonly g: Generator) {}

  /** A sentence stating one fact. */
  state(fact: Fact, sentence: string): void {
    this.sentences.push(sentence);
    this.facts.push(fact);
  }

  /** A fact in one of its template phrasings. */
  stateFact(subject: string, relation: Relation, object: string): void {
    const stated = fact(subject, relation, object);
    this.state(stated, renderFact(stated, choice(this.g, FACT_TEMPLATES[relation])));
  }

  say(sentence: string): void {
    this.sentences.push(sentence);
  }
}

export class StoryWriter {
  private readonly people: Map<string, Person>;
  private readonly countries: Map<string, Country>;
  private readonly activities: Map<string, string>;

  constructor(private readonly world: World) {
    this.people = new Map(world.people.map((p) => [p.name, p]));
    this.countries = new Map(world.countries.map((c) => [c.name, c]));
    this.activities = new Map(PROFESSIONS.map((p) => [p.name, p.activity]));
  }

  write(person: Person, g: Generator): CorpusDocument {
    const doc = new DocumentBuilder(g);
    const p = person.name;
    const { subj, pos } = PRONOUNS[person.gender];
    doc.say(
      fill(choice(g, OPENINGS), {
        first: person.firstName,
        home: person.livesIn,
        weather: choice(g, WEATHER),
        weekday: choice(g, WEEKDAYS),
      }),
    );
    if (g.random() < 0.5) doc.stateFact(p, 'born_in', person.bornIn);
    doc.stateFact(p, 'lives_in', person.livesIn);
    doc.stateFact(p, 'profession', person.profession);
    doc.say(`At work, ${subj} ${this.activity(person.profession)}.`);

    const episodes: Episode[] = [(d) => this.travel(d, person), (d) => this.hobby(d, person)];
    if (person.friends.length > 0) episodes.push((d) => this.meetFriend(d, person, pos));
    if (person.siblings.length > 0) episodes.push((d) => this.callSibling(d, person, pos));
    if (person.colleagues.length > 0) episodes.push((d) => this.lunchWithColleague(d, person, pos));
    if (person.pet !== null) episodes.push((d) => this.pet(d, person, pos));
    for (const episode of shuffled(g, episodes).slice(0, 2 + g.randint(2))) episode(doc);

    doc.say(fill(choice(g, CLOSINGS), { first: person.firstName, subj }));
    return { kind: 'story', text: doc.sentences.join(' '), facts: doc.facts };
  }

  private activity(profession: string): string {
    const activity = this.activities.get(profession);
    if (activity === undefined) throw new Error(`StoryWriter: no activity for profession '${profession}'`);
    return activity;
  }

  private meetFriend(doc: DocumentBuilder, person: Person, pos: string): void {
    const friend = this.person(choice(doc.g, person.friends));
    const place = choice(doc.g, [person.livesIn, friend.livesIn]);
    const when = choice(doc.g, ['Later', 'In the afternoon', 'After lunch']);
    const verb = choice(doc.g, ['met', 'ran into']);
    doc.state(
      fact(person.name, 'friend_of', friend.name),
      `${when}, ${person.name} ${verb} ${pos} friend ${friend.name} in ${place}.`,
    );
    if (doc.g.random() < 0.5) {
      doc.say(choice(doc.g, CHATS));
    } else {
      doc.state(
        fact(friend.name, 'hobby', friend.hobby),
        `${friend.name} enjoys ${friend.hobby}, so they talked about it.`,
      );
    }
  }

  private callSibling(doc: DocumentBuilder, person: Person, pos: string): void {
    const sibling = this.person(choice(doc.g, person.siblings));
    doc.state(
      fact(person.name, 'sibling_of', sibling.name),
      `In the evening, ${person.name} called ${pos} ${PRONOUNS[sibling.gender].sibling} ${sibling.name}.`,
    );
  }

  private lunchWithColleague(doc: DocumentBuilder, person: Person, pos: string): void {
    const colleague = choice(doc.g, person.colleagues);
    doc.state(
      fact(person.name, 'works_with', colleague),
      `${person.name} had lunch with ${pos} colleague ${colleague}.`,
    );
  }

  private travel(doc: DocumentBuilder, person: Person): void {
    const city = choice(doc.g, this.world.cities);
    const country = this.country(city.country);
    if (city.name === country.capital) {
      doc.state(
        fact(city.name, 'capital_of', country.name),
        `On the weekend, ${person.name} visited ${city.name}, the capital of ${country.name}.`,
      );
    } else {
      doc.state(
        fact(city.name, 'located_in', country.name),
        `${person.name} took a train to ${city.name}, a city in ${country.name}.`,
      );
    }
  }

  private hobby(doc: DocumentBuilder, person: Person): void {
    doc.state(
      fact(person.name, 'hobby', person.hobby),
      `In the evening, ${person.name} enjoyed ${person.hobby}.`,
    );
  }

  private pet(doc: DocumentBuilder, person: Person, pos: string): void {
    const verb = choice(doc.g, ['fed', 'played with']);
    doc.state(fact(person.name, 'has_pet', person.pet!), `${person.name} ${verb} ${pos} ${person.pet}.`);
  }

  private person(name: string): Person {
    return lookup(this.people, name, 'person');
  }

  private country(name: string): Country {
    return lookup(this.countries, name, 'country');
  }
}

function fact(subject: string, relation: Relation, object: string): Fact {
  return { subject, relation, object };
}

function lookup<T>(map: Map<string, T>, name: string, kind: string): T {
  const found = map.get(name);
  if (found === undefined) throw new Error(`StoryWriter: the world has no ${kind} named '${name}'`);
  return found;
}
