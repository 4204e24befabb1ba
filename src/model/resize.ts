// Growing a trained model's vocabulary (Hugging Face's resize_token_embeddings): new tokens, such as a
// chat template's special tokens, get embedding and unembedding rows equal to the mean of the existing
// ones, so they start as an "average token" rather than noise that could dominate the logits.
import { Tensor } from '../tensor/index.js';
import { makeConfig } from './config.js';
import { LanguageModel } from './model.js';

/** A copy of `model` with `vocabSize` token rows (at least its own); every other weight is the same. */
export function resizeTokenEmbeddings(model: LanguageModel, vocabSize: number): LanguageModel {
  const old = model.config.vocabSize;
  if (vocabSize < old)
    throw new Error(`resizeTokenEmbeddings: cannot shrink the vocabulary from ${old} to ${vocabSize}`);
  if (vocabSize === old) return model;
  const grown = new LanguageModel(makeConfig({ ...model.config, vocabSize }));
  const state = new Map<string, Tensor>();
  for (const [name, t] of model.stateDict()) {
    const isTokenRows = name === 'transformer.wte.weight' || name === 'lm_head.weight';
    state.set(name, isTokenRows ? withMeanRows(t, vocabSize) : t);
  }
  grown.loadStateDict(state);
  grown.train(model.training);
  return grown;
}

function withMeanRows(t: Tensor, rows: number): Tensor {
  const [have, dim] = t.shape;
  const data = new Float32Array(rows * dim);
  data.set(t.data);
  const mean = new Float32Array(dim);
  for (let r = 0; r < have; r++) for (let d = 0; d < dim; d++) mean[d] += t.data[r * dim + d] / have;
  for (let r = have; r < rows; r++) data.set(mean, r * dim);
  return new Tensor(data, [rows, dim]);
}
