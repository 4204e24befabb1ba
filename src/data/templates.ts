// Fact sentences in several phrasings per relation, so a model has to learn the fact rather than one
// fixed string. The first template of each relation is canonical and ends with the object (see prompts.ts).
import type { Fact, Relation } from './facts.js';

/** {s} subject, {o} object, {a} the indefinite article for the object. */
export const FACT_TEMPLATES: Readonly<Record<Relation, readonly string[]>> = {
  born_in: [
    '{s} was born in {o}.',
    '{s} was born in the city of {o}.',
    'The birthplace of {s} is {o}.',
    '{o} is where {s} was born.',
  ],
  lives_in: [
    '{s} lives in {o}.',
    '{s} lives in the city of {o}.',
    'These days {s} lives in {o}.',
    'The home of {s} is in {o}.',
    '{s} has a house in {o}.',
  ],
  profession: [
    '{s} works as {a} {o}.',
    '{s} is {a} {o}.',
    'By trade, {s} is {a} {o}.',
    '{s} has worked as {a} {o} for years.',
  ],
  hobby: [
    '{s} enjoys {o}.',
    'The favorite hobby of {s} is {o}.',
    '{s} spends free time on {o}.',
    "{s}'s hobby is {o}.",
  ],
  has_pet: [
    '{s} has a pet {o}.',
    '{s} owns {a} {o}.',
    '{s} keeps {a} {o} at home.',
    'The pet of {s} is {a} {o}.',
  ],
  friend_of: [
    '{s} is a friend of {o}.',
    '{s} is friends with {o}.',
    '{s} and {o} are friends.',
    'A good friend of {s} is {o}.',
  ],
  sibling_of: ['{s} is a sibling of {o}.', '{s} and {o} are siblings.', 'One sibling of {s} is {o}.'],
  works_with: [
    '{s} works with {o}.',
    '{s} is a colleague of {o}.',
    '{s} and {o} are colleagues.',
    '{s} and {o} work together.',
  ],
  located_in: [
    '{s} is a city in {o}.',
    '{s} is in {o}.',
    '{s} lies in {o}.',
    'The city of {s} is in {o}.',
    '{s} is a town in the country of {o}.',
  ],
  capital_of: [
    '{s} is the capital of {o}.',
    'The capital of {o} is {s}.',
    '{s} is the capital city of {o}.',
    'The capital city of {o} is {s}.',
  ],
  speaks: [
    'People in {s} speak {o}.',
    'The language of {s} is {o}.',
    'In {s}, people speak {o}.',
    '{o} is spoken in {s}.',
    'The people of {s} speak {o}.',
  ],
};

/** Replaces each {key} with values[key]; a key without a value is a bug in the template, so it throws. */
export function fill(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{(\w+)\}/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`fill: no value for {${key}} in "${template}"`);
    return value;
  });
}

export function article(word: string): 'a' | 'an' {
  return /^[aeiou]/i.test(word) ? 'an' : 'a';
}

export function renderFact(fact: Fact, template: string): string {
  return fill(template, { s: fact.subject, o: fact.object, a: article(fact.object) });
}

/** `text` as a regular expression that matches it literally (to search for names and phrases). */
export const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
