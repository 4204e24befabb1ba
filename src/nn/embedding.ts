// Embedding: a lookup table of rows, [num_embeddings, embedding_dim] (torch.nn.Embedding).
import { embedding, type Generator, type IntTensor, type Tensor } from '../tensor/index.js';
import { normal } from './init.js';
import { Module } from './module.js';

export class Embedding extends Module {
  readonly weight: Tensor;

  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    options: { std?: number; generator?: Generator } = {},
  ) {
    super();
    this.weight = normal([numEmbeddings, embeddingDim], options.std ?? 1, options.generator);
  }

  forward(ids: IntTensor): Tensor {
    return embedding(ids, this.weight);
  }
}
