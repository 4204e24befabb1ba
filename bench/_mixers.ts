// Shared by the mixer benches: which mixers to run (--mixers a,b,c; default all that are built), where
// results and plots go, and a small model with a given mixer.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { LanguageModel, MIXER_KINDS, type MixerKind, makeConfig } from '../src/model/index.js';
import { option } from './_report.js';

/** Mixers named by --mixers, else every kind whose layer can be built. */
export function mixersToRun(): MixerKind[] {
  const asked = option('mixers', '');
  const kinds = asked ? (asked.split(',') as MixerKind[]) : [...MIXER_KINDS];
  for (const k of kinds) if (!MIXER_KINDS.includes(k)) throw new Error(`--mixers: unknown mixer ${k}`);
  return asked ? kinds : kinds.filter((k) => builds(k));
}

function builds(kind: MixerKind): boolean {
  try {
    smallModel(kind, { vocabSize: 8, width: 16, layers: 1, heads: 2, blockSize: 8 });
    return true;
  } catch {
    return false;
  }
}

export interface SmallModel {
  vocabSize: number;
  width: number;
  layers: number;
  heads: number;
  blockSize: number;
  seed?: number;
  /** The config's mixerOptions (convSize, dState, expandK, ...). */
  mixerOptions?: Record<string, number>;
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
