// An independent reader of the corpus: hand-written patterns (not the generator's templates) that pull the
// facts back out of sentences, and the words that mark a sentence as stating a given kind of fact. The
// corpus tests hold the generator to it: whatever it writes must read back as true facts of the world.

import { HOBBIES, PET_SPECIES, PROFESSIONS } from '../../src/data/corpus/traits.js';
import type { Fact, Relation, World } from '../../src/data/index.js';

interface Pattern {
  relation: Relation;
  regex: RegExp;
  /** The object comes before the subject in the sentence. */
  reversed?: boolean;
}

export interface FactReader {
  /** Every fact the sentence states, in the order of the patterns. */
  read(sentence: string): Fact[];
  /** The relations a sentence must state by its wording or the entities it names. */
  mustState(sentence: string): Relation[][];
}

function alternation(names: readonly string[]): string {
  const sorted = [...names].sort((a, b) => b.length - a.length);
  return `\\b(${sorted.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})\\b`;
}

export function factReader(world: World): FactReader {
  const slots: Record<string, string> = {
    P: alternation(world.people.map((p) => p.name)),
    C: alternation(world.cities.map((c) => c.name)),
    K: alternation(world.countries.map((c) => c.name)),
    L: alternation(world.countries.map((c) => c.language)),
    J: alternation(PROFESSIONS.map((p) => p.name)),
    H: alternation(HOBBIES),
    S: alternation(PET_SPECIES),
  };
  const p = (relation: Relation, source: string, reversed = false): Pattern => ({
    relation,
    regex: new RegExp(
      source.replace(/\{(\w)\}/g, (_, k: string) => slots[k]),
      'g',
    ),
    reversed,
  });
  const patterns: Pattern[] = [
    p('born_in', '{P} was born in (?:the city of )?{C}'),
    p('born_in', 'The birthplace of {P} is {C}'),
    p('born_in', '{C} is where {P} was born', true),
    p('lives_in', '{P} lives in (?:the city of )?{C}'),
    p('lives_in', 'The home of {P} is in {C}'),
    p('lives_in', '{P} has a house in {C}'),
    p('profession', '{P} (?:works as|is|has worked as) an? {J}'),
    p('hobby', "{P}(?: enjoys| enjoyed| spends free time on|'s hobby is) {H}"),
    p('hobby', 'The favorite hobby of {P} is {H}'),
    p('has_pet', '{P} (?:has a pet|owns an?|keeps an?|fed (?:his|her)|played with (?:his|her)) {S}'),
    p('has_pet', 'The pet of {P} is an? {S}'),
    p(
      'friend_of',
      '{P} (?:is a friend of|is friends with|met (?:his|her) friend|ran into (?:his|her) friend) {P}',
    ),
    p('friend_of', '{P} and {P} are friends'),
    p('friend_of', 'A good friend of {P} is {P}'),
    p('sibling_of', '{P} (?:is a sibling of|called (?:his|her) (?:brother|sister)) {P}'),
    p('sibling_of', '{P} and {P} are siblings'),
    p('sibling_of', 'One sibling of {P} is {P}'),
    p('works_with', '{P} (?:works with|is a colleague of|had lunch with (?:his|her) colleague) {P}'),
    p('works_with', '{P} and {P} (?:are colleagues|work together)'),
    p('located_in', '{C}(?: is a city in| is in| lies in| is a town in the country of|, a city in) {K}'),
    p('capital_of', '{C}(?: is|,) the capital (?:city )?of {K}'),
    p('capital_of', 'The capital (?:city )?of {K} is {C}', true),
    p('speaks', '(?:People in|The people of|The language of) {K} (?:speak|is) {L}'),
    p('speaks', 'In {K}, people speak {L}'),
    p('speaks', '{L} is spoken in {K}', true),
  ];
  const markers: [RegExp, Relation[]][] = [
    [/\bborn\b/, ['born_in']],
    [/\blives\b|\bhome of\b|\bhouse\b/, ['lives_in']],
    [new RegExp(slots.J), ['profession']],
    [new RegExp(`${slots.H}|\\bhobby\\b`), ['hobby']],
    [new RegExp(`${slots.S}|\\bpet\\b`), ['has_pet']],
    [/\bfriends?\b/, ['friend_of']],
    [/\bsiblings?\b|\bbrother\b|\bsister\b/, ['sibling_of']],
    [/\bcolleagues?\b|\bworks with\b|\bwork together\b/, ['works_with']],
    [/\bcapital\b/, ['capital_of']],
    [new RegExp(slots.K), ['located_in', 'capital_of', 'speaks']],
    [new RegExp(slots.L), ['speaks']],
  ];
  return {
    read(sentence) {
      return patterns.flatMap(({ relation, regex, reversed }) =>
        [...sentence.matchAll(regex)].map((m) =>
          reversed ? { subject: m[2], relation, object: m[1] } : { subject: m[1], relation, object: m[2] },
        ),
      );
    },
    mustState(sentence) {
      return markers.filter(([marker]) => marker.test(sentence)).map(([, relations]) => relations);
    },
  };
}

/** A document's sentences: every sentence ends with a period and no name contains one. */
export function sentences(text: string): string[] {
  return text.split(/(?<=\.)\s+/).filter((s) => s.length > 0);
}
