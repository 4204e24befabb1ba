// Patchscopes (Ghandeharioun et al. 2024): let the model say what a hidden state holds. The residual stream
// of a source prompt at (layer, position) is put in place of a target prompt's at (layer, position), and
// the model writes on from the target. With the token-identity prompt ("Rivermouth -> Rivermouth; ...;
// x ->") it repeats what the state stands for; with an attribute prompt ("x was born in") it says what it
// knows about it. Over source layers, this shows when "Lin" after "Ada" becomes Ada Lin.
import type { World } from '../data/index.js';
import type { LanguageModel } from '../model/index.js';
import { IntTensor, noGrad, Tensor } from '../tensor/index.js';
import type { Tokenizer } from '../tokenizer/index.js';
import { runWithCache } from './cache.js';
import { type Hook, hookContext } from './hooks.js';

/**
 * The hook point holding the residual stream entering block `layer`; layer nLayer is the stream after the
 * last block. Layers count as the logit lens's rows do ("0_pre" ... "final_post").
 */
export function residPoint(model: LanguageModel, layer: number): string {
  const n = model.config.nLayer;
  if (!Number.isInteger(layer) || layer < 0 || layer > n) {
    throw new Error(`residPoint: layer ${layer} is out of range 0..${n} for a model of ${n} blocks`);
  }
  return layer < n ? `blocks.${layer}.hook_resid_pre` : `blocks.${n - 1}.hook_resid_post`;
}

/** A place in a prompt's residual stream. */
export interface StreamSite {
  ids: readonly number[];
  layer: number;
  position: number;
}

/** The residual-stream vectors of one prompt at every layer 0..nLayer, position by position: [L+1][T][d]. */
export function residStream(model: LanguageModel, ids: readonly number[]): Float32Array[][] {
  const names = Array.from({ length: model.config.nLayer + 1 }, (_, l) => residPoint(model, l));
  const { cache } = runWithCache(model, idsOf(model, ids, 'residStream'), { names });
  const d = model.config.nEmbd;
  return names.map((name) => {
    const t = cache.get(name);
    return Array.from({ length: ids.length }, (_, p) => t.data.slice(p * d, (p + 1) * d));
  });
}

/** A hook that puts `vector` [d] into the residual stream at (layer, position) of every run it is in. */
export function residPatch(
  model: LanguageModel,
  layer: number,
  position: number,
  vector: Float32Array,
): Hook {
  const d = model.config.nEmbd;
  if (vector.length !== d)
    throw new Error(`residPatch: a vector of ${vector.length} for a stream of width ${d}`);
  return {
    name: residPoint(model, layer),
    positions: [position],
    fn: (t) => {
      const data = t.data.slice();
      const rows = t.data.length / (t.shape[1] * d);
      for (let b = 0; b < rows; b++) data.set(vector, (b * t.shape[1] + position) * d);
      return new Tensor(data, [...t.shape]);
    },
  };
}

export interface PatchscopeResult {
  /** The tokens the model writes greedily from the target with the state patched in. */
  tokens: number[];
  /** The next-token logits at the target's last position with the patch (before anything is written). */
  logits: Float32Array;
}

/** Patches the source's state into the target and decodes greedily (patchInto). */
export function patchscope(
  model: LanguageModel,
  source: StreamSite,
  target: StreamSite,
  options: { maxTokens?: number } = {},
): PatchscopeResult {
  checkSite(model, source, 'source');
  const vector = residStream(model, source.ids.slice(0, source.position + 1))[source.layer][source.position];
  return patchInto(model, vector, target, options);
}

/**
 * Puts `vector` into the target's stream and decodes greedily for `maxTokens` tokens. Every step reruns the
 * whole target with the patch in place (the prompts are short), so the patched position keeps its state as
 * the text grows, as the paper's generation does.
 */
export function patchInto(
  model: LanguageModel,
  vector: Float32Array,
  target: StreamSite,
  options: { maxTokens?: number } = {},
): PatchscopeResult {
  checkSite(model, target, 'target');
  const hooks = hookContext([residPatch(model, target.layer, target.position, vector)]);
  return noGrad(() => {
    const ids = [...target.ids];
    const tokens: number[] = [];
    let first: Float32Array | null = null;
    for (let i = 0; i < (options.maxTokens ?? 4) && ids.length < model.config.blockSize; i++) {
      const logits = model.forward(idsOf(model, ids, 'patchscope'), { hooks });
      const V = logits.shape[2];
      const row = logits.data.subarray((ids.length - 1) * V, ids.length * V);
      first ??= row.slice();
      const next = argmax(row);
      tokens.push(next);
      ids.push(next);
    }
    return { tokens, logits: first ?? new Float32Array(0) };
  });
}

/** The inspection prompts of the world: token identity and one attribute, with a placeholder to patch. */
export interface InspectionPrompt {
  ids: number[];
  /** The placeholder's (last) token. */
  position: number;
}

/** "a -> a; b -> b; c -> c; x ->": few-shot repetition of the world's own names. */
export function identityPrompt(tokenizer: Tokenizer, examples: readonly string[]): InspectionPrompt {
  const shots = examples.map((e) => `${e} -> ${e};`).join(' ');
  return placeholderPrompt(tokenizer, shots, ' ->');
}

/**
 * "Q: What does x enjoy?\nA:": the world's own question format, whose answers begin by repeating the
 * subject's name ("A: Jana Coyle enjoys climbing."), so a model trained with request documents writes the
 * name a state stands for without having to learn a few-shot format.
 */
export function echoPrompt(tokenizer: Tokenizer): InspectionPrompt {
  return placeholderPrompt(tokenizer, 'Q: What does', ' enjoy?\nA:');
}

/** " x was born in": a fact prompt about the placeholder, read for its object. */
export function attributePrompt(tokenizer: Tokenizer, relationText: string): InspectionPrompt {
  return placeholderPrompt(tokenizer, '', ` ${relationText}`);
}

/**
 * `head`, a placeholder, `rest`. The placeholder is " x" where that is one token, else the first one-token
 * word of a few: a state patched over the second half of " x" would leave its first half behind.
 */
function placeholderPrompt(tokenizer: Tokenizer, head: string, rest: string): InspectionPrompt {
  const word = PLACEHOLDERS.find((w) => oneToken(tokenizer, w)) ?? PLACEHOLDERS[0];
  const upTo = tokenizer.encode(head + word);
  return { ids: tokenizer.encode(head + word + rest), position: upTo.length - 1 };
}

const PLACEHOLDERS = [' x', ' X', ' it', ' one', ' he', ' she'];

/** Whether a word is one token (a character tokenizer may not know its characters at all). */
function oneToken(tokenizer: Tokenizer, word: string): boolean {
  try {
    return tokenizer.encode(word).length === 1;
  } catch {
    return false;
  }
}

/** The readings of entityReadout; a reading is null where the model's vocabulary cannot write its prompt. */
export interface ReadoutRow {
  layer: number;
  /** Share of subjects whose full name the few-shot identity prompt writes back. */
  name: number | null;
  /** Share whose full name the echo prompt writes back. */
  echo: number | null;
  /** Share whose attribute (the city lived in, or born in) the attribute prompt writes. */
  attribute: number | null;
  subjects: number;
}

type Reading = 'name' | 'echo' | 'attribute';

/**
 * For every source layer, the share of the world's people whose name and whose `relation` object can be
 * read from the state at the last token of their name. The target layer is the source layer (the paper's
 * default) unless `targetLayer` fixes one. lives_in is the default attribute: siblings share a last name and
 * a birthplace, so born_in can be read off "Lin" alone and says little about when "Lin" became Ada Lin.
 * Identity examples are a city, a country and the first person (who is not read).
 */
export function entityReadout(
  model: LanguageModel,
  tokenizer: Tokenizer,
  world: World,
  options: { relation?: 'born_in' | 'lives_in'; people?: number; targetLayer?: number } = {},
): ReadoutRow[] {
  const relation = options.relation ?? 'lives_in';
  const people = world.people.slice(0, options.people ?? world.people.length);
  const prompts: Record<Reading, InspectionPrompt | null> = {
    name: writable(() =>
      identityPrompt(tokenizer, [world.cities[0].name, world.countries[0].name, people[0].name]),
    ),
    echo: writable(() => echoPrompt(tokenizer)),
    attribute: writable(() =>
      attributePrompt(tokenizer, relation === 'born_in' ? 'was born in' : 'lives in'),
    ),
  };
  const readings = (Object.keys(prompts) as Reading[]).filter((r) => prompts[r]);
  const L = model.config.nLayer;
  const counts = Array.from({ length: L + 1 }, () => ({ name: 0, echo: 0, attribute: 0 }));
  const readers = people.slice(1);
  for (const person of readers) {
    // With its leading space, as names stand in running text.
    const ids = tokenizer.encode(` ${person.name}`);
    const stream = residStream(model, ids);
    const expected: Record<Reading, string> = {
      name: person.name,
      echo: person.name,
      attribute: relation === 'born_in' ? person.bornIn : person.livesIn,
    };
    for (let layer = 0; layer <= L; layer++) {
      for (const reading of readings) {
        const want = tokenizer.encode(` ${expected[reading]}`);
        const target = { ...prompts[reading]!, layer: options.targetLayer ?? layer };
        const out = patchInto(model, stream[layer][ids.length - 1], target, { maxTokens: want.length });
        if (out.tokens.length === want.length && out.tokens.every((t, i) => t === want[i]))
          counts[layer][reading]++;
      }
    }
  }
  const share = (r: Reading, n: number) => (prompts[r] ? n / readers.length : null);
  return counts.map((c, layer) => ({
    layer,
    name: share('name', c.name),
    echo: share('echo', c.echo),
    attribute: share('attribute', c.attribute),
    subjects: readers.length,
  }));
}

/**
 * The default inspection prompt: few-shot identity over the world's names, or, where the vocabulary cannot
 * write it, " x lives in".
 */
export function inspectionPrompt(tokenizer: Tokenizer, world: World): InspectionPrompt {
  const examples = [world.cities[0].name, world.countries[0].name, world.people[0].name];
  return writable(() => identityPrompt(tokenizer, examples)) ?? attributePrompt(tokenizer, 'lives in');
}

/** A prompt, or null when the tokenizer cannot encode it (a character vocabulary without "->"). */
function writable(make: () => InspectionPrompt): InspectionPrompt | null {
  try {
    return make();
  } catch {
    return null;
  }
}

function checkSite(model: LanguageModel, site: StreamSite, what: string): void {
  residPoint(model, site.layer);
  if (!Number.isInteger(site.position) || site.position < 0 || site.position >= site.ids.length) {
    throw new Error(`patchscope: ${what} position ${site.position} is outside its ${site.ids.length} tokens`);
  }
}

function idsOf(model: LanguageModel, ids: readonly number[], what: string): IntTensor {
  if (ids.length === 0) throw new Error(`${what}: the prompt is empty`);
  if (ids.length > model.config.blockSize) {
    throw new Error(
      `${what}: ${ids.length} tokens, more than the model's context of ${model.config.blockSize}`,
    );
  }
  return new IntTensor(Int32Array.from(ids), [1, ids.length]);
}

function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}
