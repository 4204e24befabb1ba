// The sequence mixers: attention and its recurrent competitors, each with its generation state.
export { type AttentionOptions, CausalSelfAttention, KVCache } from './attention.js';
export { CausalConv1d, causalConv1d } from './conv/causal-conv1d.js';
export { chunkDeltaRule, recurrentDeltaRule } from './delta/ops.js';
export { DeltaRuleState } from './delta/state.js';
export { DeltaNet } from './deltanet.js';
export { GatedDeltaNet } from './gated-deltanet.js';
export { chunkGla, type Decay, recurrentGla } from './gla/op.js';
export { GlaState } from './gla/state.js';
export { GatedLinearAttention } from './gla.js';
export { HadamardFeatureMap, LinearAttention } from './linear-attention.js';
export { LSTM, LSTMState } from './lstm.js';
export { selectiveScan } from './mamba/selective-scan.js';
export { Mamba, MambaState } from './mamba.js';
export type { Mixer, MixerContext, MixerState } from './mixer.js';
export type { MixerOptions } from './options.js';
export { MIXERS } from './registry.js';
export { RetNet } from './retnet.js';
