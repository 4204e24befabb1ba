// What a loss figure averaged, printed beside it. Losses are means over random windows, so figures from
// different numbers of batches differ by noise (a few hundredths on a small model): the count says which
// figure to trust (the one with more batches) and which ones are comparable (the same batches).
import type { TrainOptions } from '../train/index.js';

/** "50 batches of 12x64": evalIters batches of batchSize windows of blockSize tokens. */
export function lossSample(o: Pick<TrainOptions, 'evalIters' | 'batchSize' | 'blockSize'>): string {
  return `${o.evalIters} batches of ${o.batchSize}x${o.blockSize}`;
}
