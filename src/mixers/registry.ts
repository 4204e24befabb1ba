// The mixer kinds by config name, each with the settings it reads and how to build it. This is the list:
// the model config's kind type and checks, the CLI help and the tests all read it from here, so adding a
// mixer is its layer file, its ops folder, one line here and one test line.
import { ATTENTION_SETTINGS, CausalSelfAttention } from './attention.js';
import { DELTANET_SETTINGS, DeltaNet } from './deltanet.js';
import { GATED_DELTANET_SETTINGS, GatedDeltaNet } from './gated-deltanet.js';
import { GatedLinearAttention, GLA_SETTINGS } from './gla.js';
import { LINEAR_ATTENTION_SETTINGS, LinearAttention } from './linear-attention.js';
import { LSTM, LSTM_SETTINGS } from './lstm.js';
import { MAMBA_SETTINGS, Mamba } from './mamba.js';
import type { Mixer } from './mixer.js';
import type { LayerOptions, LayerShape, MixerOptions } from './options.js';
import { RETNET_SETTINGS, RetNet } from './retnet.js';
import { resolveSettings, type Settings, type SettingsInput, type SettingsSpec } from './settings.js';

interface Entry<S extends SettingsSpec, M extends Mixer> {
  settings: S;
  create: (o: MixerOptions<Settings<S>>) => M;
}

const entry = <S extends SettingsSpec, M extends Mixer>(settings: S, create: Entry<S, M>['create']) => ({
  settings,
  create,
});

export const MIXERS = {
  attention: entry(ATTENTION_SETTINGS, (o) => new CausalSelfAttention(o)),
  lstm: entry(LSTM_SETTINGS, (o) => new LSTM(o)),
  'linear-attention': entry(LINEAR_ATTENTION_SETTINGS, (o) => new LinearAttention(o)),
  retnet: entry(RETNET_SETTINGS, (o) => new RetNet(o)),
  gla: entry(GLA_SETTINGS, (o) => new GatedLinearAttention(o)),
  mamba: entry(MAMBA_SETTINGS, (o) => new Mamba(o)),
  deltanet: entry(DELTANET_SETTINGS, (o) => new DeltaNet(o)),
  'gated-deltanet': entry(GATED_DELTANET_SETTINGS, (o) => new GatedDeltaNet(o)),
};

export type MixerKind = keyof typeof MIXERS;
export const MIXER_KINDS = Object.keys(MIXERS) as MixerKind[];

/** The settings a config may give one kind. */
export type MixerSettings<K extends MixerKind> = SettingsInput<(typeof MIXERS)[K]['settings']>;
/** mixerOptions of a model config: settings per kind, e.g. { mamba: { dState: 16 } }. */
export type MixerSettingsByKind = { [K in MixerKind]?: MixerSettings<K> };
/** The layer class of each kind. */
export type MixerOf<K extends MixerKind> = ReturnType<(typeof MIXERS)[K]['create']>;

export function isMixerKind(name: unknown): name is MixerKind {
  return typeof name === 'string' && Object.hasOwn(MIXERS, name);
}

/** Names the settings of a kind, for errors and help. */
export function settingNames(kind: MixerKind): string[] {
  return Object.keys(MIXERS[kind].settings);
}

/** A layer of `kind`, its settings `given` over the defaults; throws naming a setting it does not know. */
export function createMixer<K extends MixerKind>(
  kind: K,
  layer: LayerOptions,
  given: MixerSettings<K> = {},
): MixerOf<K> {
  const { settings, create } = MIXERS[kind] as unknown as Entry<SettingsSpec, MixerOf<K>>;
  return create({ ...layer, settings: resolveSettings(kind, settings, given, layer) });
}

/** Checks `given` as `kind`'s settings for a layer of this shape, without building it. */
export function checkMixerSettings(
  kind: MixerKind,
  given: Readonly<Record<string, unknown>>,
  shape: LayerShape,
): void {
  resolveSettings(kind, MIXERS[kind].settings, given, shape);
}
