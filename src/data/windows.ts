// Windows of ordinary text from the built-in corpus, for the lens's metrics and references: spread evenly
// over the validation end of the text (its last 10%), shifted by a seed so different seeds differ.
import { IntTensor } from '../tensor/index.js';
import type { Tokenizer } from '../tokenizer/index.js';
import { generateCorpus } from './corpus.js';
import type { World } from './world.js';

/** [rows, length] token ids. */
export function corpusWindows(
  world: World,
  tokenizer: Tokenizer,
  rows: number,
  length: number,
  seed = 0,
): IntTensor {
  const text = generateCorpus(world).text;
  const tail = tokenizer.encode(text.slice(Math.floor(text.length * 0.9)));
  if (tail.length < length + 1)
    throw new Error(`corpusWindows: the corpus is shorter than a window of ${length} tokens`);
  const data = new Int32Array(rows * length);
  for (let r = 0; r < rows; r++) {
    const start =
      (Math.floor(((r + 0.5) * (tail.length - length)) / rows) + seed * 7919) % (tail.length - length);
    data.set(tail.slice(start, start + length), r * length);
  }
  return new IntTensor(data, [rows, length]);
}
