// Seeded choices for the generators: every draw goes through one Generator, so a seed fixes the output.
import type { Generator } from '../tensor/index.js';

/** One item drawn uniformly (numpy's Generator.choice). */
export function choice<T>(g: Generator, items: readonly T[]): T {
  if (items.length === 0) throw new Error('choice: cannot pick from an empty list');
  return items[g.randint(items.length)];
}

/** A shuffled copy (Fisher-Yates), leaving the input as it was. */
export function shuffled<T>(g: Generator, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = g.randint(i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
