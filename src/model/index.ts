export { Block } from './block.js';
export {
  MIXER_KINDS,
  type MixerKind,
  type ModelConfig,
  type ModelConfigInput,
  makeConfig,
  type Preset,
  validateConfig,
} from './config.js';
export { type ForwardOptions, type GenerationState, LanguageModel } from './model.js';
