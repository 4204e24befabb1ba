// The model's weights out of the graph while a lens learns something else (a probe's input, a circuit's
// masks): a backward then computes only what is learned, and the weights' .grad is left as it was.
import type { LanguageModel } from '../model/index.js';

export function withFrozenWeights<T>(model: LanguageModel, fn: () => T): T {
  const weights = model.parameters();
  for (const w of weights) w.requiresGrad = false;
  try {
    return fn();
  } finally {
    for (const w of weights) w.requiresGrad = true;
  }
}
