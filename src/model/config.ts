// A model is described by plain JSON (saved as config.json in every checkpoint). Presets give the two
// classic shapes: GPT-2 (LayerNorm, GELU MLP, learned positions, biases, tied unembedding) and Llama
// (RMSNorm, SwiGLU, rotary positions, no biases, separate unembedding).

import { z } from 'zod';
import {
  checkMixerSettings,
  isMixerKind,
  MIXER_KINDS,
  type MixerKind,
  type MixerSettingsByKind,
  settingNames,
} from '../mixers/index.js';
import type { RopeScaling } from '../nn/rotary.js';

export const MLP_KINDS = ['gelu', 'swiglu'] as const;
export const NORM_KINDS = ['layernorm', 'rmsnorm'] as const;
export const POSITION_KINDS = ['learned', 'rope'] as const;

export interface ModelConfig {
  vocabSize: number;
  /** Longest context: learned positions and rotary tables cover this many tokens. */
  blockSize: number;
  nLayer: number;
  nHead: number;
  /** Width of the residual stream (d_model). */
  nEmbd: number;
  mlp: (typeof MLP_KINDS)[number];
  /** MLP hidden width; default 4 * nEmbd for gelu, 8/3 * nEmbd rounded up to a multiple of 8 for swiglu. */
  mlpHidden?: number;
  norm: (typeof NORM_KINDS)[number];
  normEps: number;
  positions: (typeof POSITION_KINDS)[number];
  ropeTheta: number;
  /** Rotary frequencies stretched for a longer context (Hugging Face's rope_scaling); none by default. */
  ropeScaling?: RopeScaling;
  /** Biases in linear layers (and LayerNorm). */
  bias: boolean;
  /** Unembedding shares the token embedding matrix. */
  tieEmbeddings: boolean;
  dropout: number;
  /** The sequence mixer of every layer, or one per layer (hybrids such as Jamba mix them). */
  mixer: MixerKind | MixerKind[];
  /** Settings per mixer kind in the model, e.g. { mamba: { dState: 16 } }; each kind lists its own. */
  mixerOptions?: MixerSettingsByKind;
}

export type Preset = 'gpt2' | 'llama';

const PRESETS: Record<Preset, Omit<ModelConfig, 'vocabSize' | 'blockSize' | 'nLayer' | 'nHead' | 'nEmbd'>> = {
  gpt2: {
    mlp: 'gelu',
    norm: 'layernorm',
    normEps: 1e-5,
    positions: 'learned',
    ropeTheta: 10000,
    bias: true,
    tieEmbeddings: true,
    dropout: 0,
    mixer: 'attention',
  },
  llama: {
    mlp: 'swiglu',
    norm: 'rmsnorm',
    normEps: 1e-6,
    positions: 'rope',
    ropeTheta: 10000,
    bias: false,
    tieEmbeddings: false,
    dropout: 0,
    mixer: 'attention',
  },
};

export type ModelConfigInput = Partial<ModelConfig> & Pick<ModelConfig, 'vocabSize'> & { preset?: Preset };

/** Fills a partial config from a preset (default gpt2) and small-model sizes, then validates it. */
export function makeConfig(input: ModelConfigInput): ModelConfig {
  const { preset = 'gpt2', ...rest } = input;
  if (!(preset in PRESETS)) throw new Error(`model config: unknown preset "${preset}" (gpt2 or llama)`);
  const config = migrateConfig({
    blockSize: 128,
    nLayer: 4,
    nHead: 4,
    nEmbd: 128,
    ...PRESETS[preset],
    ...rest,
  });
  validateConfig(config);
  return config;
}

const mixersOf = (c: Pick<ModelConfig, 'mixer'>): MixerKind[] => [
  ...new Set(Array.isArray(c.mixer) ? c.mixer : [c.mixer]),
];

/**
 * Configs saved before settings were per kind hold one flat record, { dState: 16 }, that every layer read
 * from: this gives each setting to the kinds in the model that know it (a setting none knows is an error).
 * A config already per kind comes back as it is.
 */
export function migrateConfig<C extends Pick<ModelConfig, 'mixer' | 'mixerOptions'>>(c: C): C {
  const options: Record<string, unknown> = c.mixerOptions ?? {};
  const flat = Object.entries(options).filter(([, v]) => typeof v === 'number');
  if (flat.length === 0) return c;
  if (flat.length !== Object.keys(options).length) {
    throw new Error('model config: mixerOptions mixes settings per kind with flat ones; give them per kind');
  }
  const kinds = mixersOf(c).filter(isMixerKind);
  const perKind: Record<string, Record<string, number>> = {};
  for (const [key, value] of flat) {
    const knowers = kinds.filter((k) => settingNames(k).includes(key));
    if (knowers.length === 0) {
      throw new Error(
        `model config: mixerOptions.${key}: no mixer of this model (${kinds.join(', ')}) has this setting`,
      );
    }
    for (const k of knowers) perKind[k] = { ...perKind[k], [key]: value as number };
  }
  return { ...c, mixerOptions: perKind };
}

/**
 * Upper bounds on the sizes: far above any model this library trains, they keep a hostile config.json from
 * asking for terabytes before its weights are even read (the loader then checks every shape exactly).
 */
export const CONFIG_LIMITS = {
  vocabSize: 2 ** 24,
  blockSize: 2 ** 20,
  nLayer: 1024,
  nHead: 4096,
  nEmbd: 2 ** 16,
  mlpHidden: 2 ** 18,
} as const;

const size = (max: number) =>
  z
    .number({ error: `must be a positive integer up to ${max}` })
    .int({ error: `must be a positive integer up to ${max}` })
    .min(1, { error: `must be a positive integer up to ${max}` })
    .max(max, { error: `must be a positive integer up to ${max}` });
const kind = <T extends string>(values: readonly T[]) =>
  z.enum(values as [T, ...T[]], { error: `must be one of ${values.join(', ')}` });
const positiveNumber = z
  .number({ error: 'must be a positive number' })
  .positive({ error: 'must be a positive number' });

/**
 * The fields of a config, their types and ranges; no others are allowed. mixerOptions is checked by the
 * mixer registry (each kind declares its settings), after the cross-field rules below.
 */
export const CONFIG_SCHEMA = z.strictObject(
  {
    vocabSize: size(CONFIG_LIMITS.vocabSize),
    blockSize: size(CONFIG_LIMITS.blockSize),
    nLayer: size(CONFIG_LIMITS.nLayer),
    nHead: size(CONFIG_LIMITS.nHead),
    nEmbd: size(CONFIG_LIMITS.nEmbd),
    mlp: kind(MLP_KINDS),
    mlpHidden: size(CONFIG_LIMITS.mlpHidden).optional(),
    norm: kind(NORM_KINDS),
    normEps: positiveNumber.max(1, { error: 'must be a positive number up to 1' }),
    positions: kind(POSITION_KINDS),
    ropeTheta: positiveNumber,
    ropeScaling: z
      .discriminatedUnion(
        'type',
        [
          z.strictObject({ type: z.literal('linear'), factor: positiveNumber }),
          z.strictObject({
            type: z.literal('llama3'),
            factor: positiveNumber,
            lowFreqFactor: positiveNumber,
            highFreqFactor: positiveNumber,
            originalContext: size(CONFIG_LIMITS.blockSize),
          }),
        ],
        {
          error:
            'must be { type: "linear", factor } or { type: "llama3", factor, lowFreqFactor, highFreqFactor, originalContext }',
        },
      )
      .optional(),
    bias: z.boolean({ error: 'must be true or false' }),
    tieEmbeddings: z.boolean({ error: 'must be true or false' }),
    dropout: z
      .number({ error: 'must be in [0, 1)' })
      .min(0, { error: 'must be in [0, 1)' })
      .lt(1, { error: 'must be in [0, 1)' }),
    mixer: z.union([kind(MIXER_KINDS), z.array(kind(MIXER_KINDS)).min(1)], {
      error: `must be a mixer kind or a list of one per layer (kinds: ${MIXER_KINDS.join(', ')})`,
    }),
    mixerOptions: z.unknown().optional(),
  },
  { error: 'must be a JSON object of ModelConfig fields' },
);

/** One line per schema issue: the field, what it takes, what it got; `whole` names the top level. */
export function describeIssue(issue: z.core.$ZodIssue, whole = 'the config'): string {
  const field = issue.path.join('.');
  if (issue.code === 'unrecognized_keys') {
    return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
  }
  if (issue.code === 'invalid_key')
    return `${field} is not an allowed key: ${issue.issues[0]?.message ?? issue.message}`;
  const got = issue.input === undefined ? 'it is missing' : `got ${JSON.stringify(issue.input)}`;
  return `${field || whole} ${issue.message}, ${got}`;
}

/** Throws a message naming the first bad field. */
export function validateConfig(c: ModelConfig): void {
  const parsed = CONFIG_SCHEMA.safeParse(c, { reportInput: true });
  if (!parsed.success) throw new Error(`model config: ${describeIssue(parsed.error.issues[0])}`);
  if (c.nEmbd % c.nHead !== 0)
    throw new Error(`model config: nEmbd ${c.nEmbd} is not divisible by nHead ${c.nHead}`);
  if (c.positions === 'rope' && (c.nEmbd / c.nHead) % 2 !== 0) {
    throw new Error(`model config: rope needs an even head size, got ${c.nEmbd / c.nHead}`);
  }
  if (c.ropeScaling?.type === 'llama3' && c.ropeScaling.highFreqFactor <= c.ropeScaling.lowFreqFactor) {
    throw new Error('model config: ropeScaling.highFreqFactor must be larger than lowFreqFactor');
  }
  if (Array.isArray(c.mixer) && c.mixer.length !== c.nLayer) {
    throw new Error(`model config: mixer lists ${c.mixer.length} layers but nLayer is ${c.nLayer}`);
  }
  validateMixerOptions(c);
}

/**
 * A config read from JSON (config.json, --config): checked whole, flat mixer settings migrated; errors
 * name `source` and the field.
 */
export function parseConfig(raw: unknown, source: string): ModelConfig {
  try {
    // The types first: migration reads mixer and mixerOptions.
    const typed = CONFIG_SCHEMA.safeParse(raw, { reportInput: true });
    if (!typed.success) throw new Error(describeIssue(typed.error.issues[0]));
    const config = migrateConfig(raw as ModelConfig);
    validateConfig(config);
    return config;
  } catch (e) {
    throw new Error(`${source}: ${(e as Error).message.replace(/^model config: /, '')}`);
  }
}

/** Every kind in mixerOptions is in the model, and every setting is one it has, of the right kind. */
function validateMixerOptions(c: ModelConfig): void {
  const options: unknown = c.mixerOptions ?? {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new Error(`model config: mixerOptions must be settings per kind, got ${JSON.stringify(options)}`);
  }
  const kinds = mixersOf(c);
  for (const [kind, given] of Object.entries(options)) {
    if (typeof given === 'number') {
      throw new Error(
        `model config: mixerOptions.${kind}: settings go per kind, e.g. { mamba: { dState: 16 } } (migrateConfig converts a flat record)`,
      );
    }
    if (!kinds.includes(kind as MixerKind)) {
      throw new Error(
        `model config: mixerOptions.${kind}: ${isMixerKind(kind) ? 'no layer of this model is one' : 'not a mixer kind'} (the model's mixers are ${kinds.join(', ')})`,
      );
    }
    if (typeof given !== 'object' || given === null || Array.isArray(given)) {
      throw new Error(
        `model config: mixerOptions.${kind} must be its settings, got ${JSON.stringify(given)}`,
      );
    }
    try {
      checkMixerSettings(kind as MixerKind, given, { dim: c.nEmbd, heads: c.nHead });
    } catch (e) {
      throw new Error(`model config: mixerOptions.${(e as Error).message}`);
    }
  }
}

export function mlpHidden(c: ModelConfig): number {
  if (c.mlpHidden) return c.mlpHidden;
  return c.mlp === 'gelu' ? 4 * c.nEmbd : Math.ceil((8 * c.nEmbd) / 3 / 8) * 8;
}

export function mixerOf(c: ModelConfig, layer: number): MixerKind {
  return Array.isArray(c.mixer) ? c.mixer[layer] : c.mixer;
}
