// Batches for supervised fine-tuning: each row is one conversation from its start (no packing, so a
// reply never attends to another chat), cut to the context and padded; targets are -100 (no loss)
// except where the next token is the assistant's. The same state shape as BatchSampler, so a fine-tuning
// run resumes exactly as a pretraining one does.
import { type Generator, IntTensor } from '../tensor/index.js';
import {
  type Batch,
  type Batches,
  BatchSampler,
  type BatchSamplerOptions,
  type BatchSamplerState,
  restoreSampler,
} from './batch-sampler.js';
import type { TokenArray } from './token-file.js';

/** A conversation as ids and which of them are trained (src/chat's tokenizeConversation). */
export interface TrainingChat {
  ids: readonly number[];
  trained: readonly boolean[];
}

const IGNORE = -100;

export class ConversationSampler {
  readonly blockSize: number;
  readonly batchSize: number;
  private readonly generator: Generator;
  readonly chats: readonly TrainingChat[];

  /** Chats whose trained tokens all lie past the context are left out (they would teach nothing). */
  constructor(chats: readonly TrainingChat[], options: BatchSamplerOptions) {
    this.blockSize = options.blockSize;
    this.batchSize = options.batchSize;
    this.generator = options.generator;
    this.chats = chats.filter((c) => c.trained.slice(1, this.blockSize + 1).includes(true));
    if (this.chats.length === 0) {
      throw new Error(
        `ConversationSampler: none of the ${chats.length} conversations has an assistant token within the first ${this.blockSize + 1} tokens (a longer blockSize, or shorter chats)`,
      );
    }
  }

  next(): Batch {
    const rows = Array.from(
      { length: this.batchSize },
      () => this.chats[Math.floor((this.generator.nextUint32() / 2 ** 32) * this.chats.length)],
    );
    // As long as the longest row needs, not the whole context: short chats train fast.
    const T = Math.min(this.blockSize, Math.max(...rows.map((c) => c.ids.length - 1)));
    const x = new Int32Array(rows.length * T);
    const y = new Int32Array(rows.length * T).fill(IGNORE);
    rows.forEach((c, b) => {
      const n = Math.min(T, c.ids.length - 1);
      for (let t = 0; t < n; t++) {
        x[b * T + t] = c.ids[t];
        if (c.trained[t + 1]) y[b * T + t] = c.ids[t + 1];
      }
    });
    return { x: new IntTensor(x, [rows.length, T]), y: new IntTensor(y, [rows.length, T]) };
  }

  getState(): BatchSamplerState {
    return {
      generator: this.generator.getState(),
      tokens: this.chats.length,
      blockSize: this.blockSize,
      batchSize: this.batchSize,
    };
  }

  setState(state: BatchSamplerState): void {
    restoreSampler('ConversationSampler', state, this.getState(), this.generator);
  }
}

/** The sampler for a split: a token stream gets random windows, a list of chats whole conversations. */
export function samplerFor(
  data: TokenArray | readonly TrainingChat[],
  options: BatchSamplerOptions,
): Batches {
  return ArrayBuffer.isView(data) ? new BatchSampler(data, options) : new ConversationSampler(data, options);
}
