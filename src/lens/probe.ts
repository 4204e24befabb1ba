// Linear relational embeddings (Hernandez et al., 2023, "Linearity of Relation Decoding in Transformer
// LMs"): for one relation (person -> city of birth), the map F from the subject's representation s (the
// residual stream at some layer, at the subject's last token) to the object's representation o (the last
// hidden state before the final norm, at the prompt's last token) is close to affine: o ~ beta W s + b.
// W, b come from the model's own Jacobian (the paper's estimate) or from least squares on (s, o) pairs.
// A probe is judged by faithfulness (does decoding beta W s + b give the model's answer?) and causality
// (does moving s by W's pseudo-inverse applied to o' - o make the model answer o'?).
import type { LanguageModel } from '../model/index.js';
import { cat, IntTensor, isGradEnabled, noGrad, reshape, slice, Tensor, unsqueeze } from '../tensor/index.js';
import { runWithCache } from './cache.js';
import { withFrozenWeights } from './frozen.js';
import { hookContext, runWithHooks } from './hooks.js';
import { apply, fromRows, type Matrix, matrix, pinv, ridge, transpose } from './linalg.js';
import { steer } from './steering.js';

/** One prompt of a relation, ending where the object would start ("Ada Lin was born in"). */
export interface RelationCase {
  /** The prompt's token ids, [1, seq]. */
  ids: IntTensor;
  /** The subject's last token (the length of the prompt tokenized up to and including the subject, - 1). */
  subjectPos: number;
}

/** A case with its object's first token: label with the model's own answer to study what it computes. */
export interface LabelledCase extends RelationCase {
  object: number;
}

/** o = W s + b, W being [d_o, d_s]. */
export interface Affine {
  W: Matrix;
  b: Float64Array;
}

/** A linear relational embedding read at `layer`: LRE(s) = beta W s + b. */
export interface LRE extends Affine {
  /** The hook point s is read at, a [batch, seq, features] point such as "blocks.1.hook_resid_post". */
  layer: string;
  beta: number;
}

/** A map from rows [k, d_s] to rows [k, d_o] that treats each row on its own, as a model treats a batch. */
export type RowMap = (s: Tensor) => Tensor;

/** The model's last hidden state before the final norm: where o is read. */
const finalPoint = (model: LanguageModel) => `blocks.${model.config.nLayer - 1}.hook_resid_post`;

/** The prompt's length, after checking the case's shape and subject position. */
function checkCase(op: string, c: RelationCase, index = 0): number {
  const shape = c.ids.shape;
  if (shape.length !== 2 || shape[0] !== 1) {
    throw new Error(`${op}: case ${index} must be one prompt [1, seq], got ids of shape [${shape}]`);
  }
  if (!Number.isInteger(c.subjectPos) || c.subjectPos < 0 || c.subjectPos >= shape[1]) {
    throw new Error(
      `${op}: case ${index}: subject position ${c.subjectPos} is out of range for a prompt of ${shape[1]} tokens`,
    );
  }
  return shape[1];
}

function checkTokens(op: string, model: LanguageModel, tokens: readonly number[]): readonly number[] {
  if (tokens.length === 0) throw new Error(`${op}: no candidates`);
  for (const t of tokens) {
    if (!Number.isInteger(t) || t < 0 || t >= model.config.vocabSize) {
      throw new Error(`${op}: candidate token ${t} is outside the vocabulary of ${model.config.vocabSize}`);
    }
  }
  return tokens;
}

/** The features of a [1, seq, d] activation at one position. */
function rowAt(op: string, name: string, t: Tensor, position: number): Float64Array {
  if (t.ndim !== 3) {
    throw new Error(`${op}: ${name} is [${t.shape}]; a probe reads a [batch, seq, features] point`);
  }
  const d = t.shape[2];
  return Float64Array.from(t.data.subarray(position * d, (position + 1) * d));
}

/** s (at `layer`, the subject's last token) and o (the final stream, the last token) of each case. */
export function relationReps(
  model: LanguageModel,
  layer: string,
  cases: readonly RelationCase[],
): { s: Float64Array[]; o: Float64Array[] } {
  const final = finalPoint(model);
  const s: Float64Array[] = [];
  const o: Float64Array[] = [];
  cases.forEach((c, i) => {
    const T = checkCase('relationReps', c, i);
    const { cache } = runWithCache(model, c.ids, { names: [layer, final] });
    s.push(rowAt('relationReps', layer, cache.get(layer), c.subjectPos));
    o.push(rowAt('relationReps', final, cache.get(final), T - 1));
  });
  return { s, o };
}

/**
 * The model's F for one prompt: each row of s [k, d_s] is put in at `layer` at the subject's last token of
 * its own copy of the prompt, and the final stream at the last token comes out, [k, d_o]. Differentiable
 * in s; the weights are in the graph too, so take its Jacobian with subjectJacobian, which keeps them out.
 */
export function subjectMap(model: LanguageModel, layer: string, c: RelationCase): RowMap {
  const T = checkCase('subjectMap', c);
  const final = finalPoint(model);
  const p = c.subjectPos;
  return (s) => {
    if (s.ndim !== 2) throw new Error(`subjectMap: expected rows [k, features], got [${s.shape}]`);
    const k = s.shape[0];
    const ids = new IntTensor(
      Int32Array.from({ length: k * T }, (_, i) => c.ids.data[i % T]),
      [k, T],
    );
    const put = (t: Tensor) => {
      if (t.ndim !== 3 || t.shape[2] !== s.shape[1]) {
        throw new Error(`subjectMap: rows of ${s.shape[1]} features for ${layer} of shape [${t.shape}]`);
      }
      return cat([slice(t, 1, 0, p), unsqueeze(s, 1), slice(t, 1, p + 1)], 1);
    };
    const seen: { o?: Tensor } = {};
    const hooks = hookContext([
      { name: layer, fn: put },
      {
        name: final,
        fn: (t) => {
          seen.o = t;
          return undefined;
        },
      },
    ]);
    model.residual(ids, { hooks });
    const o = seen.o!;
    return reshape(slice(o, 1, T - 1), [k, o.shape[2]]);
  };
}

/**
 * f(s) and its Jacobian [d_o, d_s] at s. A backward gives one row of the Jacobian per copy of s when f
 * runs on d_o copies at once and the output's gradient is the identity, so the whole matrix costs one
 * batched forward and backward (in batches of `batch` rows), not one backward per output coordinate.
 * f's other inputs must not require grad (they would collect gradients).
 */
export function jacobian(
  f: RowMap,
  s: ArrayLike<number>,
  options: { batch?: number } = {},
): { o: Float64Array; J: Matrix } {
  const { batch = 64 } = options;
  if (!isGradEnabled()) throw new Error('jacobian: gradients are off (called inside noGrad)');
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`jacobian: batch must be >= 1, got ${batch}`);
  const d = s.length;
  const copies = (k: number) =>
    new Tensor(
      Float32Array.from({ length: k * d }, (_, i) => s[i % d]),
      [k, d],
    );
  const o = Float64Array.from(noGrad(() => f(copies(1))).data);
  const J = matrix(o.length, d);
  for (let from = 0; from < o.length; from += batch) {
    const k = Math.min(batch, o.length - from);
    const x = copies(k).requiresGrad_();
    const y = f(x);
    if (y.shape.join() !== `${k},${o.length}`) {
      throw new Error(`jacobian: f maps [${x.shape}] to [${y.shape}], expected [${k}, ${o.length}]`);
    }
    if (!y.requiresGrad) continue; // o does not depend on s: these rows are 0
    const seed = new Float32Array(k * o.length);
    for (let r = 0; r < k; r++) seed[r * o.length + from + r] = 1;
    y.backward(new Tensor(seed, [k, o.length]));
    if (x.grad) J.data.set(x.grad.data, from * d);
  }
  return { o, J };
}

/** s for the case, and F's value o and Jacobian J [d_o, d_s] there (the weights' gradients untouched). */
export function subjectJacobian(
  model: LanguageModel,
  layer: string,
  c: RelationCase,
  options: { batch?: number } = {},
): { s: Float64Array; o: Float64Array; J: Matrix } {
  const s = relationReps(model, layer, [c]).s[0];
  return { s, ...withFrozenWeights(model, () => jacobian(subjectMap(model, layer, c), s, options)) };
}

/** The paper's estimate from the Jacobian J_i at each sample: W = mean J_i, b = mean (f(s_i) - J_i s_i). */
export function fitJacobianMean(
  samples: readonly { f: RowMap; s: Float64Array }[],
  options: { batch?: number } = {},
): Affine {
  const n = samples.length;
  if (n === 0) throw new Error('fitJacobianMean: no samples');
  samples.forEach(({ s }, i) => {
    if (s.length !== samples[0].s.length) {
      throw new Error(
        `fitJacobianMean: sample ${i} has s of ${s.length}, sample 0 of ${samples[0].s.length}`,
      );
    }
  });
  let fit: Affine | null = null;
  for (const { f, s } of samples) {
    const { o, J } = jacobian(f, s, options);
    fit ??= { W: matrix(J.rows, J.cols), b: new Float64Array(J.rows) };
    if (o.length !== fit.b.length) {
      throw new Error(`fitJacobianMean: f gives o of ${o.length} here, ${fit.b.length} at sample 0`);
    }
    const js = apply(J, s);
    for (let i = 0; i < J.data.length; i++) fit.W.data[i] += J.data[i] / n;
    for (let i = 0; i < o.length; i++) fit.b[i] += (o[i] - js[i]) / n;
  }
  return fit!;
}

/**
 * W, b by ridge least squares on pairs (s_i, o_i), centred so b is not shrunk. `ridge` is relative to the
 * centred s's mean variance per feature, so one value suits any scale of the stream. With fewer pairs than
 * features (the usual case) the ridge is what makes the fit unique; 0 needs more pairs than features.
 */
export function fitLeastSquares(
  s: readonly Float64Array[],
  o: readonly Float64Array[],
  options: { ridge?: number } = {},
): Affine {
  const { ridge: relative = 1e-3 } = options;
  if (s.length !== o.length) throw new Error(`fitLeastSquares: ${s.length} s but ${o.length} o`);
  if (s.length < 2) throw new Error(`fitLeastSquares: needs at least 2 pairs for W and b, got ${s.length}`);
  if (!(relative >= 0)) throw new Error(`fitLeastSquares: ridge must be >= 0, got ${relative}`);
  const x = fromRows(s, 'fitLeastSquares: s');
  const y = fromRows(o, 'fitLeastSquares: o');
  const centre = (m: Matrix) => {
    const mean = new Float64Array(m.cols);
    for (let i = 0; i < m.data.length; i++) mean[i % m.cols] += m.data[i] / m.rows;
    for (let i = 0; i < m.data.length; i++) m.data[i] -= mean[i % m.cols];
    return mean;
  };
  const [sMean, oMean] = [centre(x), centre(y)];
  const variance = x.data.reduce((acc, v) => acc + v * v, 0) / x.cols;
  const W = transpose(ridge(x, y, relative * variance));
  const ws = apply(W, sMean);
  return { W, b: oMean.map((v, i) => v - ws[i]) };
}

/** The paper's estimate (the default): the mean Jacobian over the cases. */
interface JacobianFit {
  method?: 'jacobian';
  batch?: number;
}

/** Ridge least squares on the cases' (s, o) pairs. */
interface LeastSquaresFit {
  method: 'least-squares';
  ridge?: number;
}

export type FitOptions = {
  /** The paper's scale on W (it finds the mean Jacobian undershoots, and beta > 1 helps); default 1. */
  beta?: number;
} & (JacobianFit | LeastSquaresFit);

/** A probe for the relation the cases share, read at `layer`. */
export function fitLRE(
  model: LanguageModel,
  layer: string,
  cases: readonly RelationCase[],
  options: FitOptions = {},
): LRE {
  const { beta = 1 } = options;
  if (cases.length === 0) throw new Error('fitLRE: no cases');
  if (!Number.isFinite(beta)) throw new Error(`fitLRE: beta must be a finite number, got ${beta}`);
  const reps = relationReps(model, layer, cases);
  const fit =
    options.method === 'least-squares'
      ? fitLeastSquares(reps.s, reps.o, { ridge: options.ridge })
      : withFrozenWeights(model, () =>
          fitJacobianMean(
            cases.map((c, i) => ({ f: subjectMap(model, layer, c), s: reps.s[i] })),
            { batch: options.batch },
          ),
        );
  return { layer, beta, ...fit };
}

/** LRE(s) = beta W s + b. */
export function applyLRE(probe: LRE, s: ArrayLike<number>): Float64Array {
  if (s.length !== probe.W.cols) {
    throw new Error(`applyLRE: s has ${s.length} features, the probe's W takes ${probe.W.cols}`);
  }
  const ws = apply(probe.W, s);
  return ws.map((v, i) => probe.beta * v + probe.b[i]);
}

/** Next-token logits [vocab] from a final-stream representation: the final norm, then the unembedding. */
function decode(model: LanguageModel, o: ArrayLike<number>): Float32Array {
  const d = model.config.nEmbd;
  if (o.length !== d) throw new Error(`decode: a representation of ${o.length} for a model of width ${d}`);
  return noGrad(
    () => model.unembed(model.transformer.ln_f.forward(new Tensor(Float32Array.from(o), [1, 1, d]))).data,
  );
}

/** The probe's next-token logits [vocab] for s: LRE(s) through the final norm and the unembedding. */
export function decodeLRE(model: LanguageModel, probe: LRE, s: ArrayLike<number>): Float32Array {
  return decode(model, applyLRE(probe, s));
}

/** The top token of the logits, over all of them or among the candidates. */
function top(logits: ArrayLike<number>, candidates?: readonly number[]): number {
  const among = candidates ?? Array.from({ length: logits.length }, (_, i) => i);
  return among.reduce((best, t) => (logits[t] > logits[best] ? t : best), among[0]);
}

export interface Faithfulness {
  /** Share of cases where the probe's top token over the whole vocabulary is the model's. */
  vocab: number;
  /** The same with both answers taken among the candidates (null without candidates). */
  candidates: number | null;
  /** Per case, the model's and the probe's top tokens over the vocabulary. */
  answers: { model: number; probe: number }[];
}

/** How often the probe decodes the model's own answer on (held-out) cases. */
export function faithfulness(
  model: LanguageModel,
  probe: LRE,
  cases: readonly RelationCase[],
  options: { candidates?: readonly number[] } = {},
): Faithfulness {
  if (cases.length === 0) throw new Error('faithfulness: no cases');
  const candidates = options.candidates && checkTokens('faithfulness', model, options.candidates);
  const { s, o } = relationReps(model, probe.layer, cases);
  let among = 0;
  const answers = cases.map((_, i) => {
    const [mine, its] = [decode(model, o[i]), decodeLRE(model, probe, s[i])];
    if (candidates && top(mine, candidates) === top(its, candidates)) among++;
    return { model: top(mine), probe: top(its) };
  });
  return {
    vocab: answers.filter((a) => a.model === a.probe).length / cases.length,
    candidates: candidates ? among / cases.length : null,
    answers,
  };
}

export interface Causality {
  /** Share of edits after which the model's top candidate is the target object. */
  success: number;
  /** Each case edited towards each other object: the model's top candidate after the edit. */
  edits: { case: number; target: number; answer: number }[];
}

/**
 * Edits each case's s towards every other object o' of the cases: s + W^+ (o'_rep - o), with o'_rep the
 * mean o of the cases labelled o' and o the case's own (the paper inverts W, not beta W; `rank` keeps that
 * many singular directions, as its low-rank pseudo-inverse). The edited s is patched in at the subject's
 * last token; an edit succeeds when the model's top candidate becomes o'. Candidates default to the objects.
 */
export function causality(
  model: LanguageModel,
  probe: LRE,
  cases: readonly LabelledCase[],
  options: { candidates?: readonly number[]; rank?: number } = {},
): Causality {
  if (cases.length === 0) throw new Error('causality: no cases');
  const objects = [...new Set(cases.map((c) => c.object))];
  if (objects.length < 2) {
    throw new Error(`causality: every case has object ${objects[0]}; editing needs at least two objects`);
  }
  const candidates = checkTokens('causality', model, options.candidates ?? objects);
  for (const obj of objects) {
    if (!candidates.includes(obj)) throw new Error(`causality: object ${obj} is not among the candidates`);
  }
  const { o } = relationReps(model, probe.layer, cases);
  const rep = new Map(
    objects.map((obj) => {
      const rows = o.filter((_, i) => cases[i].object === obj);
      return [obj, rows[0].map((_, j) => rows.reduce((acc, r) => acc + r[j], 0) / rows.length)];
    }),
  );
  const inverse = pinv(probe.W, { rank: options.rank });
  const edits: Causality['edits'] = [];
  cases.forEach((c, i) => {
    for (const target of objects) {
      if (target === c.object) continue;
      const delta = apply(
        inverse,
        rep.get(target)!.map((v, j) => v - o[i][j]),
      );
      const hook = steer(probe.layer, new Tensor(Float32Array.from(delta), [delta.length]), {
        positions: [c.subjectPos],
      });
      const logits = runWithHooks(model, c.ids, [hook]).data;
      const V = model.config.vocabSize;
      edits.push({ case: i, target, answer: top(logits.subarray(logits.length - V), candidates) });
    }
  });
  return { success: edits.filter((e) => e.answer === e.target).length / edits.length, edits };
}
