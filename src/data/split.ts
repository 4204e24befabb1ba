// Train/validation split as in nanoGPT's data preparation: the first part trains, the tail validates.
// Contiguous rather than shuffled, so no validation window overlaps training text.
import type { TokenArray } from './token-file.js';

/** Views (no copy) of the first (1 - valFraction) of the tokens and of the rest. */
export function trainValSplit<T extends TokenArray>(tokens: T, valFraction = 0.1): { train: T; val: T } {
  if (!(valFraction >= 0 && valFraction < 1)) {
    throw new Error(`trainValSplit: valFraction must be in [0, 1), got ${valFraction}`);
  }
  const cut = Math.floor(tokens.length * (1 - valFraction));
  return { train: tokens.subarray(0, cut) as T, val: tokens.subarray(cut) as T };
}
