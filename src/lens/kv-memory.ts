// Feed-forward layers as key-value memories (Geva et al., 2021): MLP(x) = Σ_i f(x · k_i) v_i, where the
// key k_i is row i of the input projection (c_fc; SwiGLU's gate_proj) and the value v_i column i of the
// output projection (c_proj; down_proj). A key's "memory" is what it matches: the corpus prefixes that
// excite the neuron most (its coefficient f(x · k_i) at hook_post). A value's is what it writes: read
// through the unembedding, the tokens it promotes. The paper's check of the picture is their agreement:
// how often the value's top token is the token that follows the key's top prefixes.
//
// Editing one value vector then swaps a fact: the neuron that most prefers the old answer over the new one
// at the prompt's last token gets its value reflected across the hyperplane between the two tokens'
// unembeddings, which swaps its logit contributions to them and leaves every direction orthogonal to
// u_new − u_old as it was.
import type { Fact } from '../data/index.js';
import type { LanguageModel } from '../model/index.js';
import type { MLP, SwiGLU } from '../nn/index.js';
import { IntTensor, noGrad, Tensor } from '../tensor/index.js';
import type { Tokenizer } from '../tokenizer/index.js';
import { tokenPiece } from '../tokenizer/index.js';
import { runWithCache } from './cache.js';
import { answerToken, checkFacts } from './known-facts.js';

export interface KeyContext {
  /** The prefix's last tokens (as text pieces), the neuron's coefficient there, and the token after it. */
  prefix: string[];
  coefficient: number;
  next: string;
}

export interface NeuronMemory {
  layer: number;
  neuron: number;
  /** The prefixes that excite it most, strongest first. */
  keys: KeyContext[];
  /** The tokens its value promotes most through the unembedding, with their logits. */
  promotes: { token: string; logit: number }[];
  /** Share of its top prefixes whose next token is the value's top token. */
  agreement: number;
}

export interface LayerMemory {
  layer: number;
  /** Mean agreement over the layer's neurons, and the share of neurons with any agreement. */
  agreement: number;
  agreeingNeurons: number;
}

/** An MLP's key and value matrices: keys [hidden, d] (rows), values [d, hidden] (columns). */
function kv(model: LanguageModel, layer: number): { keys: Tensor; values: Tensor } {
  const block = model.transformer.h[layer];
  if (!block) throw new Error(`key-value memories: no layer ${layer} (the model has ${model.config.nLayer})`);
  const mlp = block.mlp as MLP | SwiGLU;
  return 'c_fc' in mlp
    ? { keys: mlp.c_fc.weight, values: mlp.c_proj.weight }
    : { keys: mlp.gate_proj.weight, values: mlp.down_proj.weight };
}

/** The value vectors of `layer` read through the unembedding: logits [hidden, vocab]. */
export function valueLogits(model: LanguageModel, layer: number): Tensor {
  const { values } = kv(model, layer);
  const [d, hidden] = values.shape;
  const rows = new Float32Array(hidden * d);
  for (let j = 0; j < d; j++) for (let i = 0; i < hidden; i++) rows[i * d + j] = values.data[j * hidden + i];
  return noGrad(() => model.unembed(new Tensor(rows, [hidden, d])));
}

function argmax(row: ArrayLike<number>, limit = row.length): number {
  let best = 0;
  for (let i = 1; i < limit; i++) if (row[i] > row[best]) best = i;
  return best;
}

/**
 * Every neuron of `layers` over corpus `windows` [B, T]: its top `keys` prefixes (of `around` tokens) and
 * promoted tokens, and its agreement; returns the neurons and each layer's summary.
 */
export function keyValueMemories(
  model: LanguageModel,
  tokenizer: Tokenizer,
  windows: IntTensor,
  options: { layers?: readonly number[]; keys?: number; around?: number; promotes?: number } = {},
): { neurons: NeuronMemory[]; layers: LayerMemory[] } {
  const { keys: nKeys = 10, around = 8, promotes = 8 } = options;
  const layers = options.layers ?? Array.from({ length: model.config.nLayer }, (_, l) => l);
  const [B, T] = windows.shape;
  const names = layers.map((l) => `blocks.${l}.mlp.hook_post`);
  const { cache } = runWithCache(model, windows, { names });
  const vocab = tokenizer.vocabSize;
  const piece = (id: number) => tokenPiece(tokenizer, id);
  const neurons: NeuronMemory[] = [];
  const summaries: LayerMemory[] = [];
  for (const [k, layer] of layers.entries()) {
    const acts = cache.get(names[k]);
    const hidden = acts.shape[2];
    const logits = valueLogits(model, layer);
    const V = logits.shape[1];
    let agreeSum = 0;
    let agreeing = 0;
    for (let i = 0; i < hidden; i++) {
      // Positions with a next token only: the agreement compares with what follows.
      const top: number[] = [];
      for (let b = 0; b < B; b++)
        for (let t = 0; t < T - 1; t++) {
          const p = b * T + t;
          const a = acts.data[p * hidden + i];
          if (top.length < nKeys || a > acts.data[top[top.length - 1] * hidden + i]) {
            let at = top.length < nKeys ? top.length : nKeys - 1;
            top[at] = p;
            while (at > 0 && acts.data[top[at - 1] * hidden + i] < a) {
              [top[at - 1], top[at]] = [top[at], top[at - 1]];
              at--;
            }
          }
        }
      const row = logits.data.subarray(i * V, (i + 1) * V);
      const best = argmax(row, vocab);
      const agree = top.filter((p) => windows.data[p + 1] === best).length / Math.max(1, top.length);
      agreeSum += agree;
      if (agree > 0) agreeing++;
      const order = [...Array(vocab).keys()].sort((x, y) => row[y] - row[x]).slice(0, promotes);
      neurons.push({
        layer,
        neuron: i,
        keys: top.map((p) => {
          const start = Math.max(p - around + 1, p - (p % T));
          return {
            prefix: Array.from(windows.data.subarray(start, p + 1), piece),
            coefficient: acts.data[p * hidden + i],
            next: piece(windows.data[p + 1]),
          };
        }),
        promotes: order.map((id) => ({ token: piece(id), logit: row[id] })),
        agreement: agree,
      });
    }
    summaries.push({ layer, agreement: agreeSum / hidden, agreeingNeurons: agreeing / hidden });
  }
  return { neurons, layers: summaries };
}

export interface ValueEdit {
  layer: number;
  neuron: number;
  /** The neuron's coefficient at the prompt's last token, and how much its value preferred old over new. */
  coefficient: number;
  preference: number;
  /** Undoes the edit (restores the value vector). */
  undo(): void;
}

/**
 * Swaps one fact by one value vector: finds the neuron whose contribution at the last token of `prompt`
 * most favours `oldToken` over `newToken` (coefficient × value · (u_old − u_new)), and reflects its value
 * across the hyperplane between the two unembeddings, so that it favours the new token as much as it
 * favoured the old one.
 */
export function editValue(
  model: LanguageModel,
  promptIds: readonly number[],
  oldToken: number,
  newToken: number,
): ValueEdit {
  const ids = new IntTensor(Int32Array.from(promptIds), [1, promptIds.length]);
  const names = model.transformer.h.map((_, l) => `blocks.${l}.mlp.hook_post`);
  const { cache } = runWithCache(model, ids, { names });
  const U = model.unembedWeight;
  const d = U.shape[1];
  const diff = new Float32Array(d);
  for (let j = 0; j < d; j++) diff[j] = U.data[oldToken * d + j] - U.data[newToken * d + j];
  let best = { layer: -1, neuron: -1, score: 0, coefficient: 0, preference: 0 };
  for (const [layer, name] of names.entries()) {
    const acts = cache.get(name);
    const hidden = acts.shape[2];
    const last = (promptIds.length - 1) * hidden;
    const { values } = kv(model, layer);
    for (let i = 0; i < hidden; i++) {
      let pref = 0;
      for (let j = 0; j < d; j++) pref += values.data[j * hidden + i] * diff[j];
      const score = acts.data[last + i] * pref;
      if (score > best.score)
        best = { layer, neuron: i, score, coefficient: acts.data[last + i], preference: pref };
    }
  }
  if (best.layer < 0) throw new Error('editValue: no neuron favours the old answer over the new one');
  const { values } = kv(model, best.layer);
  const hidden = values.shape[1];
  const saved = Float32Array.from({ length: d }, (_, j) => values.data[j * hidden + best.neuron]);
  // Reflection across the hyperplane orthogonal to diff: v − 2 (v · diff / |diff|²) diff.
  let norm2 = 0;
  for (let j = 0; j < d; j++) norm2 += diff[j] * diff[j];
  const c = (2 * best.preference) / norm2;
  for (let j = 0; j < d; j++) values.data[j * hidden + best.neuron] -= c * diff[j];
  return {
    layer: best.layer,
    neuron: best.neuron,
    coefficient: best.coefficient,
    preference: best.preference,
    undo: () => {
      for (let j = 0; j < d; j++) values.data[j * hidden + best.neuron] = saved[j];
    },
  };
}

export interface ValueEditRates {
  /** Facts edited (known to the model, with another object of the relation to swap in). */
  edits: number;
  /** Share of edits after which the top token is no longer the old answer's, and share where it is the new one's. */
  changed: number;
  intended: number;
  rows: { prompt: string; old: string; new: string; layer: number; neuron: number; top: string }[];
}

/**
 * The lecture's two figures on the built-in world: for each fact the model knows, swap its answer for
 * another object of the same relation by one value vector (editValue), read the top next token, undo.
 */
export function valueEditRates(
  model: LanguageModel,
  tokenizer: Tokenizer,
  facts: readonly Fact[],
  options: { limit?: number } = {},
): ValueEditRates {
  const known = checkFacts(model, tokenizer, facts).filter((c) => c.known);
  const rows: ValueEditRates['rows'] = [];
  let changed = 0;
  let intended = 0;
  for (const c of known.slice(0, options.limit ?? known.length)) {
    const { prompt, answer: old } = answerToken(tokenizer, c.prompt, c.answer);
    // Another object of the relation whose first token differs, a different one fact by fact.
    const others = [
      ...new Set(facts.filter((f) => f.relation === c.fact.relation).map((f) => f.object)),
    ].filter((o) => {
      const t = answerToken(tokenizer, c.prompt, ` ${o}`);
      return t.answer !== old && t.prompt === prompt;
    });
    if (others.length === 0) continue;
    const other = { object: others[rows.length % others.length] };
    const target = answerToken(tokenizer, c.prompt, ` ${other.object}`).answer;
    const ids = tokenizer.encode(prompt);
    const edit = editValue(model, ids, old, target);
    const logits = noGrad(() => model.forward(new IntTensor(Int32Array.from(ids), [1, ids.length])));
    const V = logits.shape[2];
    const top = argmax(logits.data.subarray((ids.length - 1) * V, ids.length * V), tokenizer.vocabSize);
    edit.undo();
    if (top !== old) changed++;
    if (top === target) intended++;
    rows.push({
      prompt,
      old: tokenPiece(tokenizer, old),
      new: tokenPiece(tokenizer, target),
      layer: edit.layer,
      neuron: edit.neuron,
      top: tokenPiece(tokenizer, top),
    });
  }
  const n = Math.max(1, rows.length);
  return { edits: rows.length, changed: changed / n, intended: intended / n, rows };
}
