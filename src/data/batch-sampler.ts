// Random contiguous windows of a token stream as next-token batches (nanoGPT's get_batch): x is a window,
// y the same window moved one token on. All randomness comes from one Generator, so saving its state saves
// the sampler's place and a resumed run sees exactly the batches it would have seen.
import { type Generator, IntTensor } from '../tensor/index.js';
import type { TokenArray } from './token-file.js';

export interface BatchSamplerOptions {
  /** Tokens per row (the context length). */
  blockSize: number;
  /** Rows per batch. */
  batchSize: number;
  /** Drawn from by next(); shared, not copied, as a torch generator is. */
  generator: Generator;
}

export interface Batch {
  /** [batchSize, blockSize] inputs. */
  x: IntTensor;
  /** [batchSize, blockSize] targets: y[b, t] = x[b, t + 1] within the same window of the data. */
  y: IntTensor;
}

export interface BatchSamplerState {
  generator: number[];
  /** What the state was saved with, checked on restore: the same state on other data means other batches. */
  tokens: number;
  blockSize: number;
  batchSize: number;
}

export class BatchSampler {
  readonly blockSize: number;
  readonly batchSize: number;
  private readonly generator: Generator;

  constructor(
    readonly tokens: TokenArray,
    options: BatchSamplerOptions,
  ) {
    const { blockSize, batchSize } = options;
    for (const [name, value] of [
      ['blockSize', blockSize],
      ['batchSize', batchSize],
    ] as const) {
      if (!Number.isInteger(value) || value < 1) {
        throw new Error(`BatchSampler: ${name} must be a positive integer, got ${value}`);
      }
    }
    if (tokens.length < blockSize + 1) {
      throw new Error(
        `BatchSampler: ${tokens.length} tokens are too few for blockSize ${blockSize}: ` +
          `a window and its next-token target need ${blockSize + 1}`,
      );
    }
    this.blockSize = blockSize;
    this.batchSize = batchSize;
    this.generator = options.generator;
  }

  next(): Batch {
    const { tokens, blockSize: T, batchSize: B } = this;
    const starts = tokens.length - T; // window i..i+T needs token i+T to exist
    const x = new Int32Array(B * T);
    const y = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      // 32 random bits rather than randint's 24, so every start is reachable in streams past 16M tokens.
      const i = Math.floor((this.generator.nextUint32() / 2 ** 32) * starts);
      x.set(tokens.subarray(i, i + T), b * T);
      y.set(tokens.subarray(i + 1, i + T + 1), b * T);
    }
    return { x: new IntTensor(x, [B, T]), y: new IntTensor(y, [B, T]) };
  }

  getState(): BatchSamplerState {
    return {
      generator: this.generator.getState(),
      tokens: this.tokens.length,
      blockSize: this.blockSize,
      batchSize: this.batchSize,
    };
  }

  setState(state: BatchSamplerState): void {
    restoreSampler('BatchSampler', state, this.getState(), this.generator);
  }
}

/** Puts a saved state back after checking it was saved on the same data and batch shape. */
export function restoreSampler(
  who: string,
  state: BatchSamplerState,
  mine: BatchSamplerState,
  generator: Generator,
): void {
  for (const key of ['tokens', 'blockSize', 'batchSize'] as const) {
    if (state[key] !== mine[key])
      throw new Error(
        `${who}.setState: the state was saved with ${key} ${state[key]}, this has ${mine[key]}`,
      );
  }
  generator.setState(state.generator);
}

/** What a trainer draws batches from: windows of a token stream, or whole conversations. */
export interface Batches {
  next(): Batch;
  getState(): BatchSamplerState;
  setState(state: BatchSamplerState): void;
}
