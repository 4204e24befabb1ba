// The parameters a config describes, by name and shape, found without allocating them: the model is built
// with shape-only parameters (nn/init.ts), so the names and shapes come from the layers themselves and
// cannot drift from them. A loader compares these with a file's header before it allocates anything.
import { withShapesOnly } from '../nn/index.js';
import type { ModelConfig } from './config.js';
import { LanguageModel } from './model.js';

/**
 * Every parameter's name and shape for `config` (validated); throws ShapeBudgetError as soon as they would
 * hold more than `budget` values in all, so a config asking for a huge model costs nothing to refuse.
 */
export function parameterShapes(
  config: ModelConfig,
  budget = Number.POSITIVE_INFINITY,
): Map<string, number[]> {
  const model = withShapesOnly(budget, () => new LanguageModel(config));
  return new Map(model.namedParameters().map(([name, p]) => [name, [...p.shape]]));
}
