// Shared by the mixer benches: which mixers to run (--mixers a,b,c; default all), where results and plots
// go, and a small model with a given mixer.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { isMixerKind, MIXER_KINDS, type MixerKind, type MixerSettingsByKind } from '../src/mixers/index.js';
import { LanguageModel, makeConfig } from '../src/model/index.js';
import { option } from './_report.js';

/**
 * Mixers named by --mixers, else every kind. Each is built once first: a mixer that cannot be built stops
 * the bench with its error, rather than the bench measuring fewer mixers than asked.
 */
export function mixersToRun(): MixerKind[] {
  const asked = option('mixers', '');
  const kinds = asked ? asked.split(',') : [...MIXER_KINDS];
  for (const k of kinds) {
    if (!isMixerKind(k)) throw new Error(`--mixers: unknown mixer ${k} (one of ${MIXER_KINDS.join(', ')})`);
    try {
      smallModel(k, { vocabSize: 8, width: 16, layers: 1, heads: 2, blockSize: 8 });
    } catch (e) {
      throw new Error(`bench: the ${k} mixer does not build: ${(e as Error).message}`);
    }
  }
  return kinds as MixerKind[];
}

export interface SmallModel {
  vocabSize: number;
  width: number;
  layers: number;
  heads: number;
  blockSize: number;
  seed?: number;
  /** The config's mixerOptions, e.g. { gla: { convSize: 4 } }. */
  mixerOptions?: MixerSettingsByKind;
}

export function smallModel(kind: MixerKind, s: SmallModel): LanguageModel {
  const config = makeConfig({
    preset: 'llama',
    vocabSize: s.vocabSize,
    blockSize: s.blockSize,
    nLayer: s.layers,
    nHead: s.heads,
    nEmbd: s.width,
    mixer: kind,
    mixerOptions: s.mixerOptions,
  });
  return new LanguageModel(config, { seed: s.seed ?? 0 });
}

/** out/bench/<name>, created. */
export function outputDir(): string {
  const dir = join('out', 'bench');
  mkdirSync(dir, { recursive: true });
  return dir;
}
