// One token shown on its own (a probability table, a lens plot, logprobs): a byte-level token may be part
// of a character, so its bytes are decoded leniently (U+FFFD for the partial character); an id past the
// tokenizer's last (a model's vocabulary padded to a round size, as many Hugging Face models are) shows
// as <unused ID> rather than failing.
import type { Tokenizer } from './tokenizer.js';

const lenient = new TextDecoder();

export function tokenPiece(tokenizer: Tokenizer, id: number): string {
  if (Number.isInteger(id) && id >= tokenizer.vocabSize) return `<unused ${id}>`;
  return lenient.decode(tokenizer.decodeBytes([id]));
}
