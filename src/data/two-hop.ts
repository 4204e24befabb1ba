// Two-hop questions ("Hopping Too Late", Biran et al. 2024): "The country where Ada Lin was born is" asks for
// located_in(born_in(Ada Lin)). The corpus states both hops for everyone, and the composed answer only for
// the taught half of the people, so on the other half a model has to compose the hops itself, which is
// where back-patching finds answers resolved too late.
import type { Generator } from '../tensor/index.js';
import type { Relation } from './facts.js';
import { choice } from './random.js';
import { fill } from './templates.js';
import type { World } from './world.js';

export interface TwoHopChain {
  /** The person's relation to a city (the bridge entity). */
  first: Extract<Relation, 'born_in' | 'lives_in'>;
  second: Extract<Relation, 'located_in'>;
  /** {s} the person, {o} the answer; the first is the canonical question and ends with the answer. */
  templates: readonly string[];
}

export const TWO_HOP_CHAINS: readonly TwoHopChain[] = [
  {
    first: 'born_in',
    second: 'located_in',
    templates: [
      'The country where {s} was born is {o}.',
      '{s} was born in the country of {o}.',
      '{o} is the country where {s} was born.',
    ],
  },
  {
    first: 'lives_in',
    second: 'located_in',
    templates: [
      'The country where {s} lives is {o}.',
      '{s} lives in the country of {o}.',
      '{o} is the country where {s} lives.',
    ],
  },
];

export interface TwoHopQuestion {
  subject: string;
  chain: TwoHopChain;
  /** The first hop's answer, e.g. the city of birth. */
  bridge: string;
  /** The second hop's answer about the bridge: the composed answer. */
  answer: string;
  /** The canonical question up to the answer: "The country where Ada Lin was born is". */
  prompt: string;
  /** The corpus states this composed answer (half of the people); otherwise it must be composed. */
  taught: boolean;
}

/** Every person's two-hop questions; every other person (by index) is held out of the composed answers. */
export function twoHopQuestions(world: World): TwoHopQuestion[] {
  const countryOf = new Map(world.cities.map((c) => [c.name, c.country]));
  return world.people.flatMap((p, i) =>
    TWO_HOP_CHAINS.map((chain) => {
      const bridge = chain.first === 'born_in' ? p.bornIn : p.livesIn;
      const answer = countryOf.get(bridge);
      if (!answer) throw new Error(`twoHopQuestions: city '${bridge}' has no country`);
      const canonical = chain.templates[0];
      return {
        subject: p.name,
        chain,
        bridge,
        answer,
        prompt: fill(canonical.slice(0, canonical.indexOf(' {o}')), { s: p.name }),
        taught: i % 2 === 0,
      };
    }),
  );
}

/** A random phrasing of a question with its answer, as the corpus writes the taught ones. */
export function twoHopSentence(q: TwoHopQuestion, g: Generator): string {
  return fill(choice(g, q.chain.templates), { s: q.subject, o: q.answer });
}
