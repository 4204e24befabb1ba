// Mixer kinds by config name. A model layer asks for its kind here; adding a mixer means one line.
import type { MixerKind } from '../model/config.js';
import { CausalSelfAttention } from './attention.js';
import { DeltaNet } from './deltanet.js';
import { GatedDeltaNet } from './gated-deltanet.js';
import { GatedLinearAttention } from './gla.js';
import { LinearAttention } from './linear-attention.js';
import { LSTM } from './lstm.js';
import { Mamba } from './mamba.js';
import type { Mixer } from './mixer.js';
import type { MixerOptions } from './options.js';
import { RetNet } from './retnet.js';

export const MIXERS: Record<MixerKind, (o: MixerOptions) => Mixer> = {
  attention: (o) => new CausalSelfAttention(o.dim, o.name, o),
  lstm: (o) => new LSTM(o),
  'linear-attention': (o) => new LinearAttention(o),
  retnet: (o) => new RetNet(o),
  gla: (o) => new GatedLinearAttention(o),
  mamba: (o) => new Mamba(o),
  deltanet: (o) => new DeltaNet(o),
  'gated-deltanet': (o) => new GatedDeltaNet(o),
};
