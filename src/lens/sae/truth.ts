// The ground-truth check no natural-text study can make: the built-in world knows what every span of its
// corpus is. For each entity kind (person, city, country, language, profession, hobby, species) the
// tokens inside mentions of that kind are labelled, and for each relation the tokens of its template
// words ("was born in", "works as"); the best single SAE feature's F1 at marking each label says which
// concepts the SAE found as features.
import type { World } from '../../data/index.js';
import { escapeRegExp, FACT_TEMPLATES, RELATIONS, type Relation } from '../../data/index.js';
import type { LanguageModel } from '../../model/index.js';
import { IntTensor, noGrad } from '../../tensor/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import { runWithCache } from '../cache.js';
import type { SparseAutoencoder } from './sae.js';

export interface ConceptMatch {
  concept: string;
  what: 'entity' | 'relation';
  /** Tokens carrying the label. */
  positives: number;
  /** The feature that marks them best, and how well. */
  feature: number;
  f1: number;
  precision: number;
  recall: number;
}

/** The feature (of `d`) whose firing (code > 0) best matches `labels` by F1; codes are [tokens, d]. */
export function bestFeature(
  codes: Float32Array,
  d: number,
  labels: Uint8Array,
): { feature: number; f1: number; precision: number; recall: number } {
  const tp = new Float64Array(d);
  const fired = new Float64Array(d);
  let positives = 0;
  for (let t = 0; t < labels.length; t++) {
    positives += labels[t];
    for (let i = 0; i < d; i++)
      if (codes[t * d + i] > 0) {
        fired[i]++;
        if (labels[t]) tp[i]++;
      }
  }
  let best = { feature: -1, f1: 0, precision: 0, recall: 0 };
  for (let i = 0; i < d; i++) {
    const precision = fired[i] ? tp[i] / fired[i] : 0;
    const recall = positives ? tp[i] / positives : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    if (f1 > best.f1) best = { feature: i, f1, precision, recall };
  }
  return best;
}

/** The names of each entity kind in the world. */
function entityNames(world: World): Record<string, string[]> {
  const uniq = (xs: (string | null)[]) => [...new Set(xs.filter((x): x is string => x !== null))];
  return {
    person: world.people.map((p) => p.name),
    city: world.cities.map((c) => c.name),
    country: world.countries.map((c) => c.name),
    language: uniq(world.countries.map((c) => c.language)),
    profession: uniq(world.people.map((p) => p.profession)),
    hobby: uniq(world.people.map((p) => p.hobby)),
    species: uniq(world.people.map((p) => p.pet)),
  };
}

/** A relation's template words: the canonical sentence between subject and object ("was born in"). */
export function relationWords(relation: Relation): string {
  const t = FACT_TEMPLATES[relation][0];
  return t
    .slice(t.indexOf('{s}') + 3, t.indexOf('{o}'))
    .replace('{a}', '')
    .trim();
}

/** Which concepts of the world the SAE found, on `text` (a part of the corpus the SAE did not train on). */
export function groundTruth(
  model: LanguageModel,
  tokenizer: Tokenizer,
  sae: SparseAutoencoder,
  world: World,
  text: string,
  options: { window?: number } = {},
): ConceptMatch[] {
  const window = Math.min(options.window ?? 64, model.config.blockSize);
  const ids = tokenizer.encode(text);
  const usable = ids.length - (ids.length % window);
  if (usable === 0)
    throw new Error(`groundTruth: the text has fewer tokens (${ids.length}) than a window (${window})`);
  // Each token's character span: the decoded pieces must spell the text back.
  const starts = new Int32Array(usable + 1);
  for (let t = 0; t < usable; t++) starts[t + 1] = starts[t] + tokenizer.decode([ids[t]]).length;
  if (tokenizer.decode(ids.slice(0, usable)) !== text.slice(0, starts[usable]))
    throw new Error('groundTruth: the tokenizer does not spell the text back token by token');
  const spanText = text.slice(0, starts[usable]);
  const label = (pattern: RegExp): Uint8Array => {
    const chars = new Uint8Array(spanText.length);
    for (const m of spanText.matchAll(pattern)) chars.fill(1, m.index!, m.index! + m[0].length);
    const out = new Uint8Array(usable);
    for (let t = 0; t < usable; t++) out[t] = chars.subarray(starts[t], starts[t + 1]).includes(1) ? 1 : 0;
    return out;
  };
  const d = sae.cfg.d_sae;
  const codes = new Float32Array(usable * d);
  noGrad(() => {
    const rows = usable / window;
    for (let r = 0; r < rows; r += 8) {
      const n = Math.min(8, rows - r);
      const batch = new IntTensor(Int32Array.from(ids.slice(r * window, (r + n) * window)), [n, window]);
      const x = runWithCache(model, batch, { names: [sae.cfg.hook_name] }).cache.get(sae.cfg.hook_name);
      codes.set(sae.encode(x).data, r * window * d);
    }
  });
  const match = (concept: string, what: ConceptMatch['what'], labels: Uint8Array): ConceptMatch => ({
    concept,
    what,
    positives: labels.reduce((a, b) => a + b, 0),
    ...bestFeature(codes, d, labels),
  });
  const words = (names: string[]) => new RegExp(`\\b(?:${names.map(escapeRegExp).join('|')})\\b`, 'g');
  return [
    ...Object.entries(entityNames(world)).map(([kind, names]) => match(kind, 'entity', label(words(names)))),
    ...(Object.keys(RELATIONS) as Relation[]).map((r) =>
      match(r, 'relation', label(new RegExp(`\\b${escapeRegExp(relationWords(r))}\\b`, 'g'))),
    ),
  ];
}
