export { Block } from './block.js';
export {
  CONFIG_LIMITS,
  CONFIG_SCHEMA,
  describeIssue,
  type ModelConfig,
  type ModelConfigInput,
  makeConfig,
  migrateConfig,
  mlpHidden,
  type Preset,
  parseConfig,
  validateConfig,
} from './config.js';
export { type ForwardOptions, type GenerationState, LanguageModel } from './model.js';
export { resizeTokenEmbeddings } from './resize.js';
export { parameterShapes } from './shapes.js';
