// The training text for a world: stories about its people mixed with paragraphs of plain fact sentences.
// Every fact is written factPasses times in fresh random phrasings, so each one is learnable from the text
// and none is tied to one fixed sentence.
import { Generator } from '../tensor/index.js';
import { choice, shuffled } from './random.js';
import { requestCases, requestDocument } from './requests.js';
import { type CorpusDocument, StoryWriter } from './story.js';
import { FACT_TEMPLATES, renderFact } from './templates.js';
import { twoHopQuestions, twoHopSentence } from './two-hop.js';
import type { World } from './world.js';

export type { CorpusDocument } from './story.js';

export interface CorpusOptions {
  /** Default: the world's seed. */
  seed?: number;
  /** Stories, spread evenly over the people. Default 600. */
  stories?: number;
  /** How many times the whole fact list is written out. Default 8. */
  factPasses?: number;
  /** Fact sentences per paragraph. Default 6. */
  factsPerParagraph?: number;
  /**
   * Documents of questions and replies (requests.ts): public facts answered, private ones declined with a
   * fixed phrase, for the refusal-direction experiment. Default 0, so the plain corpus stays as it was.
   */
  requests?: number;
  /**
   * Passes over the taught two-hop questions (two-hop.ts), each writing every one in a random phrasing,
   * for back-patching. Default 0, so the plain corpus stays as it was.
   */
  twoHop?: number;
}

export interface Corpus {
  /** The documents joined by blank lines. */
  text: string;
  /** In the order they appear in the text, stories and fact paragraphs interleaved at random. */
  documents: CorpusDocument[];
}

export function generateCorpus(world: World, options: CorpusOptions = {}): Corpus {
  const stories = checkCount('stories', options.stories ?? 600, 0);
  const factPasses = checkCount('factPasses', options.factPasses ?? 8, 0);
  const perParagraph = checkCount('factsPerParagraph', options.factsPerParagraph ?? 6, 1);
  const requests = checkCount('requests', options.requests ?? 0, 0);
  const twoHop = checkCount('twoHop', options.twoHop ?? 0, 0);
  const g = new Generator(options.seed ?? world.seed);

  const documents: CorpusDocument[] = [];
  const writer = new StoryWriter(world);
  for (let i = 0; i < stories; i++) {
    documents.push(writer.write(world.people[i % world.people.length], g));
  }
  for (let pass = 0; pass < factPasses; pass++) {
    const facts = shuffled(g, world.facts);
    for (let i = 0; i < facts.length; i += perParagraph) {
      const paragraph = facts.slice(i, i + perParagraph);
      const text = paragraph.map((f) => renderFact(f, choice(g, FACT_TEMPLATES[f.relation]))).join(' ');
      documents.push({ kind: 'facts', text, facts: paragraph });
    }
  }
  const asked = requests > 0 ? requestCases(world, 'train') : [];
  for (let i = 0; i < requests; i++) {
    documents.push({ kind: 'requests', text: requestDocument(asked, g), facts: [] });
  }
  const taught = twoHop > 0 ? twoHopQuestions(world).filter((q) => q.taught) : [];
  for (let pass = 0; pass < twoHop; pass++) {
    const questions = shuffled(g, taught);
    for (let i = 0; i < questions.length; i += perParagraph) {
      const text = questions
        .slice(i, i + perParagraph)
        .map((q) => twoHopSentence(q, g))
        .join(' ');
      documents.push({ kind: 'two-hop', text, facts: [] });
    }
  }
  const ordered = shuffled(g, documents);
  return { text: `${ordered.map((d) => d.text).join('\n\n')}\n`, documents: ordered };
}

function checkCount(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`generateCorpus: ${name} must be an integer >= ${min}, got ${value}`);
  }
  return value;
}
