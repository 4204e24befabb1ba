export { type AttentionOptions, CausalSelfAttention, KVCache } from './attention.js';
export type { Mixer, MixerContext, MixerState } from './mixer.js';
export type { MixerOptions } from './options.js';
export { MIXERS } from './registry.js';
