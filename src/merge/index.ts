// Changing a model without retraining it (issue 15): mergekit's merge methods, tensor by tensor.

export {
  applyLoRA,
  DEFAULT_LORA,
  type LoraConfig,
  loadLoRA,
  loraStateDict,
  loraTargets,
  mergeLoRA,
  saveLoRA,
} from './lora.js';
export {
  breadcrumbs,
  breadcrumbsMask,
  dare,
  dareDrop,
  della,
  electAndMerge,
  linear,
  type MergeInput,
  magprune,
  modelStock,
  modelStockRatio,
  slerp,
  taskArithmetic,
  ties,
  trim,
} from './methods.js';
export {
  MERGE_METHODS,
  type MergeMethod,
  PARAMETER,
  type Parameter,
  parseRecipe,
  RECIPE_SCHEMA,
  type Recipe,
  resolveParameter,
} from './recipe.js';
export { type MergeOptions, type MergeReport, mergeModels } from './run.js';
export { layerOf, ModelFolder } from './source.js';
