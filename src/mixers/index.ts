// The sequence mixers: attention and its recurrent competitors, each with its generation state.
export { CausalSelfAttention } from './attention.js';
export { DeltaNet } from './deltanet.js';
export { GatedDeltaNet } from './gated-deltanet.js';
export { GatedLinearAttention } from './gla.js';
export { HadamardFeatureMap, LinearAttention } from './linear-attention.js';
export { LSTM } from './lstm.js';
export { Mamba } from './mamba.js';
export type { Mixer, MixerContext, MixerState, Positions } from './mixer.js';
export { KVCache } from './ops/attention/state.js';
export { CausalConv1d, causalConv1d } from './ops/conv/op.js';
export { chunkDeltaRule, recurrentDeltaRule } from './ops/delta/op.js';
export { withNaiveOps } from './ops/form.js';
export { chunkGla, type Decay, recurrentGla } from './ops/gla/op.js';
export { lstmScan } from './ops/lstm/op.js';
export { LSTMState } from './ops/lstm/state.js';
export { selectiveScan } from './ops/mamba/op.js';
export { MambaState } from './ops/mamba/state.js';
export { MatrixMemoryState } from './ops/matrix-state.js';
export { clearRow, copyRow } from './ops/rows.js';
export type { LayerOptions, LayerShape, MixerOptions } from './options.js';
export {
  checkMixerSettings,
  createMixer,
  isMixerKind,
  MIXER_KINDS,
  MIXERS,
  type MixerKind,
  type MixerOf,
  type MixerSettings,
  type MixerSettingsByKind,
  settingNames,
} from './registry.js';
export { RetNet } from './retnet.js';
