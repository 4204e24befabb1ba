export { Block } from './block.js';
export {
  type ModelConfig,
  type ModelConfigInput,
  makeConfig,
  migrateConfig,
  type Preset,
  validateConfig,
} from './config.js';
export { type ForwardOptions, type GenerationState, LanguageModel } from './model.js';
