// Facts as (subject, relation, object) triples over entity names, with the relations' schema.
// Names are unique across the whole world, so a name is also an entity's id.

export type EntityKind = 'person' | 'city' | 'country' | 'language' | 'profession' | 'hobby' | 'species';

export type Relation =
  | 'born_in'
  | 'lives_in'
  | 'profession'
  | 'hobby'
  | 'has_pet'
  | 'friend_of'
  | 'sibling_of'
  | 'works_with'
  | 'located_in'
  | 'capital_of'
  | 'speaks';

export interface Fact {
  subject: string;
  relation: Relation;
  object: string;
}

export interface RelationInfo {
  subject: EntityKind;
  object: EntityKind;
  /** Holds both ways; the world lists both directions. */
  symmetric: boolean;
  /** At most one object per subject, so "<subject> <relation>" has a single right answer to probe. */
  functional: boolean;
}

export const RELATIONS: Readonly<Record<Relation, RelationInfo>> = {
  born_in: { subject: 'person', object: 'city', symmetric: false, functional: true },
  lives_in: { subject: 'person', object: 'city', symmetric: false, functional: true },
  profession: { subject: 'person', object: 'profession', symmetric: false, functional: true },
  hobby: { subject: 'person', object: 'hobby', symmetric: false, functional: true },
  has_pet: { subject: 'person', object: 'species', symmetric: false, functional: true },
  friend_of: { subject: 'person', object: 'person', symmetric: true, functional: false },
  sibling_of: { subject: 'person', object: 'person', symmetric: true, functional: false },
  works_with: { subject: 'person', object: 'person', symmetric: true, functional: false },
  located_in: { subject: 'city', object: 'country', symmetric: false, functional: true },
  capital_of: { subject: 'city', object: 'country', symmetric: false, functional: true },
  speaks: { subject: 'country', object: 'language', symmetric: false, functional: true },
};

/** A stable text key for sets and maps of facts. */
export function factKey(fact: Fact): string {
  return `${fact.subject}|${fact.relation}|${fact.object}`;
}
